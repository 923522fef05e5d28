// Tracker::record_batch(): many activities queued as one group, and word
// of when the store holds them -- on a real RocksDB.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "cctv/cctv.h"
#include "support/temp_dir.h"

namespace cctv {
namespace {

const Timestamp kT0 = parse_time("2026-11-01T10:00:00Z");

Activity activity(const std::string& actor, const std::string& target, int i) {
  return Activity{actor, target, kT0 + Microseconds(i), kNoId, {{"i", i}}};
}

// Waits for on_stored, and checks what the store holds when it comes.
struct Stored {
  std::mutex mu;
  std::condition_variable cv;
  int calls = 0;
  BatchStored outcome;
  std::size_t visible = 0;  // activities on the target when it was called

  BatchOptions options(Tracker& t, const std::string& target, bool sync = false) {
    BatchOptions o;
    o.sync = sync;
    o.on_stored = [this, t, target](const BatchStored& s) mutable {
      // Readable (stored) by the time it is called. A view is allowed here:
      // it does not record, flush or close.
      ViewOptions v;
      v.limit = kMaxViewLimit;
      const std::size_t n = t.view_activity(target, TimeRange::all(), v).activities.size();
      std::lock_guard lock(mu);
      ++calls;
      outcome = s;
      visible = n;
      cv.notify_all();
    };
    return o;
  }
  void wait() {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(20), [&] { return calls > 0; }));
  }
};

TEST(RecordBatch, AcceptsTheValidOnesAndSaysWhenTheyAreStored) {
  testing::TempDir dir;
  Client client = Client::open(dir.store());
  Tracker t = client.tracker("events");
  std::vector<Activity> batch;
  for (int i = 0; i < 500; ++i) batch.push_back(activity("bob", "/x", i));
  batch[3].actor = "";                               // invalid
  batch[7].attributes.emplace_back("timestamp", 1);  // reserved
  batch[9].id = 0x1234;                              // supplied: kept
  Stored stored;
  const BatchResult r = t.record_batch(batch, stored.options(t, "/x"));
  ASSERT_EQ(r.ids.size(), 500u);
  EXPECT_EQ(r.accepted(), 498u);
  EXPECT_EQ(r.stopped_at, 500u);
  EXPECT_TRUE(r.refused.empty());
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[0].index, 3u);
  EXPECT_NE(r.errors[0].message.find("actor"), std::string::npos) << r.errors[0].message;
  EXPECT_EQ(r.errors[1].index, 7u);
  EXPECT_NE(r.errors[1].message.find("timestamp"), std::string::npos) << r.errors[1].message;
  EXPECT_EQ(r.ids[3], kNoId);
  EXPECT_EQ(r.ids[7], kNoId);
  EXPECT_EQ(r.ids[9], 0x1234u);
  stored.wait();
  EXPECT_EQ(stored.calls, 1);
  EXPECT_TRUE(stored.outcome.all_stored());
  EXPECT_EQ(stored.visible, 498u);  // all of them, before on_stored
  // The ids are the stored ones.
  std::set<ActivityId> ids(r.ids.begin(), r.ids.end());
  ids.erase(kNoId);
  t.for_each_activity(TimeRange::all(), [&](const Activity& a) { EXPECT_EQ(ids.erase(a.id), 1u); });
  EXPECT_TRUE(ids.empty());
}

TEST(RecordBatch, NothingAcceptedMeansNoCallAndNothingStored) {
  testing::TempDir dir;
  Client client = Client::open(dir.store());
  Tracker t = client.tracker("events");
  std::vector<Activity> batch = {activity("", "/x", 1), activity("bob", "", 2)};
  Stored stored;
  const BatchResult r = t.record_batch(batch, stored.options(t, "/x"));
  EXPECT_EQ(r.accepted(), 0u);
  EXPECT_EQ(r.errors.size(), 2u);
  client.flush();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(stored.calls, 0);
  EXPECT_EQ(t.record_batch({}).accepted(), 0u);
}

