#include "core/count_aggregator.h"

#include <algorithm>

#include "core/bucket.h"

namespace cctv::core {

std::size_t CountAggregator::slot_of(std::uint64_t hash, std::string_view target) const {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    const std::uint32_t at = slots_[i];
    if (at == 0) return i;
    const Target& t = targets_[at - 1];
    if (t.hash == hash && t.name == target) return i;
  }
}

void CountAggregator::reindex() {
  std::size_t size = 64;
  while (size < targets_.size() * 2) size *= 2;
  std::vector<std::uint32_t>(size, 0).swap(slots_);  // smaller too, after targets went
  for (std::size_t i = 0; i < targets_.size(); ++i)
    slots_[slot_of(targets_[i].hash, targets_[i].name)] = static_cast<std::uint32_t>(i + 1);
}

void CountAggregator::release_idle() {
  // With many targets come and gone (a site whose pages keep being new),
  // the memory goes back too: it is what the store's counts budget bounds.
  const std::size_t before = targets_.size();
  std::erase_if(targets_, [](const Target& t) { return t.hits.empty(); });
  if (targets_.capacity() > 4096 && targets_.capacity() > 2 * targets_.size())
    targets_.shrink_to_fit();
  if (targets_.size() != before) reindex();
  name_bytes_ = 0;
  hits_held_ = 0;
  for (const Target& t : targets_) {
    if (t.name.size() > 15) name_bytes_ += t.name.size() + 1;
    hits_held_ += t.hits.capacity();
  }
  selected_ = nullptr;  // may have been erased
}

std::size_t CountAggregator::memory() const noexcept {
  return targets_.capacity() * sizeof(Target) + slots_.capacity() * sizeof(std::uint32_t) +
         name_bytes_ + hits_held_ * sizeof(Hit);
}

void CountAggregator::select(std::string_view target, std::uint64_t hash) {
  if (slots_.empty()) reindex();
  std::size_t slot = slot_of(hash, target);
  if (slots_[slot] == 0) {
    targets_.push_back(Target{hash, std::string(target), {}});
    if (target.size() > 15) name_bytes_ += target.size() + 1;
    if (targets_.size() * 2 > slots_.size()) {
      reindex();
      slot = slot_of(hash, target);
    } else {
      slots_[slot] = static_cast<std::uint32_t>(targets_.size());
    }
  }
  selected_ = &targets_[slots_[slot] - 1].hits;
}

void CountAggregator::add(std::int64_t minute, std::uint32_t entry) {
  if (selected_->empty()) ++touched_;
  ++gathered_;
  const std::size_t held = selected_->capacity();
  selected_->push_back(Hit{static_cast<std::uint32_t>(minute), entry});
  hits_held_ += selected_->capacity() - held;

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
  // Views into summary.bytes, once it has stopped growing.
  auto seal = [&summary] {
    for (auto& s : summary.sketches)
      s.encoded = std::string_view(summary.bytes).substr(s.offset, s.size);
  };
  // Idle for a whole interval: let it go.
  release_idle();
  for (Target& target : targets_) {
    std::vector<Hit>& hits = target.hits;
    std::sort(hits.begin(), hits.end());
    summary.minutes.clear();
    summary.sketches.clear();
    summary.bytes.clear();
    hour_entries.clear();
    // An hour seen in one minute has that minute's sketch: copied, not
    // built again. With activities in time order that is the common case --
    // an interval spans a minute.
    std::size_t minutes_in_hour = 0;
    auto close = [&](Bucket bucket, std::int64_t number, std::vector<std::uint32_t>& entries) {
      auto& s = summary.sketches.emplace_back(
          TallySummary::Sketch{bucket, number, {}, summary.bytes.size()});
      HyperLogLog::encode_entries(entries, summary.bytes);
      s.size = summary.bytes.size() - s.offset;
    };
    for (std::size_t i = 0; i < hits.size();) {
      const std::uint32_t minute = hits[i].minute;
      minute_entries.clear();
      std::size_t j = i;
      for (; j < hits.size() && hits[j].minute == minute; ++j)
        minute_entries.push_back(hits[j].entry);
      summary.minutes.emplace_back(minute, static_cast<std::int64_t>(j - i));
      close(Bucket::kMinute, minute, minute_entries);
      // Sorted once when the hour closes: merging each minute's run in
      // as it came cost time in proportion to the hour's entries times its
      // minutes.
      hour_entries.insert(hour_entries.end(), minute_entries.begin(), minute_entries.end());
      ++minutes_in_hour;
      i = j;
      // An hour closes when the next minute leaves it.
      if (i == hits.size() || hits[i].minute / 60 != minute / 60) {
        if (minutes_in_hour == 1) {
          TallySummary::Sketch hour = summary.sketches.back();
          hour.bucket = Bucket::kHour;
          hour.number = minute / 60;
          summary.sketches.push_back(hour);
        } else {
          std::sort(hour_entries.begin(), hour_entries.end());
          close(Bucket::kHour, minute / 60, hour_entries);
        }
        hour_entries.clear();
        minutes_in_hour = 0;
      }
    }
    seal();
    visit(target.name, summary);
    // Keeps its memory for the next interval, up to 32 KiB: a hot
    // target's list regrows in a few doublings, and a burst does not stay.
    if (hits.capacity() > 4096) {
      hits_held_ -= hits.capacity();
      std::vector<Hit>().swap(hits);
    } else {
      hits.clear();
    }
  }
  if (!table_minutes_.empty()) {
    summary.minutes = table_minutes_;
    std::sort(summary.minutes.begin(), summary.minutes.end());
    summary.sketches.clear();
    summary.bytes.clear();
    for (const auto& t : table_sketches_) {
      auto& s = summary.sketches.emplace_back(
          TallySummary::Sketch{t.bucket, t.number, {}, summary.bytes.size()});
      t.sketch.encode(summary.bytes);
      s.size = summary.bytes.size() - s.offset;
    }
    seal();
    visit(std::string(), summary);
  }
  table_minutes_.clear();
  table_sketches_.clear();
  gathered_ = touched_ = 0;
  selected_ = nullptr;  // summarize() may have erased it
}

}  // namespace cctv::core
