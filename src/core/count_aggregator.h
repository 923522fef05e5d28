// Counts and distinct-actor sketches of recorded activities, gathered in
// memory per target until a store writes them: one write per (target,
// bucket) per interval instead of one per activity.
//
// Per target it keeps activities per minute (hours and days are sums of
// minutes) and a sketch per minute, hour and UTC day; the same again for
// the whole table under the target "".
//
// Not thread-safe.
#ifndef CCTV_CORE_COUNT_AGGREGATOR_H_
#define CCTV_CORE_COUNT_AGGREGATOR_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cctv/counts.h"
#include "core/hyperloglog.h"

namespace cctv::core {

struct SketchCell {
  Bucket bucket;
  std::int64_t period;  // bucket number since the epoch (minute_of, hour_of, day_of)
  HyperLogLog sketch;
};

struct TargetCounts {
  std::vector<std::pair<std::int64_t, std::int64_t>> minutes;  // (minute number, activities)
  std::vector<SketchCell> sketches;
};

class CountAggregator {
 public:
  // Counts one activity on `target` and on the whole table.
  void add(std::string_view target, std::int64_t time_us, std::uint64_t actor_hash);

  bool empty() const noexcept { return activities_ == 0; }
  std::size_t activities() const noexcept { return activities_; }

  // Every target touched, and "" for the whole table.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  using Targets = std::unordered_map<std::string, TargetCounts, Hash, std::equal_to<>>;
  const Targets& targets() const noexcept { return targets_; }

  void clear() noexcept {
    targets_.clear();
    activities_ = 0;
  }

 private:
  static void add_to(TargetCounts& counts, std::int64_t minute, std::int64_t hour, std::int64_t day,
                     std::uint64_t actor_hash);

  Targets targets_;
  std::size_t activities_ = 0;
};

}  // namespace cctv::core

#endif  // CCTV_CORE_COUNT_AGGREGATOR_H_
