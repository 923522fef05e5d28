// Many threads recording at once lose nothing.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>
#include <utility>

#include "cctv/cctv.h"
#include "support/pages.h"
#include "support/temp_dir.h"

namespace cctv {
namespace {

TEST(Concurrency, EightThreadsRecordingLoseNothing) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 25'000;
  testing::TempDir dir;
  Client client = Client::open(dir.store());
  Tracker t = client.tracker("events");
  std::vector<std::vector<ActivityId>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int th = 0; th < kThreads; ++th) {
    threads.emplace_back([&, th] {
      // Each thread its own tracker handle for some, the shared one for others.
      Tracker mine = th % 2 == 0 ? t : client.tracker("events");
      for (int i = 0; i < kPerThread; ++i) {
        ids[th].push_back(mine.record_activity("user" + std::to_string(th),
                                               "/page/" + std::to_string(i % 100),
                                               {{"thread", th}, {"i", i}}));
      }
    });
  }
  for (auto& th : threads) th.join();
  t.flush();

  std::set<ActivityId> expected;
  for (const auto& v : ids) expected.insert(v.begin(), v.end());
  ASSERT_EQ(expected.size(), static_cast<std::size_t>(kThreads * kPerThread)) << "duplicate ids";
  std::set<ActivityId> stored;
  t.for_each_activity(TimeRange::all(), [&](const Activity& a) { stored.insert(a.id); });
  EXPECT_EQ(stored, expected);
  // And the actor index holds each thread's activities.
  for (int th = 0; th < kThreads; ++th) {
    const std::size_t n =
        testing::all_pages(t, true, "user" + std::to_string(th), testing::pages_of(kMaxViewLimit)).size();
    EXPECT_EQ(n, static_cast<std::size_t>(kPerThread)) << "thread " << th;
  }
}

