// The counting half of cctv::Tracker (cctv/tracker.h): series, distinct
// actors and top targets, from the counts the store keeps.
#include <algorithm>
#include <string>

#include "cctv/error.h"
#include "cctv/tracker.h"
#include "core/bucket.h"
#include "core/validate.h"
#include "tracker/client_state.h"

namespace cctv {

namespace {

// Day buckets at an offset that is not whole hours (+05:30) are not made
// of stored days or hours alone: each is covered separately.
bool covered_day_by_day(const core::SeriesPlan& plan) {
  return plan.bucket == Bucket::kDay && plan.offset_us % core::kHourUs != 0;
}

std::int64_t start_minute(const core::SeriesPlan& plan, std::size_t i) {
  return core::floor_div(plan.first_us + static_cast<std::int64_t>(i) * core::kDayUs,
                         core::kMinuteUs);
}

Timestamp bucket_start(const core::SeriesPlan& plan, std::size_t i) {
  return Timestamp(Microseconds(plan.first_us +
                                static_cast<std::int64_t>(i) * core::bucket_width_us(plan.bucket)));
}

// A series over `plan`: each bucket's value is the fold of the stored
// buckets that make it up, read with fetch(bucket, first, n).
template <class Value, class Fetch, class Fold, class Finish>
Series series_of(const core::SeriesPlan& plan, Fetch fetch, Fold fold, Finish finish) {
  Series out;
  out.reserve(plan.count);
  if (covered_day_by_day(plan)) {
    for (std::size_t i = 0; i < plan.count; ++i) {
      Value total{};
      const std::int64_t from = start_minute(plan, i);
      core::cover_minutes(from, from + 24 * 60, [&](Bucket b, std::int64_t first, std::int64_t n) {
        for (auto& v : fetch(b, first, static_cast<std::size_t>(n))) fold(total, v);
      });
      out.push_back(BucketCount{bucket_start(plan, i), finish(total)});
    }
    return out;
  }
  // Days at a whole-hour offset are made of hours; other buckets are read
  // as they are stored.
  const Bucket source =
      plan.bucket == Bucket::kDay && plan.offset_us != 0 ? Bucket::kHour : plan.bucket;
  const std::int64_t width = core::bucket_width_us(source);
  const std::size_t per = static_cast<std::size_t>(core::bucket_width_us(plan.bucket) / width);
  auto values = fetch(source, core::floor_div(plan.first_us, width), plan.count * per);
  for (std::size_t i = 0; i < plan.count; ++i) {
    Value total{};
    for (std::size_t k = 0; k < per; ++k) fold(total, values[i * per + k]);
    out.push_back(BucketCount{bucket_start(plan, i), finish(total)});
  }
  return out;
}

// Activities per bucket. The store keeps minutes and hours; a day is the
// sum of its hours.
std::vector<std::int64_t> stored_counts(store::Store& s, store::TableHandle handle,
                                        std::string_view target, Bucket bucket, std::int64_t first,
                                        std::size_t n) {
  if (bucket != Bucket::kDay) return s.counts(handle, target, bucket, first, n);
  const std::vector<std::int64_t> hours =
      s.counts(handle, target, Bucket::kHour, first * 24, n * 24);
  std::vector<std::int64_t> days(n, 0);
  for (std::size_t h = 0; h < hours.size(); ++h) days[h / 24] += hours[h];
  return days;
}

// A series' range with its open ends closed (cctv/tracker.h): up to now by
// the client's clock, and back the bucket's default span from its end.
TimeRange series_range(const internal::ClientState& state, TimeRange range, Bucket bucket) {
  if (range.to == kMaxTime) range.to = state.options().clock ? state.options().clock() : now();
  if (range.from == kMinTime)
    range.from = std::max(kMinTime, range.to - default_series_span(bucket));
  return range;
}

Series count_series(internal::ClientState& state, store::TableHandle handle,
                    std::string_view target, const TimeRange& open_range, Bucket bucket,
                    const CountOptions& options) {
  const TimeRange range = series_range(state, open_range, bucket);
  const core::SeriesPlan plan = core::plan_series(range, bucket, options);
  return state.with_store([&](store::Store& s) {
    if (auto whole = s.count_series(handle, target, range, bucket, options, false)) return *whole;
    s.catch_up_counts();
    return series_of<std::int64_t>(
        plan,
        [&](Bucket b, std::int64_t first, std::size_t n) {
          return stored_counts(s, handle, target, b, first, n);
        },
        [](std::int64_t& total, std::int64_t v) { total += v; },
        [](std::int64_t total) { return total; });
  });
}

// The union of the sketches covering minutes [from, to).
core::HyperLogLog union_over(store::Store& s, store::TableHandle handle, std::string_view target,
                             std::int64_t from, std::int64_t to) {
  core::HyperLogLog all;
  core::cover_minutes(from, to, [&](Bucket b, std::int64_t first, std::int64_t n) {
    for (const auto& sketch : s.sketches(handle, target, b, first, static_cast<std::size_t>(n)))
      all.merge(sketch);
  });
  return all;
}

Series unique_series(internal::ClientState& state, store::TableHandle handle,
                     std::string_view target, const TimeRange& open_range, Bucket bucket,
                     const CountOptions& options) {
  const TimeRange range = series_range(state, open_range, bucket);
  const core::SeriesPlan plan = core::plan_series(range, bucket, options);
  return state.with_store([&](store::Store& s) {
    if (auto whole = s.count_series(handle, target, range, bucket, options, true)) return *whole;
    s.catch_up_counts();
    return series_of<core::HyperLogLog>(
        plan,
        [&](Bucket b, std::int64_t first, std::size_t n) {
          return s.sketches(handle, target, b, first, n);
        },
        [](core::HyperLogLog& all, const core::HyperLogLog& part) { all.merge(part); },
        [](const core::HyperLogLog& all) { return all.estimate(); });
  });
}

// [from, to) widened to whole minutes, as minute numbers.
std::pair<std::int64_t, std::int64_t> minute_span(const TimeRange& range) {
  const TimeRange clamped = core::check_range(range);
  const std::int64_t from = clamped.from.time_since_epoch().count();
  const std::int64_t to = clamped.to.time_since_epoch().count();
  return {from / core::kMinuteUs, (to + core::kMinuteUs - 1) / core::kMinuteUs};
}

std::int64_t unique_over(internal::ClientState& state, store::TableHandle handle,
                         std::string_view target, const TimeRange& range) {
  const auto minutes = minute_span(range);
  return state.with_store([&](store::Store& s) {
    if (auto whole = s.unique_actors(handle, target, range)) return *whole;
    s.catch_up_counts();
    return union_over(s, handle, target, minutes.first, minutes.second).estimate();
  });
}

}  // namespace

Series Tracker::count_activity(std::string_view target, const TimeRange& range, Bucket bucket,
                               const CountOptions& options) const {
  core::check_key("target", target);
  return count_series(*state_, handle_, target, range, bucket, options);
}

Series Tracker::count_activity(const TimeRange& range, Bucket bucket,
                               const CountOptions& options) const {
  return count_series(*state_, handle_, "", range, bucket, options);
}

Series Tracker::count_unique_actors(std::string_view target, const TimeRange& range, Bucket bucket,
                                    const CountOptions& options) const {
  core::check_key("target", target);
  return unique_series(*state_, handle_, target, range, bucket, options);
}

Series Tracker::count_unique_actors(const TimeRange& range, Bucket bucket,
                                    const CountOptions& options) const {
  return unique_series(*state_, handle_, "", range, bucket, options);
}

std::int64_t Tracker::unique_actors(std::string_view target, const TimeRange& range) const {
  core::check_key("target", target);
  return unique_over(*state_, handle_, target, range);
}

std::int64_t Tracker::unique_actors(const TimeRange& range) const {
  return unique_over(*state_, handle_, "", range);
}

void Tracker::rebuild_counts(const TimeRange& range) {
  const TimeRange clamped = core::check_range(range);
  state_->with_store([&](store::Store& s) {
    s.rebuild_counts(handle_, clamped.from.time_since_epoch().count(),
                     clamped.to.time_since_epoch().count());
  });
}

std::vector<TargetCount> Tracker::top_targets(const TimeRange& range, std::size_t limit) const {
  if (limit < 1 || limit > 10'000) {
    throw InvalidArgument("limit", "must be 1 to 10000, got " + std::to_string(limit));
  }
  const std::pair<std::int64_t, std::int64_t> minutes = minute_span(range);
  return state_->with_store([&](store::Store& s) {
    s.catch_up_counts();
    return s.top_targets(handle_, minutes.first, minutes.second, limit);
  });
}

}  // namespace cctv
