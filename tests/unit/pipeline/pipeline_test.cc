// The pipeline alone, in front of a write function the test controls: a
// gate to hold writes back, and failures to inject. (The tracker tests run
// it in front of a real RocksDB.)
#include "pipeline/pipeline.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "cctv/error.h"
#include "store/store.h"

namespace cctv::pipeline {
namespace {

using namespace std::chrono_literals;

// Records the ids it is given; can be closed to hold writes back, and can
// fail a number of writes.
class Sink {
 public:
  Pipeline::WriteFn fn() {
    return [this](const core::RecordBatch& batch, bool sync) {
      std::unique_lock lock(mu_);
      open_cv_.wait(lock, [&] { return open_; });
      if (failures_left_ > 0) {
        --failures_left_;
        throw std::runtime_error("disk on fire");
      }
      for (std::size_t i = 0; i < batch.size(); ++i) {
        ids_.push_back(batch[i].id);
        if (sync) synced_.push_back(batch[i].id);
      }
      ++batches_;
    };
  }
  void set_open(bool open) {
    std::lock_guard lock(mu_);
    open_ = open;
    open_cv_.notify_all();
  }
  void fail_next(int n) {
    std::lock_guard lock(mu_);
    failures_left_ = n;
  }
  std::vector<std::uint64_t> ids() {
    std::lock_guard lock(mu_);
    return ids_;
  }
  // The ids written by a write asked to sync.
  std::vector<std::uint64_t> synced() {
    std::lock_guard lock(mu_);
    return synced_;
  }

