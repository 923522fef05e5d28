#include "core/count_aggregator.h"

#include "core/bucket.h"

namespace cctv::core {

namespace {

// Finds the cell for (bucket, period), newest first: with activities
// arriving in time order the current minute, hour and day are the last
// three cells.
HyperLogLog& cell(std::vector<SketchCell>& cells, Bucket bucket, std::int64_t period) {
  for (auto it = cells.rbegin(); it != cells.rend(); ++it) {
    if (it->bucket == bucket && it->period == period) return it->sketch;
  }
  return cells.emplace_back(SketchCell{bucket, period, {}}).sketch;
}

}  // namespace

void CountAggregator::add_to(TargetCounts& counts, std::int64_t minute, std::int64_t hour, std::int64_t day,
                             std::uint64_t actor_hash) {
  auto& minutes = counts.minutes;
  bool found = false;
  for (auto it = minutes.rbegin(); it != minutes.rend(); ++it) {
    if (it->first == minute) {
      ++it->second;
      found = true;
      break;
    }
  }
  if (!found) minutes.emplace_back(minute, 1);
  cell(counts.sketches, Bucket::kMinute, minute).add_hash(actor_hash);
  cell(counts.sketches, Bucket::kHour, hour).add_hash(actor_hash);
  cell(counts.sketches, Bucket::kDay, day).add_hash(actor_hash);
}

void CountAggregator::add(std::string_view target, std::int64_t time_us, std::uint64_t actor_hash) {
  const std::int64_t minute = minute_of(time_us), hour = hour_of(time_us), day = day_of(time_us);
  auto it = targets_.find(target);
  if (it == targets_.end()) it = targets_.emplace(std::string(target), TargetCounts{}).first;
  add_to(it->second, minute, hour, day, actor_hash);
  auto all = targets_.find(std::string_view());
  if (all == targets_.end()) all = targets_.emplace(std::string(), TargetCounts{}).first;
  add_to(all->second, minute, hour, day, actor_hash);
  ++activities_;
}

}  // namespace cctv::core
