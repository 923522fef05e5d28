// What the counts aggregator holds, and that it gives memory back once
// targets stop coming: the store's counts budget counts on it.
#include "core/count_aggregator.h"

#include <gtest/gtest.h>

#include <string>

namespace cctv::core {
namespace {

TEST(CountAggregator, MemoryGrowsWithTargetsAndIsGivenBackWhenTheyGo) {
  CountAggregator a;
  const std::size_t empty = a.memory();
  for (int i = 0; i < 100'000; ++i) {
    a.select("/a/page/that/is/new/" + std::to_string(i));
    a.add(1000, 7);
  }
  const std::size_t full = a.memory();
  // At least the targets themselves and their names.
  EXPECT_GT(full, empty + 100'000 * (sizeof(std::string) + 20));
  std::size_t visited = 0;
  a.summarize([&](const std::string&, const TallySummary&) { ++visited; });
  EXPECT_EQ(visited, 100'001u);  // and the whole table
  // Kept one interval (a target active now is likely active next), then
  // given back when idle.
  a.summarize([](const std::string&, const TallySummary&) {});
  EXPECT_LT(a.memory(), full / 10);
  EXPECT_EQ(a.touched(), 0u);
}

TEST(CountAggregator, ABurstOnOneTargetDoesNotKeepItsListForever) {
  CountAggregator a;
  a.select("/hot");
  for (int i = 0; i < 1'000'000; ++i) a.add(1000 + i % 60, static_cast<std::uint32_t>(i));
  const std::size_t burst = a.memory();
  EXPECT_GT(burst, 1'000'000 * 8u);
  a.summarize([](const std::string&, const TallySummary&) {});
  a.select("/hot");
  a.add(2000, 1);
  EXPECT_LT(a.memory(), burst / 100);
}

}  // namespace
}  // namespace cctv::core