 private:
  std::mutex mu_;
  std::condition_variable open_cv_;
  bool open_ = true;
  int failures_left_ = 0;
  int batches_ = 0;
  std::vector<std::uint64_t> ids_;
  std::vector<std::uint64_t> synced_;
};

void put(Pipeline& p, std::uint64_t id) { p.enqueue(0, 1, id, "actor", "target", ""); }

PipelineOptions small(std::size_t capacity, std::chrono::milliseconds timeout) {
  PipelineOptions o;
  o.max_queued_activities = capacity;
  o.enqueue_timeout = timeout;
  o.close_timeout = 500ms;
  return o;
}

TEST(Pipeline, FlushWaitsForEveryEarlierActivityInOrder) {
  Sink sink;
  Pipeline p(sink.fn(), small(1000, 1s));
  for (std::uint64_t i = 1; i <= 10'000; ++i) put(p, i);
  p.flush();
  const auto ids = sink.ids();
  ASSERT_EQ(ids.size(), 10'000u);
  for (std::size_t i = 0; i < ids.size(); ++i) ASSERT_EQ(ids[i], i + 1);
  const Metrics m = p.metrics();
  EXPECT_EQ(m.accepted, 10'000u);
  EXPECT_EQ(m.written, 10'000u);
  EXPECT_EQ(m.queue_depth, 0u);
  EXPECT_GE(m.batches, 1u);
  std::uint64_t in_buckets = 0;
  for (auto n : m.batch_latency_buckets) in_buckets += n;
  EXPECT_EQ(in_buckets, m.batches);
}

TEST(Pipeline, FullQueueThrowsBackpressureAfterTheTimeoutAndDropsNothing) {
  Sink sink;
  sink.set_open(false);
  Pipeline p(sink.fn(), small(10, 50ms));
  std::uint64_t accepted = 0;
  std::uint64_t refused = 0;
  for (std::uint64_t i = 1; i <= 100; ++i) {
    try {
      put(p, i);
      ++accepted;
    } catch (const Backpressure& e) {
      ++refused;
      EXPECT_NE(std::string(e.what()).find("was not recorded"), std::string::npos);
    }
  }
  // 10 queued, at most 10 more held by the blocked writer.
  EXPECT_GE(accepted, 10u);
  EXPECT_LE(accepted, 20u);
  EXPECT_EQ(accepted + refused, 100u);
  sink.set_open(true);
  p.flush();
  EXPECT_EQ(sink.ids().size(), accepted);
  EXPECT_EQ(p.metrics().written, accepted);
}

TEST(Pipeline, BlockedProducerProceedsWhenRoomAppears) {
  Sink sink;
  sink.set_open(false);
  Pipeline p(sink.fn(), small(5, 10s));
  std::atomic<int> done{0};
  std::thread producer([&] {
    for (std::uint64_t i = 1; i <= 50; ++i) put(p, i);
    done = 1;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(done.load(), 0) << "the producer should be waiting for room";
  sink.set_open(true);
  producer.join();
  p.flush();
  EXPECT_EQ(sink.ids().size(), 50u);
}

TEST(Pipeline, FailedWritesAreRetriedNotLostOrDoubled) {
  Sink sink;
  sink.fail_next(3);
  Pipeline p(sink.fn(), small(1000, 1s));
  for (std::uint64_t i = 1; i <= 100; ++i) put(p, i);
  p.flush();
  const auto ids = sink.ids();
  EXPECT_EQ(std::set<std::uint64_t>(ids.begin(), ids.end()).size(), 100u);
  EXPECT_EQ(ids.size(), 100u);
  EXPECT_EQ(p.metrics().retried, 3u);
}

TEST(Pipeline, FlushReportsAStoreThatKeepsFailing) {
  Sink sink;
  sink.fail_next(1'000'000);
  Pipeline p(sink.fn(), small(1000, 1s));
  put(p, 1);
  try {
    p.flush();
    FAIL() << "flush succeeded while every write failed";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("disk on fire"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("retried"), std::string::npos) << e.what();
  }
  sink.fail_next(0);  // the store recovers: the activity is still there
  p.flush();
  EXPECT_EQ(sink.ids(), std::vector<std::uint64_t>{1});
}

TEST(Pipeline, SeveralWritersStillFlushEverythingEarlier) {
  // Batches of two writers complete out of order; flush() must still wait
  // for all of them.
  std::mutex mu;
  std::vector<std::uint64_t> ids;
  std::atomic<int> calls{0};
  PipelineOptions o = small(1000, 10s);
  o.writers = 2;
  Pipeline p(
      [&](const core::RecordBatch& batch, bool) {
        // Every other batch is slow, so a later one often finishes first.
        if (calls++ % 2 == 0) std::this_thread::sleep_for(2ms);
        std::lock_guard lock(mu);
        for (std::size_t i = 0; i < batch.size(); ++i) ids.push_back(batch[i].id);
      },
      o);
  for (int round = 0; round < 50; ++round) {
    for (std::uint64_t i = 0; i < 200; ++i) put(p, static_cast<std::uint64_t>(round) * 200 + i + 1);
    p.flush();
    std::lock_guard lock(mu);
    ASSERT_EQ(ids.size(), static_cast<std::size_t>(round + 1) * 200) << "flush returned early";
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());
}

TEST(Pipeline, RefusedActivitiesAreReportedOnceAndNotRetried) {
  std::atomic<int> calls{0};
  Pipeline p(
      [&](const core::RecordBatch& batch, bool) {
        ++calls;
        throw store::WriteRejected("ValidationException: bad item", batch.size() == 1 ? 1 : 1);
      },
      small(1000, 1s));
  put(p, 1);
  try {
    p.flush();
    FAIL() << "a refused activity went unreported";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("1 activities were not written: the store refused them"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(calls.load(), 1);
  EXPECT_NO_THROW(p.flush());  // reported once
  EXPECT_EQ(p.metrics().failed, 1u);
  EXPECT_EQ(p.metrics().queue_depth, 0u);
}

TEST(Pipeline, CloseWritesWhatIsQueued) {
  Sink sink;
  {
    Pipeline p(sink.fn(), small(100'000, 1s));
    for (std::uint64_t i = 1; i <= 5000; ++i) put(p, i);
    p.close();
    EXPECT_THROW(put(p, 9999), Error);
  }
  EXPECT_EQ(sink.ids().size(), 5000u);
}

TEST(Pipeline, CloseSaysHowManyItCouldNotWrite) {
  Sink sink;
  sink.fail_next(1'000'000);
  Pipeline p(sink.fn(), small(1000, 1s));
  for (std::uint64_t i = 1; i <= 7; ++i) put(p, i);
  try {
    p.close();
    FAIL() << "close hid unwritten activities";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("7 activities"), std::string::npos) << e.what();
  }
  p.close();  // idempotent
}

TEST(Pipeline, ByteLimitBoundsTheQueue) {
  Sink sink;
  sink.set_open(false);
  PipelineOptions o = small(1'000'000, 20ms);
  o.max_queued_bytes = 1 << 20;
  Pipeline p(sink.fn(), o);
  const std::string big(100 * 1024, 'x');
  int accepted = 0;
  for (int i = 0; i < 40; ++i) {
    try {
      p.enqueue(0, 1, static_cast<std::uint64_t>(i + 1), "a", "t", big);
      ++accepted;
    } catch (const Backpressure&) {
    }
  }
  EXPECT_LE(accepted, 22);  // ~10 queued + ~10 held by the writer
  sink.set_open(true);
  p.flush();
  EXPECT_EQ(sink.ids().size(), static_cast<std::size_t>(accepted));
}

// A group of activities queued together hears once, after the write that
// holds its last activity returned: what an HTTP server waits for before it
// answers.
core::RecordBatch records(std::uint64_t first_id, std::size_t n) {
  core::RecordBatch batch;
  for (std::size_t i = 0; i < n; ++i) batch.append(0, 1, first_id + i, "actor", "target", "");
  return batch;
}

struct Heard {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<GroupOutcome> outcomes;
  GroupOptions options(bool sync = false) {
    GroupOptions o;
    o.sync = sync;
    o.done = [this](const GroupOutcome& outcome) {
      std::lock_guard lock(mu);
      outcomes.push_back(outcome);
      cv.notify_all();
    };
    return o;
  }
  std::size_t count() {
    std::lock_guard lock(mu);
    return outcomes.size();
  }
  GroupOutcome wait_for(std::size_t n) {
    std::unique_lock lock(mu);
    EXPECT_TRUE(cv.wait_for(lock, 10s, [&] { return outcomes.size() >= n; }));
    return outcomes.empty() ? GroupOutcome{} : outcomes.back();
  }
};

TEST(PipelineGroups, AGroupHearsOnceItsActivitiesAreWritten) {
  Sink sink;
  sink.set_open(false);
  Pipeline p(sink.fn(), small(1000, 1s));
  Heard heard;
  std::string refused;
  EXPECT_EQ(p.enqueue_group(records(1, 100), heard.options(), refused), 100u);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(heard.count(), 0u) << "heard before the write returned";
  EXPECT_TRUE(sink.ids().empty());
  sink.set_open(true);
  const GroupOutcome outcome = heard.wait_for(1);
  EXPECT_EQ(outcome.first_failed, GroupOutcome::kAllStored);
  EXPECT_EQ(sink.ids().size(), 100u);  // written before it heard
  EXPECT_TRUE(sink.synced().empty());
  p.close();
  EXPECT_EQ(heard.count(), 1u);
}

TEST(PipelineGroups, ManyGroupsShareWritesAndEachHearsOnce) {
  std::atomic<int> writes{0};
  Sink sink;
  PipelineOptions o = small(100'000, 5s);
  o.writers = 2;
  Pipeline p(
      [&](const core::RecordBatch& batch, bool sync) {
        ++writes;
        std::this_thread::sleep_for(1ms);
        sink.fn()(batch, sync);
      },
      o);
  Heard heard;
  std::vector<std::thread> producers;
  for (int t = 0; t < 4; ++t) {
    producers.emplace_back([&, t] {
      std::string refused;
      for (int g = 0; g < 250; ++g) {
        const auto first =
            static_cast<std::uint64_t>(t) * 1'000'000 + static_cast<std::uint64_t>(g) * 10 + 1;
        EXPECT_EQ(p.enqueue_group(records(first, 10), heard.options(g % 7 == 0), refused), 10u);
      }
    });
  }
  for (auto& t : producers) t.join();
  heard.wait_for(1000);
  EXPECT_EQ(heard.count(), 1000u);
  EXPECT_LT(writes.load(), 1000) << "each group got a write of its own";
  EXPECT_EQ(sink.ids().size(), 10'000u);
  for (const auto& outcome : heard.outcomes)
    EXPECT_EQ(outcome.first_failed, GroupOutcome::kAllStored);
  // Groups that asked for sync were written by writes asked to sync.
  const auto synced = sink.synced();
  const std::set<std::uint64_t> synced_set(synced.begin(), synced.end());
  for (int t = 0; t < 4; ++t) {
    for (int g = 0; g < 250; g += 7) {
      const auto first =
          static_cast<std::uint64_t>(t) * 1'000'000 + static_cast<std::uint64_t>(g) * 10 + 1;
      for (std::uint64_t id = first; id < first + 10; ++id)
        EXPECT_EQ(synced_set.count(id), 1u) << id;
    }
  }
  p.close();
}

TEST(PipelineGroups, AGroupLargerThanTheQueueGoesInParts) {
  Sink sink;
  Pipeline p(sink.fn(), small(10, 5s));
  Heard heard;
  std::string refused;
  EXPECT_EQ(p.enqueue_group(records(1, 1000), heard.options(), refused), 1000u);
  EXPECT_TRUE(refused.empty());
  EXPECT_EQ(heard.wait_for(1).first_failed, GroupOutcome::kAllStored);
  EXPECT_EQ(sink.ids().size(), 1000u);
  p.close();
}

TEST(PipelineGroups, AFullQueueStopsAGroupWhereItFoundNoRoom) {
  Sink sink;
  sink.set_open(false);
  Pipeline p(sink.fn(), small(10, 20ms));
  Heard heard;
  std::string refused;
  // The writer takes what comes first and waits at the closed sink; ten
  // more fill the queue.
  const std::size_t queued = p.enqueue_group(records(1, 100), heard.options(), refused);
  EXPECT_GE(queued, 10u);
  EXPECT_LT(queued, 100u);
  EXPECT_NE(refused.find("the ingest queue stayed full"), std::string::npos) << refused;
  // A group that finds no room at all queues nothing and never hears.
  Heard singles;
  std::string refused_too;
  std::size_t singles_queued = 0;
  while (p.enqueue_group(records(1000 + singles_queued, 1), singles.options(), refused_too) == 1) {
    ++singles_queued;
  }
  EXPECT_FALSE(refused_too.empty());
  sink.set_open(true);
  heard.wait_for(1);
  p.flush();
  EXPECT_EQ(heard.count(), 1u);
  EXPECT_EQ(singles.count(), singles_queued);  // the one refused heard nothing
  p.close();
  EXPECT_EQ(sink.ids().size(), queued + singles_queued);
}

TEST(PipelineGroups, ARefusedWriteSaysWhichPartOfEachGroupMayBeMissing) {
  std::atomic<bool> refuse{false};
  std::mutex gate_mu;
  std::condition_variable gate_cv;
  bool gate_open = false;
  Pipeline p(
      [&](const core::RecordBatch& batch, bool) {
        {
          std::unique_lock lock(gate_mu);
          gate_cv.wait(lock, [&] { return gate_open; });
        }
        if (refuse && batch[0].id >= 100) throw store::WriteRejected("ValidationException: no", 1);
      },
      small(1000, 1s));
  Heard a, b, c;
  std::string refused;
  // Group a: ids 1..10, alone in the first write (the writer takes it and
  // waits at the gate). Groups b (ids 100..109) and c (ids 200..204) then
  // share the second write, which the store refuses in part.
  p.enqueue_group(records(1, 10), a.options(), refused);
  std::this_thread::sleep_for(50ms);
  p.enqueue_group(records(100, 10), b.options(), refused);
  p.enqueue_group(records(200, 5), c.options(), refused);
  refuse = true;
  {
    std::lock_guard lock(gate_mu);
    gate_open = true;
  }
  gate_cv.notify_all();
  EXPECT_EQ(a.wait_for(1).first_failed, GroupOutcome::kAllStored);
  const GroupOutcome ob = b.wait_for(1);
  const GroupOutcome oc = c.wait_for(1);
  // Which activity was refused is not known: every group in the batch hears
  // from its first activity on.
  EXPECT_EQ(ob.first_failed, 0u);
  EXPECT_EQ(oc.first_failed, 0u);
  EXPECT_NE(ob.error.find("ValidationException: no"), std::string::npos) << ob.error;
  EXPECT_THROW(p.flush(), StoreError);  // reported to flush() too
  p.close();
}

TEST(PipelineGroups, AGroupCutShortByCloseHearsOnceWithWhatItQueued) {
  Sink sink;
  sink.set_open(false);
  Pipeline p(sink.fn(), small(10, 10s));
  Heard heard;
  std::size_t queued = 0;
  std::thread producer([&] {
    std::string refused;
    queued = p.enqueue_group(records(1, 1000), heard.options(), refused);
    EXPECT_NE(refused.find("closed"), std::string::npos) << refused;
  });
  std::this_thread::sleep_for(100ms);  // the writer holds some, the queue is full
  // Closing while the writer is held: the producer, blocked on the full
  // queue, can only be refused. (Opening the sink first let a slow closer
  // find all 1,000 queued, under ASan on a loaded machine.)
  std::thread closer([&] { p.close(); });
  producer.join();
  sink.set_open(true);
  closer.join();
  EXPECT_LT(queued, 1000u);
  heard.wait_for(1);
  EXPECT_EQ(heard.count(), 1u);
  EXPECT_EQ(sink.ids().size(), queued);
}

}  // namespace
}  // namespace cctv::pipeline