TEST(Concurrency, BackpressureRefusesButNeverDropsAnAcceptedActivity) {
  testing::TempDir dir;
  ClientOptions options;
  options.max_queued_activities = 1;  // the smallest queue there is
  options.enqueue_timeout = std::chrono::milliseconds(0);
  Client client = Client::open(dir.store(), options);
  Tracker t = client.tracker("events");
  std::atomic<std::uint64_t> refused{0};
  std::vector<std::vector<ActivityId>> accepted(4);
  std::vector<std::thread> threads;
  for (int th = 0; th < 4; ++th) {
    threads.emplace_back([&, th] {
      for (int i = 0; i < 20'000; ++i) {
        try {
          accepted[th].push_back(t.record_activity("u", "/x", {{"i", i}}));
        } catch (const Backpressure&) {
          ++refused;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  t.flush();
  std::set<ActivityId> expected;
  for (const auto& v : accepted) expected.insert(v.begin(), v.end());
  std::set<ActivityId> stored;
  t.for_each_activity(TimeRange::all(), [&](const Activity& a) { stored.insert(a.id); });
  EXPECT_EQ(stored, expected);
  EXPECT_EQ(expected.size() + refused.load(), 80'000u);
  // With one slot and no waiting, four producers outrun one writer.
  EXPECT_GT(refused.load(), 0u);
}

TEST(Concurrency, ViewsWhileWriting) {
  constexpr int kTotal = 50'000;
  constexpr int kHalf = kTotal / 2;
  constexpr std::size_t kLimit = 100;
  testing::TempDir dir;
  Client client = Client::open(dir.store());
  Tracker t = client.tracker("events");
  // The writer stops halfway, once the first half is written, until a view
  // has been taken: so at least one view runs mid-write with something to
  // see, however the two threads are scheduled.
  std::vector<ActivityId> ids(kTotal);
  std::atomic<bool> half_written{false};
  std::atomic<bool> viewed_half{false};
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; i < kTotal; ++i) {
      ids[i] = t.record_activity("bob", "/x", {{"i", i}});
      if (i == kHalf - 1) {
        t.flush();
        half_written = true;
        while (!viewed_half) std::this_thread::yield();
      }
    }
    stop = true;
  });

  // What the views saw, id -> attribute i; checked against `ids` once the
  // writer is done.
  std::map<ActivityId, std::int64_t> seen;
  while (!stop) {
    const bool after_half = half_written;
    ViewOptions options;
    options.limit = kLimit;
    const Page page = t.view_activity("/x", {}, options);
    // No ASSERT in this loop: returning early would leave the writer waiting.
    EXPECT_LE(page.activities.size(), kLimit);
    for (std::size_t k = 0; k < page.activities.size(); ++k) {
      const Activity& a = page.activities[k];
      EXPECT_EQ(a.actor, "bob");
      EXPECT_EQ(a.target, "/x");
      const Value* i = find(a.attributes, "i");
      if (i == nullptr || !i->is_int() || i->as_int() < 0 || i->as_int() >= kTotal) {
        ADD_FAILURE() << "activity " << format_id(a.id) << " without a valid i";
        continue;
      }
      const auto [it, inserted] = seen.emplace(a.id, i->as_int());
      EXPECT_TRUE(inserted || it->second == i->as_int()) << "id " << format_id(a.id) << " changed";
      if (k > 0) {
        // Newest first, each (time, id) strictly below the one before: no
        // activity twice in a page.
        const Activity& prev = page.activities[k - 1];
        EXPECT_TRUE(std::pair(a.time, a.id) < std::pair(prev.time, prev.id))
            << "out of order or repeated at " << k;
      }
    }
    if (after_half) {
      EXPECT_EQ(page.activities.size(), kLimit) << "a view missed the flushed first half";
      viewed_half = true;
    }
  }
  writer.join();

  // Every activity a view saw is one the writer recorded, with its own i.
  std::map<ActivityId, std::int64_t> recorded;
  for (int i = 0; i < kTotal; ++i) recorded.emplace(ids[i], i);
  ASSERT_EQ(recorded.size(), static_cast<std::size_t>(kTotal)) << "duplicate ids";
  for (const auto& [id, i] : seen) {
    const auto it = recorded.find(id);
    ASSERT_NE(it, recorded.end()) << "a view saw " << format_id(id) << ", never recorded";
    EXPECT_EQ(it->second, i) << format_id(id);
  }

  // Once flushed, all of them, each once, with the i it was recorded with.
  t.flush();
  std::map<ActivityId, std::int64_t> stored;
  for (const Activity& a : testing::all_pages(t, false, "/x", testing::pages_of(kMaxViewLimit))) {
    const Value* i = find(a.attributes, "i");
    ASSERT_TRUE(i != nullptr && i->is_int());
    EXPECT_TRUE(stored.emplace(a.id, i->as_int()).second) << format_id(a.id) << " twice";
  }
  EXPECT_EQ(stored, recorded);
}

}  // namespace
}  // namespace cctv

namespace cctv {
namespace {

TEST(Metrics, CountersThroughThePublicApi) {
  testing::TempDir dir;
  Client client = Client::open(dir.store());
  EXPECT_EQ(client.metrics().accepted, 0u);
  Tracker t = client.tracker("events");
  for (int i = 0; i < 5000; ++i) t.record_activity("bob", "/x", {{"i", i}});
  client.flush();
  const Metrics m = client.metrics();
  EXPECT_EQ(m.accepted, 5000u);
  EXPECT_EQ(m.written, 5000u);
  EXPECT_EQ(m.failed, 0u);
  EXPECT_EQ(m.retried, 0u);
  EXPECT_EQ(m.queue_depth, 0u);
  EXPECT_GE(m.batches, 1u);
  std::uint64_t in_buckets = 0;
  for (auto n : m.batch_latency_buckets) in_buckets += n;
  EXPECT_EQ(in_buckets, m.batches);
  EXPECT_GT(m.batch_latency_us_total, 0u);
  // A read-only client has no pipeline: all zero.
  client.close();
  ClientOptions read_only;
  read_only.read_only = true;
  EXPECT_EQ(Client::open(dir.store(), read_only).metrics().accepted, 0u);
}

TEST(Metrics, QueueDepthShowsWhatIsNotWrittenYet) {
  testing::TempDir dir;
  ClientOptions options;
  options.max_queued_activities = 1'000'000;
  Client client = Client::open(dir.store(), options);
  Tracker t = client.tracker("events");
  for (int i = 0; i < 200'000; ++i) t.record_activity("bob", "/x");
  const Metrics during = client.metrics();
  EXPECT_EQ(during.accepted, 200'000u);
  EXPECT_EQ(during.written + during.queue_depth, 200'000u);
  client.flush();
  EXPECT_EQ(client.metrics().queue_depth, 0u);
}

}  // namespace
}  // namespace cctv