TEST(RecordBatch, ManyThreadsEachHearOnceAndEverythingIsStored) {
  testing::TempDir dir;
  Client client = Client::open(dir.store());
  Tracker t = client.tracker("events");
  constexpr int kThreads = 4;
  constexpr int kBatches = 200;
  std::atomic<int> heard{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int th = 0; th < kThreads; ++th) {
    threads.emplace_back([&, th] {
      for (int b = 0; b < kBatches; ++b) {
        std::vector<Activity> batch;
        for (int i = 0; i < 20; ++i)
          batch.push_back(activity("u" + std::to_string(th), "/t", b * 20 + i));
        BatchOptions o;
        o.sync = b % 10 == 0;
        o.on_stored = [&](const BatchStored& s) {
          if (!s.all_stored()) ++failed;
          ++heard;
        };
        EXPECT_EQ(t.record_batch(batch, o).accepted(), 20u);
      }
    });
  }
  for (auto& th : threads) th.join();
  client.flush();  // flush() returns after every write, so every batch has heard
  EXPECT_EQ(heard.load(), kThreads * kBatches);
  EXPECT_EQ(failed.load(), 0);
  std::size_t n = 0;
  t.for_each_activity(TimeRange::all(), [&](const Activity&) { ++n; });
  EXPECT_EQ(n, static_cast<std::size_t>(kThreads * kBatches * 20));
}

// flush() returns once the batches it covers have heard, not only once
// their activities are written: the writer thread tells a batch after the
// write, and a caller that flushes then reads what on_stored recorded.
TEST(RecordBatch, FlushReturnsOnlyOnceTheBatchesItCoversHaveHeard) {
  testing::TempDir dir;
  Client client = Client::open(dir.store());
  Tracker t = client.tracker("events");
  for (int round = 0; round < 3; ++round) {
    std::atomic<bool> heard{false};
    BatchOptions o;
    o.on_stored = [&](const BatchStored&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));  // a slow listener
      heard = true;
    };
    const std::vector<Activity> batch = {activity("ann", "/t", round)};
    EXPECT_EQ(t.record_batch(batch, o).accepted(), 1u);
    client.flush();
    EXPECT_TRUE(heard.load()) << "round " << round;
  }
}

TEST(RecordBatch, AFullQueueStopsTheBatchAndSaysWhere) {
  testing::TempDir dir;
  ClientOptions options;
  options.max_queued_activities = 1;  // raised to the pipeline's floor of one
  options.enqueue_timeout = std::chrono::milliseconds(0);
  Client client = Client::open(dir.store(), options);
  Tracker t = client.tracker("events");
  std::vector<Activity> batch;
  for (int i = 0; i < 100'000; ++i) batch.push_back(activity("bob", "/x", i));
  Stored stored;
  const BatchResult r = t.record_batch(batch, stored.options(t, "/x"));
  ASSERT_LT(r.stopped_at, batch.size()) << "a queue of one took 100,000 at once";
  EXPECT_GT(r.stopped_at, 0u);
  EXPECT_NE(r.refused.find("the ingest queue stayed full"), std::string::npos) << r.refused;
  EXPECT_EQ(r.accepted(), r.stopped_at);
  for (std::size_t i = r.stopped_at; i < batch.size(); ++i) ASSERT_EQ(r.ids[i], kNoId) << i;
  stored.wait();
  EXPECT_TRUE(stored.outcome.all_stored());
  EXPECT_EQ(stored.visible, r.stopped_at);
}

TEST(RecordBatch, AReadOnlyOrClosedClientThrowsAndAcceptsNothing) {
  testing::TempDir dir;
  {
    Client client = Client::open(dir.store());
    client.tracker("events");
  }
  ClientOptions read_only;
  read_only.read_only = true;
  Client reader = Client::open(dir.store(), read_only);
  Tracker r = reader.tracker("events");
  const std::vector<Activity> batch = {activity("bob", "/x", 1)};
  EXPECT_THROW(r.record_batch(batch), Error);
  Client writer_client = Client::open(dir.store());
  Tracker w = writer_client.tracker("events");
  writer_client.close();
  EXPECT_THROW(w.record_batch(batch), Error);
}

}  // namespace
}  // namespace cctv
