// The embedded store on a disk that fills up with no floor kept free
// (min_free_mb=0), as a library user sees it: a write that meets the full
// disk waits for room in the log rather than failing (a failed log append
// left RocksDB unable to write again), flush() says the disk is full
// instead of waiting with it, and once there is room the write completes.
// Each test mounts a tmpfs of its own, which needs root (as CI runs).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <thread>

#include "cctv/cctv.h"
#include "support/small_disk.h"

namespace cctv {
namespace {

namespace fs = std::filesystem;

std::size_t stored_on(Client& client, const std::string& target) {
  return client.tracker("events").view_activity(target).activities.size();
}

TEST(FullDisk, AWriteThatMeetsAFullDiskWaitsForRoomAndFlushSaysSo) {
  testing::SmallDisk disk(32);
  if (!disk.mounted()) GTEST_SKIP() << "mounting a tmpfs needs root";
  const std::string store = "rocksdb:" + disk.file("store") + "?min_free_mb=0";
  {
    Client client = Client::open(store);
    client.tracker("events").record_activity("amy", "/before");
    client.flush();
  }
  // Reopened: nothing in its memtables, so the first write is the one that
  // used to leave the store unable to write.
  Client client = Client::open(store);
  disk.fill("hog", 32);
  client.tracker("events").record_activity("bob", "/during");
  try {
    client.flush();
    ADD_FAILURE() << "flushed onto a full disk";
  } catch (const StoreFull& e) {
    EXPECT_NE(std::string(e.what()).find("waiting for room"), std::string::npos) << e.what();
  }
  const StoreHealth full = client.health();
  EXPECT_FALSE(full.writable);
  EXPECT_TRUE(full.disk_full);
  EXPECT_THROW(client.create_table("more"), StoreFull);
  EXPECT_EQ(stored_on(client, "/before"), 1u) << "reads go on";

  fs::remove(disk.file("hog"));
  client.flush();  // the waiting write completes
  EXPECT_EQ(stored_on(client, "/during"), 1u);
  // The gate reopens at the store's next look at its disk, within a second.
  for (int i = 0; i < 50; ++i) {
    try {
      client.tracker("events").record_activity("cy", "/after");
      break;
    } catch (const StoreFull&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  client.flush();
  EXPECT_EQ(stored_on(client, "/after"), 1u);
  client.close();
  Client again = Client::open(store);
  EXPECT_EQ(stored_on(again, "/during"), 1u);
  EXPECT_EQ(stored_on(again, "/after"), 1u);
}

}  // namespace
}  // namespace cctv
