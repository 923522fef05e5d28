// Time in cctv: UTC instants with microsecond precision, the ranges views
// and exports ask for, and the text forms people type.
//
// Every store keeps times between 1970-01-01T00:00:00Z (inclusive) and
// 2286-11-20T17:46:40Z (exclusive): ten digits of epoch seconds, the range
// DynamoDB's sort key can hold, so data can move between stores.
//
// All functions here are thread-safe.
#ifndef CCTV_TIME_H_
#define CCTV_TIME_H_

#include <chrono>
#include <string>
#include <string_view>

#include "cctv/export.h"

namespace cctv {

using Microseconds = std::chrono::microseconds;
// A UTC instant, microseconds since the Unix epoch.
using Timestamp = std::chrono::sys_time<Microseconds>;

// The first instant a store can hold (the epoch).
inline constexpr Timestamp kMinTime{Microseconds{0}};
// One past the last instant a store can hold (epoch second 10^10).
inline constexpr Timestamp kMaxTime{Microseconds{10'000'000'000LL * 1'000'000LL}};

// Returns the current time, truncated to microseconds.
CCTV_EXPORT Timestamp now() noexcept;

// A half-open range of time, [from, to). The default range is everything.
struct CCTV_EXPORT TimeRange {
  Timestamp from = kMinTime;
  Timestamp to = kMaxTime;

  static TimeRange all() noexcept { return {}; }
  static TimeRange since(Timestamp from) noexcept { return {from, kMaxTime}; }
  static TimeRange between(Timestamp from, Timestamp to) noexcept { return {from, to}; }
  // The last `span` up to now, e.g. TimeRange::last(std::chrono::hours(24)).
  static TimeRange last(Microseconds span) noexcept;

  bool contains(Timestamp t) const noexcept { return from <= t && t < to; }
  friend bool operator==(const TimeRange&, const TimeRange&) = default;
};

// Parses a time a person or a program wrote. Accepted forms:
//   ISO 8601 / RFC 3339: 2026-11-01, 2026-11-01T10:00, 2026-11-01T10:00:00Z,
//     2026-11-01 10:00:00.123456+02:00, offsets +02:00 / +0200 / -05 / Z;
//     a date or time without an offset is UTC; fractional seconds beyond
//     microseconds are truncated.
//   Epoch seconds: 1790000000 or 1790000000.25.
//   Relative to `reference`: now, today (00:00 UTC), yesterday, -30s, -30m,
//     -1h, -7d, -2w (a bare 7d also means 7 days ago; +1h is ahead).
// Throws InvalidArgument naming `field` when the text is none of these or lies
// outside [kMinTime, kMaxTime].
CCTV_EXPORT Timestamp parse_time(std::string_view text, Timestamp reference,
                                 std::string_view field = "time");
inline Timestamp parse_time(std::string_view text) { return parse_time(text, now()); }

// Parses a span a person wrote: a number and a unit -- 90s, 30m, 12h, 90d, 2w,
// 1y (365 days) -- or "forever" / "0" (zero: no limit, as retentions use
// it). Throws InvalidArgument naming `field` otherwise.
CCTV_EXPORT std::chrono::seconds parse_duration(std::string_view text, std::string_view field = "duration");

// Formats as RFC 3339 UTC with six fractional digits:
// 2026-11-01T10:00:00.000000Z.
CCTV_EXPORT std::string format_time(Timestamp t);

}  // namespace cctv

#endif  // CCTV_TIME_H_
