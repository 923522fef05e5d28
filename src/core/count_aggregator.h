// Counts and distinct-actor sketches of recorded activities, gathered in
// memory until a store writes them: one write per (target, bucket) per
// interval instead of one per activity.
//
// add() only appends (minute, sketch entry) to the target's list, and adds
// the actor to the whole table's sketches; sorting and encoding wait for
// summarize(), once per interval. Lists keep their memory from one
// interval to the next, so a steady stream of activities does not allocate.
//
// Not thread-safe.
#ifndef CCTV_CORE_COUNT_AGGREGATOR_H_
#define CCTV_CORE_COUNT_AGGREGATOR_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cctv/counts.h"
#include "core/hyperloglog.h"

namespace cctv::core {

// What summarize() reports for one target (or the whole table).
struct TallySummary {
  std::vector<std::pair<std::int64_t, std::int64_t>>
      minutes;  // (minute number, activities), ascending
  // Minutes' and hours' sketches. A day's is the union of its hours',
  // taken when it is read: building and writing it too would repeat the
  // hours' bytes.
  struct Sketch {
    Bucket bucket;
    std::int64_t number;  // the minute or hour
    std::string encoded;  // HyperLogLog::encode() form
  };
  std::vector<Sketch> sketches;
};

class CountAggregator {
 public:
  // Counts activities of one target, given in a row: select() looks the
  // target up once, add() counts one activity of it (and of the whole
  // table) in `minute` (minute number) by an actor whose
  // HyperLogLog::entry is `entry`.
  void select(std::string_view target);
  void add(std::int64_t minute, std::uint32_t entry);

  // Calls visit(target, summary) for every target touched, then
  // visit("", summary) for the whole table, and starts over empty.
  void summarize(const std::function<void(const std::string& target, const TallySummary&)>& visit);

 private:
  struct Hit {
    std::uint32_t minute;  // minute number (fits until the year 10136)
    std::uint32_t entry;   // HyperLogLog::entry of the actor
    friend bool operator<(const Hit& a, const Hit& b) {
      return a.minute != b.minute ? a.minute < b.minute : a.entry < b.entry;
    }
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  struct TableSketch {
    Bucket bucket;
    std::int64_t number;
    HyperLogLog sketch;
  };

  // The whole table's sketch of one bucket, made on first use.
  HyperLogLog& table_sketch(Bucket bucket, std::int64_t number);

  std::unordered_map<std::string, std::vector<Hit>, Hash, std::equal_to<>> targets_;
  std::vector<Hit>* selected_ = nullptr;  // node-based map: stays valid until summarize()
  // The whole table: activities and sketches per minute, hour and day.
  std::vector<std::pair<std::int64_t, std::int64_t>> table_minutes_;
  std::vector<TableSketch> table_sketches_;
};

}  // namespace cctv::core

#endif  // CCTV_CORE_COUNT_AGGREGATOR_H_
