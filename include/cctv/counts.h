// Activity over time: how many activities (and how many distinct actors)
// fell in each minute, hour or day, and which targets were busiest.
//
// Counts are kept as activities are recorded, not computed from them when
// asked, so a year of hourly counts answers as fast as a day's. They follow
// the activities: visible once written (Tracker::flush() waits for that),
// and an activity recorded twice (a retry, a re-import) counts once.
//
// Everything here is a plain value type; the functions are thread-safe.
#ifndef CCTV_COUNTS_H_
#define CCTV_COUNTS_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cctv/export.h"
#include "cctv/time.h"

namespace cctv {

// The width of one point of a series. Minutes and hours are UTC; days are
// UTC unless a fixed offset is given (CountOptions::utc_offset).
enum class Bucket { kMinute, kHour, kDay };

// "minute", "hour" or "day".
CCTV_EXPORT std::string_view bucket_name(Bucket bucket) noexcept;
// Parses a bucket_name(). Throws InvalidArgument naming `field` otherwise.
CCTV_EXPORT Bucket parse_bucket(std::string_view text, std::string_view field = "bucket");

struct CCTV_EXPORT CountOptions {
  // Day buckets start at midnight at this fixed offset from UTC, e.g.
  // std::chrono::minutes(330) for India (+05:30), -300 for US Eastern
  // standard time. Whole minutes from -14h to +14h. Minute and hour buckets
  // ignore it.
  std::chrono::minutes utc_offset{0};
};

// Parses a fixed offset from UTC: "+05:30", "-0500", "+5", "0" or "Z",
// into minutes east of UTC. Throws InvalidArgument naming `field`.
CCTV_EXPORT std::chrono::minutes parse_utc_offset(std::string_view text, std::string_view field = "utc_offset");

// How far back a series reaches when its caller gives no start: enough
// buckets to see a shape -- an hour of minutes, a day of hours, 30 days.
CCTV_EXPORT Microseconds default_series_span(Bucket bucket) noexcept;

// A bucket's start as RFC 3339 without fractions (buckets start on whole
// minutes): "2026-11-01T10:00:00Z".
CCTV_EXPORT std::string format_bucket_start(Timestamp start);

// One point of a series.
struct CCTV_EXPORT BucketCount {
  Timestamp start;     // the bucket's first instant
  std::int64_t count;  // activities, or distinct actors (an estimate)
  friend bool operator==(const BucketCount&, const BucketCount&) = default;
};

// Consecutive buckets, oldest first, every bucket present (zero when
// nothing happened). A series covers the buckets that overlap its range,
// whole: a range starting at 10:30 counts the 10:00 hour in full. At most
// kMaxSeriesBuckets points.
using Series = std::vector<BucketCount>;
inline constexpr std::size_t kMaxSeriesBuckets = 100'000;

struct CCTV_EXPORT TargetCount {
  std::string target;
  std::int64_t count;
  friend bool operator==(const TargetCount&, const TargetCount&) = default;
};

}  // namespace cctv

#endif  // CCTV_COUNTS_H_
