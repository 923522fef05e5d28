#include "core/count_aggregator.h"

#include <algorithm>

#include "core/bucket.h"

namespace cctv::core {

void CountAggregator::select(std::string_view target) {
  auto it = targets_.find(target);
  if (it == targets_.end()) it = targets_.emplace(std::string(target), std::vector<Hit>()).first;
  selected_ = &it->second;
}

void CountAggregator::add(std::int64_t minute, std::uint32_t entry) {
  selected_->push_back(Hit{static_cast<std::uint32_t>(minute), entry});

  if (table_minutes_.empty() || table_minutes_.back().first != minute) {
    auto m = std::find_if(table_minutes_.rbegin(), table_minutes_.rend(),
                          [minute](const auto& e) { return e.first == minute; });
    if (m == table_minutes_.rend()) {
      table_minutes_.emplace_back(minute, 1);
    } else {
      ++m->second;
    }
  } else {
    ++table_minutes_.back().second;
  }
  table_sketch(Bucket::kMinute, minute).add_entry(entry);
  table_sketch(Bucket::kHour, minute / 60).add_entry(entry);
}

HyperLogLog& CountAggregator::table_sketch(Bucket bucket, std::int64_t number) {
  // Newest first: in-order activities hit the last three.
  for (auto it = table_sketches_.rbegin(); it != table_sketches_.rend(); ++it) {
    if (it->bucket == bucket && it->number == number) return it->sketch;
  }
  return table_sketches_.emplace_back(TableSketch{bucket, number, {}}).sketch;
}

void CountAggregator::summarize(
    const std::function<void(const std::string& target, const TallySummary&)>& visit) {
  TallySummary summary;
  std::vector<std::uint32_t> minute_entries, hour_entries;
  for (auto it = targets_.begin(); it != targets_.end();) {
    std::vector<Hit>& hits = it->second;
    if (hits.empty()) {
      // Idle for a whole interval: let it go.
      it = targets_.erase(it);
      continue;
    }
    std::sort(hits.begin(), hits.end());
    summary.minutes.clear();
    summary.sketches.clear();
    hour_entries.clear();
    // An hour seen in one minute has that minute's sketch: copied, not
    // built again. With activities in time order that is the common case --
    // an interval spans a minute.
    std::size_t minutes_in_hour = 0;
    auto close = [&](Bucket bucket, std::int64_t number, std::vector<std::uint32_t>& entries) {
      auto& s = summary.sketches.emplace_back(TallySummary::Sketch{bucket, number, {}});
      HyperLogLog::encode_entries(entries, s.encoded);
    };
    // Appends sorted `run` to sorted `into`, keeping it sorted.
    auto merge_run = [](std::vector<std::uint32_t>& into, const std::vector<std::uint32_t>& run) {
      const auto middle = static_cast<std::ptrdiff_t>(into.size());
      into.insert(into.end(), run.begin(), run.end());
      std::inplace_merge(into.begin(), into.begin() + middle, into.end());
    };
    for (std::size_t i = 0; i < hits.size();) {
      const std::uint32_t minute = hits[i].minute;
      minute_entries.clear();
      std::size_t j = i;
      for (; j < hits.size() && hits[j].minute == minute; ++j)
        minute_entries.push_back(hits[j].entry);
      summary.minutes.emplace_back(minute, static_cast<std::int64_t>(j - i));
      close(Bucket::kMinute, minute, minute_entries);
      merge_run(hour_entries, minute_entries);
      ++minutes_in_hour;
      i = j;
      // An hour closes when the next minute leaves it.
      if (i == hits.size() || hits[i].minute / 60 != minute / 60) {
        if (minutes_in_hour == 1) {
          summary.sketches.push_back(
              TallySummary::Sketch{Bucket::kHour, minute / 60, summary.sketches.back().encoded});
        } else {
          close(Bucket::kHour, minute / 60, hour_entries);
        }
        hour_entries.clear();
        minutes_in_hour = 0;
      }
    }
    visit(it->first, summary);
    hits.clear();  // keeps its memory for the next interval
    ++it;
  }
  if (!table_minutes_.empty()) {
    summary.minutes = table_minutes_;
    std::sort(summary.minutes.begin(), summary.minutes.end());
    summary.sketches.clear();
    for (const auto& t : table_sketches_) {
      auto& s = summary.sketches.emplace_back(TallySummary::Sketch{t.bucket, t.number, {}});
      t.sketch.encode(s.encoded);
    }
    visit(std::string(), summary);
  }
  table_minutes_.clear();
  table_sketches_.clear();
  selected_ = nullptr;  // summarize() may have erased it
}

}  // namespace cctv::core
