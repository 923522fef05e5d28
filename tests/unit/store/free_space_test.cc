// The embedded store's free-space floor and how it speaks of bytes.
#include "store/embedded/free_space.h"

#include <gtest/gtest.h>

#include "cctv/error.h"
#include "store/embedded/embedded_uri.h"

namespace cctv::store::embedded {
namespace {

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;
constexpr std::uint64_t kGiB = kMiB << 10;

TEST(FreeSpace, TheDefaultFloorIsFivePercentWithinItsBounds) {
  const std::uint64_t memtables = 192 * kMiB;
  // 5% of 100 GiB is 5 GiB: held to 4 GiB.
  EXPECT_EQ(default_floor(100 * kGiB, memtables), 4 * kGiB);
  // 5% of 20 GiB is 1 GiB.
  EXPECT_EQ(default_floor(20 * kGiB, memtables), 20 * kGiB / 20);
  // 5% of 4 GiB is under twice the memtables plus 256 MiB: that, then.
  EXPECT_EQ(default_floor(4 * kGiB, memtables), 2 * memtables + 256 * kMiB);
  // A small disk: never more than half of it.
  EXPECT_EQ(default_floor(500 * kMiB, memtables), 250 * kMiB);
}

TEST(FreeSpace, BytesForPeople) {
  EXPECT_EQ(format_bytes(512), "512 bytes");
  EXPECT_EQ(format_bytes(4096), "4.0 KiB");
  EXPECT_EQ(format_bytes(830 * kMiB), "830 MiB");
  EXPECT_EQ(format_bytes(kGiB + kGiB / 5), "1.2 GiB");
}

TEST(FreeSpace, TheDiskOfADirectoryIsRead) {
  const auto space = disk_space("/");
  ASSERT_TRUE(space.has_value());
  EXPECT_GT(space->size, 0u);
  EXPECT_LE(space->free, space->size);
  EXPECT_FALSE(disk_space("/no/such/directory").has_value());
}

TEST(FreeSpace, TheFloorIsSetInTheStoreUri) {
  EXPECT_FALSE(parse_embedded_uri("rocksdb:/d").min_free_mb.has_value());
  EXPECT_EQ(parse_embedded_uri("rocksdb:/d?min_free_mb=512").min_free_mb, 512u);
  EXPECT_EQ(parse_embedded_uri("rocksdb:/d?min_free_mb=0").min_free_mb, 0u);
  EXPECT_THROW(parse_embedded_uri("rocksdb:/d?min_free_mb=lots"), InvalidArgument);
}

}  // namespace
}  // namespace cctv::store::embedded
