#include "cctv/time.h"

#include <gtest/gtest.h>

#include "cctv/error.h"

namespace cctv {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

Timestamp at(std::int64_t epoch_seconds, std::int64_t micros = 0) {
  return Timestamp(seconds(epoch_seconds)) + Microseconds(micros);
}

// 2026-11-01T10:00:00Z
constexpr std::int64_t kNov1At10 = 1793527200;
const Timestamp kReference = at(kNov1At10, 123456);

TEST(ParseTime, IsoDatesAndTimes) {
  EXPECT_EQ(parse_time("2026-11-01", kReference), at(kNov1At10 - 10 * 3600));
  EXPECT_EQ(parse_time("2026-11-01T10:00:00Z", kReference), at(kNov1At10));
  EXPECT_EQ(parse_time("2026-11-01t10:00:00z", kReference), at(kNov1At10));
  EXPECT_EQ(parse_time("2026-11-01 10:00:00", kReference), at(kNov1At10));
  EXPECT_EQ(parse_time("2026-11-01T10:00", kReference), at(kNov1At10));
  EXPECT_EQ(parse_time("2026-11-01T10:00:00.5Z", kReference), at(kNov1At10, 500000));
  EXPECT_EQ(parse_time("2026-11-01T10:00:00.123456Z", kReference), at(kNov1At10, 123456));
  // Digits past microseconds are truncated.
  EXPECT_EQ(parse_time("2026-11-01T10:00:00.123456789Z", kReference), at(kNov1At10, 123456));
}

TEST(ParseTime, Offsets) {
  EXPECT_EQ(parse_time("2026-11-01T12:00:00+02:00", kReference), at(kNov1At10));
  EXPECT_EQ(parse_time("2026-11-01T12:00:00+0200", kReference), at(kNov1At10));
  EXPECT_EQ(parse_time("2026-11-01T05:00:00-05", kReference), at(kNov1At10));
  EXPECT_EQ(parse_time("2026-11-01T04:30:00-05:30", kReference), at(kNov1At10));
}

TEST(ParseTime, EpochSeconds) {
  EXPECT_EQ(parse_time("1411702475", kReference), at(1411702475));
  EXPECT_EQ(parse_time("1411702475.25", kReference), at(1411702475, 250000));
  EXPECT_EQ(parse_time("0", kReference), kMinTime);
}

TEST(ParseTime, RelativeForms) {
  EXPECT_EQ(parse_time("now", kReference), kReference);
  EXPECT_EQ(parse_time("NOW", kReference), kReference);
  EXPECT_EQ(parse_time("-30m", kReference), kReference - minutes(30));
  EXPECT_EQ(parse_time("-1h", kReference), kReference - hours(1));
  EXPECT_EQ(parse_time("-7d", kReference), kReference - hours(7 * 24));
  EXPECT_EQ(parse_time("7d", kReference), kReference - hours(7 * 24));
  EXPECT_EQ(parse_time("-2w", kReference), kReference - hours(14 * 24));
  EXPECT_EQ(parse_time("-45s", kReference), kReference - seconds(45));
  EXPECT_EQ(parse_time("+1h", kReference), kReference + hours(1));
  EXPECT_EQ(parse_time("today", kReference), at(kNov1At10 - 10 * 3600));
  EXPECT_EQ(parse_time("yesterday", kReference), at(kNov1At10 - 34 * 3600));
  EXPECT_EQ(parse_time("  -1h ", kReference), kReference - hours(1));
}

void expect_invalid(const std::string& text, const std::string& fragment) {
  try {
    parse_time(text, kReference, "--from");
    FAIL() << "accepted '" << text << "'";
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(e.field(), "--from");
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
        << "message for '" << text << "': " << e.what();
  }
}

TEST(ParseTime, RejectsWithAReason) {
  expect_invalid("", "is empty");
  expect_invalid("yesterdayish", "is not a time");
  expect_invalid("2026-13-01", "not a calendar date");
  expect_invalid("2026-02-30", "not a calendar date");
  expect_invalid("2026-11-01T25:00:00Z", "out-of-range time of day");
  expect_invalid("2026-11-01T10:00:00+25:00", "out-of-range UTC offset");
  expect_invalid("2026-11-01T10:00:00Zjunk", "is not a time");
  expect_invalid("1411702475000", "epoch milliseconds");
  expect_invalid("1969-12-31", "outside the times a store can hold");
  expect_invalid("2300-01-01", "outside the times a store can hold");
  expect_invalid("-3000w", "outside the times a store can hold");
  expect_invalid("-99999999999999d", "outside the times a store can hold");
  expect_invalid("-1y", "is not a time");
  expect_invalid("--5m", "is not a time");
  expect_invalid("+-9223372036854775808s", "is not a time");
}

TEST(FormatTime, Rfc3339WithMicroseconds) {
  EXPECT_EQ(format_time(at(kNov1At10)), "2026-11-01T10:00:00.000000Z");
  EXPECT_EQ(format_time(at(kNov1At10, 7)), "2026-11-01T10:00:00.000007Z");
  EXPECT_EQ(format_time(kMinTime), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(format_time(kMaxTime - Microseconds(1)), "2286-11-20T17:46:39.999999Z");
  EXPECT_EQ(format_time(at(951782400)), "2000-02-29T00:00:00.000000Z");
}

TEST(FormatTime, RoundTripsThroughParse) {
  for (std::int64_t s :
       std::initializer_list<std::int64_t>{0, 1, 951782399, 1411702475, kNov1At10, 9999999999}) {
    for (std::int64_t us : std::initializer_list<std::int64_t>{0, 1, 999999}) {
      const Timestamp t = at(s, us);
      EXPECT_EQ(parse_time(format_time(t), kReference), t) << format_time(t);
    }
  }
}

TEST(TimeRange, HalfOpen) {
  const TimeRange r = TimeRange::between(at(10), at(20));
  EXPECT_TRUE(r.contains(at(10)));
  EXPECT_TRUE(r.contains(at(19, 999999)));
  EXPECT_FALSE(r.contains(at(20)));
  EXPECT_TRUE(TimeRange::all().contains(kMinTime));
  const TimeRange last = TimeRange::last(hours(1));
  EXPECT_TRUE(last.contains(now() - minutes(30)));
}

TEST(ParseDuration, EveryUnitAndForever) {
  EXPECT_EQ(parse_duration("90s"), std::chrono::seconds(90));
  EXPECT_EQ(parse_duration("30m"), std::chrono::seconds(1800));
  EXPECT_EQ(parse_duration("12h"), std::chrono::seconds(12 * 3600));
  EXPECT_EQ(parse_duration("90d"), std::chrono::seconds(90 * 86400));
  EXPECT_EQ(parse_duration("2w"), std::chrono::seconds(14 * 86400));
  EXPECT_EQ(parse_duration("1y"), std::chrono::seconds(365 * 86400));
  EXPECT_EQ(parse_duration("forever"), std::chrono::seconds(0));
  EXPECT_EQ(parse_duration("0"), std::chrono::seconds(0));
  EXPECT_THROW(parse_duration("5x"), InvalidArgument);
  EXPECT_THROW(parse_duration("d"), InvalidArgument);
  EXPECT_THROW(parse_duration("1.5h"), InvalidArgument);
}

}  // namespace
}  // namespace cctv
