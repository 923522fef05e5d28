// Time buckets for counts: their widths, where each starts, and the plan of
// a series (its first bucket and how many) checked against the limits.
#ifndef CCTV_CORE_BUCKET_H_
#define CCTV_CORE_BUCKET_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "cctv/counts.h"
#include "cctv/time.h"

namespace cctv::core {

inline constexpr std::int64_t kMinuteUs = 60'000'000;
inline constexpr std::int64_t kHourUs = 60 * kMinuteUs;
inline constexpr std::int64_t kDayUs = 24 * kHourUs;

std::int64_t bucket_width_us(Bucket bucket) noexcept;

// a / b rounded toward minus infinity (b > 0): bucket numbers of times
// before an offset day's start are negative.
inline std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  const std::int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

// The number of the minute (hour, day) holding `time_us`, counted from the
// epoch: floor(time_us / width).
inline std::int64_t minute_of(std::int64_t time_us) noexcept { return time_us / kMinuteUs; }
inline std::int64_t day_of(std::int64_t time_us) noexcept { return time_us / kDayUs; }

// Splits minutes [from_minute, to_minute) into the fewest whole stored
// buckets -- UTC days, then hours up to a day's end, then minutes up to an
// hour's end -- and calls cover(bucket, first, n) for each run of n buckets
// starting at bucket number `first`, in time order. A run of hours or
// minutes never crosses a day or an hour.
void cover_minutes(
    std::int64_t from_minute, std::int64_t to_minute,
    const std::function<void(Bucket bucket, std::int64_t first, std::int64_t n)>& cover);

// A series to compute: `count` buckets of `bucket`, the first starting at
// `first_us` (shifted by the day offset for day buckets).
struct SeriesPlan {
  Bucket bucket;
  std::int64_t offset_us;  // days only; 0 otherwise
  std::int64_t first_us;   // start of the first bucket
  std::size_t count;
};

// Plans the buckets overlapping `range`, whole. Throws InvalidArgument for
// an empty or inverted range, an offset that is not whole minutes within
// +-14h, or more than kMaxSeriesBuckets buckets.
SeriesPlan plan_series(const TimeRange& range, Bucket bucket, const CountOptions& options);

// What a retention horizon leaves of stored counts: they are kept in items
// `item_us` wide (a whole number of `bucket`s) that expire whole once they
// end at or before `horizon_us`. Returns the first bucket number still
// visible; the lowest number when horizon_us <= 0 (nothing expires).
std::int64_t first_bucket_kept(Bucket bucket, std::int64_t item_us,
                               std::int64_t horizon_us) noexcept;

// Empties values[i] (bucket number first + i) for buckets before `kept`, so
// that expired counts read as zero before they are removed.
template <class T>
void clear_buckets_before(std::vector<T>& values, std::int64_t first, std::int64_t kept) {
  for (std::size_t i = 0; i < values.size() && first + static_cast<std::int64_t>(i) < kept; ++i)
    values[i] = T{};
}

}  // namespace cctv::core

#endif  // CCTV_CORE_BUCKET_H_
