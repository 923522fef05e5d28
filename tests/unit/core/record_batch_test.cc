#include "core/record_batch.h"

#include <gtest/gtest.h>

namespace cctv::core {
namespace {

TEST(RecordBatch, KeepsEveryField) {
  RecordBatch batch;
  for (int i = 0; i < 1000; ++i) {
    batch.append(static_cast<std::uint32_t>(i % 3), i * 10, 1000 + i, "actor" + std::to_string(i),
                 "target" + std::to_string(i), std::string(static_cast<std::size_t>(i % 5), 'x'));
  }
  ASSERT_EQ(batch.size(), 1000u);
  for (int i = 0; i < 1000; ++i) {
    const RecordView r = batch[static_cast<std::size_t>(i)];
    EXPECT_EQ(r.table, static_cast<std::uint32_t>(i % 3));
    EXPECT_EQ(r.time_us, i * 10);
    EXPECT_EQ(r.id, 1000u + static_cast<std::uint64_t>(i));
    EXPECT_EQ(r.actor, "actor" + std::to_string(i));
    EXPECT_EQ(r.target, "target" + std::to_string(i));
    EXPECT_EQ(r.attributes, std::string(static_cast<std::size_t>(i % 5), 'x'));
  }
  batch.clear();
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(batch.bytes(), 0u);
}

}  // namespace
}  // namespace cctv::core
