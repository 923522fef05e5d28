#include "core/validate.h"

#include <gtest/gtest.h>

#include "cctv/error.h"
#include "cctv/table.h"
#include "core/utf8.h"

namespace cctv::core {
namespace {

std::string field_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const InvalidArgument& e) {
    return e.field();
  }
  return "<accepted>";
}

TEST(CheckKey, LengthLimits) {
  EXPECT_NO_THROW(check_key("actor", "b"));
  EXPECT_NO_THROW(check_key("actor", std::string(1024, 'x')));
  EXPECT_EQ(field_of([] { check_key("actor", ""); }), "actor");
  EXPECT_EQ(field_of([] { check_key("target", std::string(1025, 'x')); }), "target");
}

TEST(CheckKey, Utf8) {
  EXPECT_NO_THROW(check_key("target", "/store/caf\xc3\xa9/\xe2\x82\xac/\xf0\x9f\x98\x80"));
  EXPECT_EQ(field_of([] { check_key("target", "/x\xff"); }), "target");
  EXPECT_EQ(field_of([] { check_key("target", "\xc0\xaf"); }), "target");          // overlong '/'
  EXPECT_EQ(field_of([] { check_key("target", "\xed\xa0\x80"); }), "target");      // surrogate
  EXPECT_EQ(field_of([] { check_key("target", "\xe2\x82"); }), "target");          // truncated
  EXPECT_EQ(field_of([] { check_key("target", "\xf4\x90\x80\x80"); }), "target");  // > U+10FFFF
}

TEST(Utf8, FindsTheFirstBadByte) {
  EXPECT_EQ(find_invalid_utf8("abcdefghijklmnop"), std::string_view::npos);
  EXPECT_EQ(find_invalid_utf8("abcdefghij\x80klm"), 10u);
  EXPECT_EQ(find_invalid_utf8(std::string_view("a\0b", 3)), std::string_view::npos);
}

TEST(TableName, DynamoRule) {
  EXPECT_TRUE(is_valid_table_name("store-pageviews"));
  EXPECT_TRUE(is_valid_table_name("a.b_c-D9"));
  EXPECT_TRUE(is_valid_table_name(std::string(255, 'a')));
  EXPECT_FALSE(is_valid_table_name("ab"));
  EXPECT_FALSE(is_valid_table_name(std::string(256, 'a')));
  EXPECT_FALSE(is_valid_table_name("page views"));
  EXPECT_FALSE(is_valid_table_name("views#actor"));
  EXPECT_FALSE(is_valid_table_name("vi/ews"));
  EXPECT_EQ(field_of([] { check_table_name("x y"); }), "table name");
}

TEST(CheckRange, RejectsEmptyAndClamps) {
  const Timestamp t(Microseconds(5'000'000));
  EXPECT_EQ(field_of([&] { check_range(TimeRange{t, t}); }), "time range");
  EXPECT_EQ(field_of([&] { check_range(TimeRange{t, t - Microseconds(1)}); }), "time range");
  const TimeRange wide{Timestamp(Microseconds(-100)), kMaxTime + Microseconds(100)};
  const TimeRange clamped = check_range(wide);
  EXPECT_EQ(clamped.from, kMinTime);
  EXPECT_EQ(clamped.to, kMaxTime);
}

TEST(CheckTime, StoreDomain) {
  EXPECT_NO_THROW(check_time("time", kMinTime));
  EXPECT_NO_THROW(check_time("time", kMaxTime - Microseconds(1)));
  EXPECT_EQ(field_of([] { check_time("time", kMaxTime); }), "time");
  EXPECT_EQ(field_of([] { check_time("time", kMinTime - Microseconds(1)); }), "time");
}

}  // namespace
}  // namespace cctv::core
