#include "core/hash_index64.h"

#include <gtest/gtest.h>

#include <random>
#include <unordered_map>

namespace cctv::core {
namespace {

// Batches of random keys -- repeated, differing only in their high bits,
// 0 among them -- find what std::unordered_map's emplace finds; each
// batch starts empty, in an array kept from the one before.
TEST(HashIndex64, FindsTheFirstPositionOfEachKeyAsAStandardMapDoes) {
  std::mt19937_64 rng(5);
  HashIndex64 index;
  for (int batch = 0; batch < 200; ++batch) {
    const std::size_t n = rng() % 2000;
    index.reset(n);
    std::unordered_map<std::uint64_t, std::uint32_t> expected;
    for (std::uint32_t i = 0; i < n; ++i) {
      const std::uint64_t k = rng() % 700;
      const std::uint64_t key = k % 3 == 0 ? k : k << 40;
      ASSERT_EQ(index.find_or_insert(key, i), expected.emplace(key, i).first->second)
          << "batch " << batch << ", key " << key;
    }
    EXPECT_EQ(index.size(), expected.size());
  }
}

TEST(HashIndex64, MoreKeysThanPromisedAreStillKept) {
  HashIndex64 index;
  index.reset(4);
  for (std::uint32_t i = 0; i < 1000; ++i) ASSERT_EQ(index.find_or_insert(i * 7919, i), i);
  for (std::uint32_t i = 0; i < 1000; ++i) ASSERT_EQ(index.find_or_insert(i * 7919, 5000), i);
  EXPECT_EQ(index.size(), 1000u);
}

}  // namespace
}  // namespace cctv::core
