#include "store/counts_pace.h"

#include <gtest/gtest.h>

namespace cctv::store {
namespace {

using std::chrono::milliseconds;

TEST(CountsPace, ASecondApartWithFewTargets) {
  EXPECT_FALSE(counts_write_due(milliseconds(999), 100, 1));
  EXPECT_TRUE(counts_write_due(milliseconds(1000), 100, 1));
  EXPECT_TRUE(counts_write_due(milliseconds(1000), 1'000'000, 1000));
  // Nothing gathered: due all the same (the write is then a no-op).
  EXPECT_TRUE(counts_write_due(milliseconds(1000), 0, 0));
}

TEST(CountsPace, AMillisecondPerTargetTouchedUpToTenSeconds) {
  EXPECT_FALSE(counts_write_due(milliseconds(4999), 100'000, 5000));
  EXPECT_TRUE(counts_write_due(milliseconds(5000), 100'000, 5000));
  EXPECT_FALSE(counts_write_due(milliseconds(9999), 100'000, 100'000));
  EXPECT_TRUE(counts_write_due(milliseconds(10'000), 100'000, 100'000));
  EXPECT_TRUE(counts_write_due(std::chrono::minutes(5), 1, 1'000'000));
}

TEST(CountsPace, AsSoonAsAMillionActivitiesHaveGathered) {
  EXPECT_FALSE(counts_write_due(milliseconds(2000), kMostGatheredActivities - 1, 100'000));
  EXPECT_TRUE(counts_write_due(milliseconds(2000), kMostGatheredActivities, 100'000));
  // But never sooner than a second after the last write.
  EXPECT_FALSE(counts_write_due(milliseconds(500), 10 * kMostGatheredActivities, 100'000));
}

TEST(CountsPace, AsSoonAsWhatGatheredHoldsItsShareOfTheBudget) {
  EXPECT_FALSE(counts_write_due(milliseconds(1500), 1000, 100'000, 31 << 20, 32 << 20));
  EXPECT_TRUE(counts_write_due(milliseconds(1500), 1000, 100'000, 32 << 20, 32 << 20));
  // Never sooner than a second either.
  EXPECT_FALSE(counts_write_due(milliseconds(900), 1000, 100'000, 64 << 20, 32 << 20));
}

}  // namespace
}  // namespace cctv::store
