#include "core/hyperloglog.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>

namespace cctv::core {
namespace {

std::string actor(std::int64_t i) { return "actor-" + std::to_string(i); }

double relative_error(std::int64_t estimate, std::int64_t truth) {
  return std::abs(static_cast<double>(estimate - truth)) / static_cast<double>(truth);
}

TEST(HyperLogLog, SmallCountsAreNearlyExact) {
  HyperLogLog sketch;
  EXPECT_TRUE(sketch.empty());
  EXPECT_EQ(sketch.estimate(), 0);
  sketch.add("bob");
  EXPECT_EQ(sketch.estimate(), 1);
  for (int i = 0; i < 100; ++i) sketch.add(actor(i));
  EXPECT_NEAR(static_cast<double>(sketch.estimate()), 101, 1);
  // Adding the same actors again changes nothing.
  for (int i = 0; i < 100; ++i) sketch.add(actor(i));
  EXPECT_NEAR(static_cast<double>(sketch.estimate()), 101, 1);
}

TEST(HyperLogLog, WithinTwoPercentAtOneMillionDistinctActors) {
  HyperLogLog sketch;
  for (std::int64_t i = 0; i < 1'000'000; ++i) sketch.add(actor(i));
  EXPECT_LE(relative_error(sketch.estimate(), 1'000'000), 0.02) << sketch.estimate();
  // And at every order of magnitude on the way (sparse and dense forms).
  for (std::int64_t n : {10, 1'000, 5'000, 50'000, 300'000}) {
    HyperLogLog s;
    for (std::int64_t i = 0; i < n; ++i) s.add("user" + std::to_string(i * 7919));
    EXPECT_LE(relative_error(s.estimate(), n), 0.02) << n << " -> " << s.estimate();
  }
}

TEST(HyperLogLog, UnionOfDaysEqualsTheWeekWithoutTheActors) {
  // Seven days of 20,000 actors each, overlapping by half from day to day.
  HyperLogLog week_direct;
  std::string encoded_days[7];
  for (int day = 0; day < 7; ++day) {
    HyperLogLog d;
    for (std::int64_t i = 0; i < 20'000; ++i) {
      d.add(actor(day * 10'000 + i));
      week_direct.add(actor(day * 10'000 + i));
    }
    d.encode(encoded_days[day]);
  }
  HyperLogLog week;
  for (const auto& e : encoded_days) ASSERT_TRUE(week.merge_encoded(e));
  EXPECT_EQ(week.estimate(), week_direct.estimate());
  EXPECT_LE(relative_error(week.estimate(), 80'000), 0.02) << week.estimate();
}

TEST(HyperLogLog, EncodeRoundTripsSparseAndDense) {
  for (int n : {0, 3, 2'000, 100'000}) {
    HyperLogLog s;
    for (int i = 0; i < n; ++i) s.add(actor(i));
    std::string encoded;
    s.encode(encoded);
    HyperLogLog back;
    ASSERT_TRUE(back.merge_encoded(encoded)) << n;
    EXPECT_EQ(back.estimate(), s.estimate()) << n;
    std::string again;
    back.encode(again);
    EXPECT_EQ(again, encoded) << n;
  }
  HyperLogLog small;
  small.add("x");
  std::string encoded;
  small.encode(encoded);
  EXPECT_LT(encoded.size(), 8u) << "a one-actor sketch should cost a few bytes";
}

TEST(HyperLogLog, MergingSparseIntoDenseAndBack) {
  HyperLogLog big, small, both;
  for (int i = 0; i < 50'000; ++i) big.add(actor(i));
  for (int i = 49'000; i < 50'500; ++i) small.add(actor(i));
  both.merge(small);
  both.merge(big);
  HyperLogLog other_order;
  other_order.merge(big);
  other_order.merge(small);
  EXPECT_EQ(both.estimate(), other_order.estimate());
  HyperLogLog direct;
  for (int i = 0; i < 50'500; ++i) direct.add(actor(i));
  EXPECT_EQ(both.estimate(), direct.estimate());
}

TEST(HyperLogLog, MalformedInputIsRefused) {
  HyperLogLog s;
  EXPECT_FALSE(s.merge_encoded(""));
  EXPECT_FALSE(s.merge_encoded("X"));
  EXPECT_FALSE(s.merge_encoded("D123"));
  EXPECT_FALSE(s.merge_encoded(std::string("S\x05\x01", 3)));      // 5 entries promised, 1 given
  EXPECT_FALSE(s.merge_encoded(std::string("S\x01\x3f", 3)));      // rank 63 > 51
  EXPECT_FALSE(s.merge_encoded(std::string("S\x01\x01\x01", 4)));  // trailing bytes
}

TEST(HyperLogLog, ActorHashSpreadsSimilarNames) {
  // The top 14 bits pick the register: similar names must not share them.
  std::set<std::uint64_t> registers;
  for (int i = 0; i < 1000; ++i) registers.insert(actor_hash(actor(i)) >> 50);
  EXPECT_GT(registers.size(), 960u);
}

}  // namespace
}  // namespace cctv::core
