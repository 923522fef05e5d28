#include "store/counts_pace.h"

#include <gtest/gtest.h>

namespace cctv::store {
namespace {

using std::chrono::milliseconds;

TEST(CountsPace, ASecondAfterQuickWrites) {
  EXPECT_EQ(pause_after_counts_write(milliseconds(0)), milliseconds(1000));
  EXPECT_EQ(pause_after_counts_write(milliseconds(40)), milliseconds(1000));
  EXPECT_EQ(pause_after_counts_write(milliseconds(100)), milliseconds(1000));
}

TEST(CountsPace, TenTimesALongWriteUpToTenSeconds) {
  EXPECT_EQ(pause_after_counts_write(milliseconds(250)), milliseconds(2500));
  EXPECT_EQ(pause_after_counts_write(milliseconds(999)), milliseconds(9990));
  EXPECT_EQ(pause_after_counts_write(milliseconds(1000)), milliseconds(10000));
  EXPECT_EQ(pause_after_counts_write(std::chrono::minutes(5)), milliseconds(10000));
}

}  // namespace
}  // namespace cctv::store
