#include "cctv/value.h"

#include <gtest/gtest.h>

#include "cctv/error.h"

namespace cctv {
namespace {

TEST(Value, HoldsEachType) {
  EXPECT_TRUE(Value().is_null());
  EXPECT_TRUE(Value(nullptr).is_null());
  EXPECT_EQ(Value(true).as_bool(), true);
  EXPECT_EQ(Value(42).as_int(), 42);
  EXPECT_EQ(Value(std::int64_t{-7}).as_int(), -7);
  EXPECT_EQ(Value(2.5).as_double(), 2.5);
  EXPECT_EQ(Value("VIP").as_string(), "VIP");  // not bool: const char* has its own constructor
  EXPECT_EQ(Value(std::string("s")).as_string(), "s");
  EXPECT_EQ(Value(List{1, "a"}).as_list().size(), 2u);
  EXPECT_EQ(Value(Map{{"k", 1}}).as_map().size(), 1u);
}

TEST(Value, ExactEquality) {
  EXPECT_NE(Value(1), Value(1.0));
  EXPECT_EQ(Value(1), Value(1L));
  EXPECT_EQ(Value(Map{{"a", List{1, 2}}}), Value(Map{{"a", List{1, 2}}}));
  EXPECT_NE(Value(Map{{"a", 1}, {"b", 2}}), Value(Map{{"b", 2}, {"a", 1}}));  // order is kept
}

TEST(Value, WrongTypeAccessThrows) {
  EXPECT_THROW(Value("x").as_int(), Error);
  EXPECT_THROW(Value(1).as_string(), Error);
  EXPECT_EQ(Value(3).as_number(), 3.0);
  EXPECT_THROW(Value("3").as_number(), Error);
}

TEST(Value, UnsignedAboveInt64Throws) {
  EXPECT_EQ(Value(std::uint64_t{INT64_MAX}).as_int(), INT64_MAX);
  EXPECT_THROW(Value(std::uint64_t{INT64_MAX} + 1), InvalidArgument);
}

TEST(Value, Find) {
  const Value v(Map{{"browser", "Chrome"}, {"n", 2}});
  ASSERT_NE(v.find("browser"), nullptr);
  EXPECT_EQ(v.find("browser")->as_string(), "Chrome");
  EXPECT_EQ(v.find("missing"), nullptr);
  EXPECT_EQ(Value(1).find("x"), nullptr);
}

}  // namespace
}  // namespace cctv
