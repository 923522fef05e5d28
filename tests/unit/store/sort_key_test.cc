#include "store/dynamodb/sort_key.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace cctv::store::dynamodb {
namespace {

std::string key(std::int64_t t, std::uint64_t id) {
  std::string out;
  append_sort_key(out, t, id);
  return out;
}

TEST(SortKey, Format) {
  EXPECT_EQ(key(1411702475123456, 0x00c0ffee00c0ffeeULL), "1411702475.123456#00c0ffee00c0ffee");
  EXPECT_EQ(key(5, 1), "0000000000.000005#0000000000000001");
}

TEST(SortKey, ParsesBothForms) {
  auto k = parse_sort_key("1411702475.123456#00c0ffee00c0ffee", "/x");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->time_us, 1411702475123456);
  EXPECT_EQ(k->id, 0x00c0ffee00c0ffeeULL);
  EXPECT_FALSE(k->legacy);
  auto old = parse_sort_key("1411702475", "/store");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->time_us, 1411702475000000);
  EXPECT_TRUE(old->legacy);
  // The same item always gets the same id; another target another one.
  EXPECT_EQ(old->id, parse_sort_key("1411702475", "/store")->id);
  EXPECT_NE(old->id, parse_sort_key("1411702475", "/store2")->id);
  EXPECT_NE(old->id, 0u);
  for (const char* bad : {"", "141170247", "14117024750", "1411702475.12345#00c0ffee00c0ffee",
                          "1411702475.123456#00c0ffee00c0ffeg", "1411702475x123456#00c0ffee00c0ffee"}) {
    EXPECT_FALSE(parse_sort_key(bad, "/x")) << bad;
  }
}

TEST(SortKey, BoundsSelectExactlyTheHalfOpenRange) {
  // Keys of both forms at and around second and microsecond edges; the
  // string range [lower, upper] must hold exactly those with from <= t < to.
  std::vector<std::pair<std::int64_t, std::string>> keys;  // time, key
  std::mt19937_64 rng(5);
  for (std::int64_t s : {1411702474LL, 1411702475LL, 1411702476LL}) {
    keys.emplace_back(s * 1'000'000, std::to_string(s));  // the gem's
    for (std::int64_t us : {0LL, 1LL, 499'999LL, 500'000LL, 999'999LL}) {
      const std::int64_t t = s * 1'000'000 + us;
      keys.emplace_back(t, key(t, 0));
      keys.emplace_back(t, key(t, UINT64_MAX));
      keys.emplace_back(t, key(t, rng()));
    }
  }
  std::vector<std::int64_t> edges;
  for (std::int64_t s : {1411702474LL, 1411702475LL, 1411702476LL, 1411702477LL}) {
    for (std::int64_t us : {0LL, 1LL, 500'000LL, 999'999LL}) edges.push_back(s * 1'000'000 + us);
  }
  for (std::int64_t from : edges) {
    for (std::int64_t to : edges) {
      if (from >= to) continue;
      const std::string lo = lower_bound_key(from), hi = upper_bound_key(to);
      for (const auto& [t, k] : keys) {
        const bool in_range = from <= t && t < to;
        const bool selected = lo <= k && k <= hi;
        EXPECT_EQ(selected, in_range) << k << " for [" << from << ", " << to << ")";
      }
    }
  }
}

TEST(SortKey, TheEndOfTimeIsAboveEveryKey) {
  EXPECT_GT(upper_bound_key(10'000'000'000LL * 1'000'000), key(9'999'999'999'999'999LL, UINT64_MAX));
  EXPECT_LE(lower_bound_key(0), key(0, 0));
}

}  // namespace
}  // namespace cctv::store::dynamodb
