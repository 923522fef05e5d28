#include "core/hash_set64.h"

#include <gtest/gtest.h>

#include <random>
#include <unordered_set>
#include <vector>

namespace cctv::core {
namespace {

// Random inserts, erases and lookups agree with std::unordered_set; keys
// are drawn from a small range (so that erases find what was inserted)
// spread over high and low bits, and include 0.
TEST(HashSet64, AgreesWithAStandardSetThroughInsertsAndErases) {
  std::mt19937_64 rng(7);
  HashSet64 set;
  std::unordered_set<std::uint64_t> expected;
  auto key = [&rng] {
    const std::uint64_t k = rng() % 3000;
    return k % 3 == 0 ? k : k << 40 | k;  // some differ only in high bits
  };
  for (int round = 0; round < 200'000; ++round) {
    const std::uint64_t k = key();
    switch (rng() % 3) {
      case 0:
        ASSERT_EQ(set.insert(k), expected.insert(k).second) << "insert " << k;
        break;
      case 1:
        ASSERT_EQ(set.erase(k), expected.erase(k) == 1) << "erase " << k;
        break;
      default:
        ASSERT_EQ(set.contains(k), expected.count(k) == 1) << "contains " << k;
    }
    ASSERT_EQ(set.size(), expected.size());
  }
  for (std::uint64_t k = 0; k < 3000; ++k) {
    EXPECT_EQ(set.contains(k), expected.count(k) == 1) << k;
    EXPECT_EQ(set.contains(k << 40 | k), expected.count(k << 40 | k) == 1) << k;
  }
}

// Erasing keys from the middle of probe runs (a table up to half full
// has many) keeps the rest of each run reachable: the backward shift.
TEST(HashSet64, ErasingFromProbeRunsKeepsTheRestFindable) {
  HashSet64 set;
  std::vector<std::uint64_t> keys;
  for (std::uint64_t i = 1; i <= 5000; ++i) keys.push_back(i * 0x100000001ULL);
  for (std::uint64_t k : keys) ASSERT_TRUE(set.insert(k));
  for (std::size_t i = 0; i < keys.size(); i += 2) ASSERT_TRUE(set.erase(keys[i]));
  for (std::size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(set.contains(keys[i]), i % 2 == 1) << i;
  EXPECT_EQ(set.size(), keys.size() / 2);
}

TEST(HashSet64, ClearEmptiesItAndItFillsAgain) {
  HashSet64 set;
  EXPECT_FALSE(set.contains(0));
  EXPECT_FALSE(set.erase(5));
  EXPECT_TRUE(set.insert(0));
  EXPECT_FALSE(set.insert(0));
  for (std::uint64_t k = 1; k < 100; ++k) set.insert(k);
  EXPECT_EQ(set.size(), 100u);
  set.clear();
  EXPECT_TRUE(set.empty());
  EXPECT_FALSE(set.contains(0));
  EXPECT_FALSE(set.contains(42));
  EXPECT_TRUE(set.insert(42));
  EXPECT_TRUE(set.contains(42));
}

}  // namespace
}  // namespace cctv::core
