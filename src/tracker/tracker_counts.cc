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

// The finest stored bucket a series of `plan` is made of: itself, or for
// day buckets with an offset, hours (whole-hour offsets) or minutes.
Bucket source_bucket(const core::SeriesPlan& plan) {
  if (plan.bucket != Bucket::kDay || plan.offset_us == 0) return plan.bucket;
  return plan.offset_us % core::kHourUs == 0 ? Bucket::kHour : Bucket::kMinute;
}

Series series_of(const core::SeriesPlan& plan, const std::vector<std::int64_t>& values) {
  Series out;
  out.reserve(plan.count);
  const std::size_t per = values.size() / plan.count;
  const std::int64_t width = core::bucket_width_us(plan.bucket);
  for (std::size_t i = 0; i < plan.count; ++i) {
    std::int64_t sum = 0;
    for (std::size_t k = 0; k < per; ++k) sum += values[i * per + k];
    out.push_back(BucketCount{Timestamp(Microseconds(plan.first_us + static_cast<std::int64_t>(i) * width)), sum});
  }
  return out;
}

Series count_series(internal::ClientState& state, store::TableHandle handle, std::string_view target,
                    const TimeRange& range, Bucket bucket, const CountOptions& options) {
  const core::SeriesPlan plan = core::plan_series(range, bucket, options);
  const Bucket source = source_bucket(plan);
  // Day rows of hour slots serve UTC days too.
  const Bucket stored = source == Bucket::kDay ? Bucket::kHour : source;
  const std::int64_t width = core::bucket_width_us(stored);
  const std::size_t per = static_cast<std::size_t>(core::bucket_width_us(plan.bucket) / width);
  const std::vector<std::int64_t> values = state.with_store([&](store::Store& s) {
    return s.counts(handle, target, stored, core::floor_div(plan.first_us, width), plan.count * per);
  });
  return series_of(plan, values);
}

Series unique_series(internal::ClientState& state, store::TableHandle handle, std::string_view target,
                     const TimeRange& range, Bucket bucket, const CountOptions& options) {
  const core::SeriesPlan plan = core::plan_series(range, bucket, options);
  const Bucket source = source_bucket(plan);
  const std::int64_t width = core::bucket_width_us(source);
  const std::size_t per = static_cast<std::size_t>(core::bucket_width_us(plan.bucket) / width);
  std::vector<core::HyperLogLog> sketches = state.with_store([&](store::Store& s) {
    return s.sketches(handle, target, source, core::floor_div(plan.first_us, width), plan.count * per);
  });
  Series out;
  out.reserve(plan.count);
  for (std::size_t i = 0; i < plan.count; ++i) {
    core::HyperLogLog& bucket_sketch = sketches[i * per];
    for (std::size_t k = 1; k < per; ++k) bucket_sketch.merge(sketches[i * per + k]);
    out.push_back(BucketCount{
        Timestamp(Microseconds(plan.first_us + static_cast<std::int64_t>(i) * core::bucket_width_us(plan.bucket))),
        bucket_sketch.estimate()});
  }
  return out;
}

// [from, to) widened to whole minutes, as minute numbers.
std::pair<std::int64_t, std::int64_t> minute_span(const TimeRange& range) {
  const TimeRange clamped = core::check_range(range);
  const std::int64_t from = clamped.from.time_since_epoch().count();
  const std::int64_t to = clamped.to.time_since_epoch().count();
  return {from / core::kMinuteUs, (to + core::kMinuteUs - 1) / core::kMinuteUs};
}

std::int64_t unique_over(internal::ClientState& state, store::TableHandle handle, std::string_view target,
                         const TimeRange& range) {
  const auto [from, to] = minute_span(range);
  core::HyperLogLog all;
  // The fewest sketches that cover [from, to): whole days, then whole
  // hours, then minutes.
  auto add = [&](Bucket bucket, std::int64_t first, std::size_t n) {
    for (auto& sketch :
         state.with_store([&](store::Store& s) { return s.sketches(handle, target, bucket, first, n); })) {
      all.merge(sketch);
    }
  };
  constexpr std::int64_t kDayMinutes = 24 * 60;
  std::int64_t m = from;
  while (m < to) {
    if (m % kDayMinutes == 0 && m + kDayMinutes <= to) {
      const std::int64_t days = (to - m) / kDayMinutes;
      add(Bucket::kDay, m / kDayMinutes, static_cast<std::size_t>(days));
      m += days * kDayMinutes;
    } else if (m % 60 == 0 && m + 60 <= to) {
      const std::int64_t hours = (std::min(to, (m / kDayMinutes + 1) * kDayMinutes) - m) / 60;
      add(Bucket::kHour, m / 60, static_cast<std::size_t>(hours));
      m += hours * 60;
    } else {
      const std::int64_t stop = std::min(to, (m / 60 + 1) * 60);
      add(Bucket::kMinute, m, static_cast<std::size_t>(stop - m));
      m = stop;
    }
  }
  return all.estimate();
}

}  // namespace

Series Tracker::count_activity(std::string_view target, const TimeRange& range, Bucket bucket,
                               const CountOptions& options) const {
  core::check_key("target", target);
  return count_series(*state_, handle_, target, range, bucket, options);
}

Series Tracker::count_activity(const TimeRange& range, Bucket bucket, const CountOptions& options) const {
  return count_series(*state_, handle_, "", range, bucket, options);
}

Series Tracker::count_unique_actors(std::string_view target, const TimeRange& range, Bucket bucket,
                                    const CountOptions& options) const {
  core::check_key("target", target);
  return unique_series(*state_, handle_, target, range, bucket, options);
}

Series Tracker::count_unique_actors(const TimeRange& range, Bucket bucket, const CountOptions& options) const {
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
    s.rebuild_counts(handle_, clamped.from.time_since_epoch().count(), clamped.to.time_since_epoch().count());
  });
}

std::vector<TargetCount> Tracker::top_targets(const TimeRange& range, std::size_t limit) const {
  if (limit < 1 || limit > 10'000) {
    throw InvalidArgument("limit", "must be 1 to 10000, got " + std::to_string(limit));
  }
  const std::pair<std::int64_t, std::int64_t> minutes = minute_span(range);
  return state_->with_store(
      [&](store::Store& s) { return s.top_targets(handle_, minutes.first, minutes.second, limit); });
}

}  // namespace cctv
