#include "core/bucket.h"

#include <algorithm>
#include <limits>
#include <string>

#include "cctv/error.h"
#include "core/validate.h"

namespace cctv {

std::string_view bucket_name(Bucket bucket) noexcept {
  switch (bucket) {
    case Bucket::kMinute:
      return "minute";
    case Bucket::kHour:
      return "hour";
    case Bucket::kDay:
      return "day";
  }
  return "?";
}

Bucket parse_bucket(std::string_view text, std::string_view field) {
  if (text == "minute") return Bucket::kMinute;
  if (text == "hour") return Bucket::kHour;
  if (text == "day") return Bucket::kDay;
  throw InvalidArgument(std::string(field),
                        "must be minute, hour or day, got '" + std::string(text) + "'");
}

std::chrono::minutes parse_utc_offset(std::string_view text, std::string_view field) {
  const auto bad = [&] {
    return InvalidArgument(std::string(field), "'" + std::string(text) + "' must look like +05:30, -0500 or +5");
  };
  if (text.empty() || text == "0" || text == "Z") return std::chrono::minutes(0);
  std::size_t i = 0;
  int sign = 1;
  if (text[0] == '+' || text[0] == '-') {
    sign = text[0] == '-' ? -1 : 1;
    i = 1;
  }
  std::string digits;
  for (; i < text.size(); ++i) {
    if (text[i] == ':') continue;
    if (text[i] < '0' || text[i] > '9') throw bad();
    digits.push_back(text[i]);
  }
  int hours = 0, minutes = 0;
  if (digits.size() == 1 || digits.size() == 2) {
    hours = std::stoi(digits);
  } else if (digits.size() == 4) {
    hours = std::stoi(digits.substr(0, 2));
    minutes = std::stoi(digits.substr(2));
  } else {
    throw bad();
  }
  if (minutes >= 60) throw bad();
  return std::chrono::minutes(sign * (hours * 60 + minutes));
}

Microseconds default_series_span(Bucket bucket) noexcept {
  switch (bucket) {
    case Bucket::kMinute:
      return std::chrono::hours(1);
    case Bucket::kHour:
      return std::chrono::hours(24);
    case Bucket::kDay:
      return std::chrono::hours(24 * 30);
  }
  return std::chrono::hours(24);
}

std::string format_bucket_start(Timestamp start) {
  std::string s = format_time(start);
  const auto dot = s.find('.');
  if (dot != std::string::npos) s.erase(dot, s.size() - dot - 1);
  return s;
}

namespace core {

std::int64_t bucket_width_us(Bucket bucket) noexcept {
  switch (bucket) {
    case Bucket::kMinute:
      return kMinuteUs;
    case Bucket::kHour:
      return kHourUs;
    case Bucket::kDay:
      return kDayUs;
  }
  return kDayUs;
}

void cover_minutes(
    std::int64_t from_minute, std::int64_t to_minute,
    const std::function<void(Bucket bucket, std::int64_t first, std::int64_t n)>& cover) {
  constexpr std::int64_t kPerHour = kHourUs / kMinuteUs, kPerDay = kDayUs / kMinuteUs;
  std::int64_t m = std::max<std::int64_t>(from_minute, 0);
  while (m < to_minute) {
    if (m % kPerDay == 0 && m + kPerDay <= to_minute) {
      const std::int64_t days = (to_minute - m) / kPerDay;
      cover(Bucket::kDay, m / kPerDay, days);
      m += days * kPerDay;
    } else if (m % kPerHour == 0 && m + kPerHour <= to_minute) {
      const std::int64_t hours = (std::min(to_minute, (m / kPerDay + 1) * kPerDay) - m) / kPerHour;
      cover(Bucket::kHour, m / kPerHour, hours);
      m += hours * kPerHour;
    } else {
      const std::int64_t stop = std::min(to_minute, (m / kPerHour + 1) * kPerHour);
      cover(Bucket::kMinute, m, stop - m);
      m = stop;
    }
  }
}

SeriesPlan plan_series(const TimeRange& range, Bucket bucket, const CountOptions& options) {
  const auto offset = options.utc_offset;
  if (offset < std::chrono::hours(-14) || offset > std::chrono::hours(14)) {
    throw InvalidArgument("utc_offset", "must be within -14:00 and +14:00, got " +
                                            std::to_string(offset.count()) + " minutes");
  }
  const TimeRange clamped = check_range(range);
  SeriesPlan plan;
  plan.bucket = bucket;
  plan.offset_us =
      bucket == Bucket::kDay ? std::chrono::duration_cast<Microseconds>(offset).count() : 0;
  const std::int64_t width = bucket_width_us(bucket);
  const std::int64_t from = clamped.from.time_since_epoch().count();
  const std::int64_t to = clamped.to.time_since_epoch().count();
  // Local time is UTC + offset: a local day starts at UTC midnight - offset.
  plan.first_us = floor_div(from + plan.offset_us, width) * width - plan.offset_us;
  const std::int64_t buckets =
      floor_div(to - 1 + plan.offset_us, width) - floor_div(from + plan.offset_us, width) + 1;
  if (buckets > static_cast<std::int64_t>(kMaxSeriesBuckets)) {
    throw InvalidArgument(
        "range", "spans " + std::to_string(buckets) + " " + std::string(bucket_name(bucket)) +
                     " buckets; a series has at most " + std::to_string(kMaxSeriesBuckets) +
                     ": use a larger bucket or a shorter range");
  }
  plan.count = static_cast<std::size_t>(buckets);
  return plan;
}

std::int64_t first_bucket_kept(Bucket bucket, std::int64_t item_us,
                               std::int64_t horizon_us) noexcept {
  if (horizon_us <= 0) return std::numeric_limits<std::int64_t>::min();
  return floor_div(horizon_us, item_us) * (item_us / bucket_width_us(bucket));
}

}  // namespace core
}  // namespace cctv
