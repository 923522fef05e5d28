// The ingest pipeline: a bounded queue that any number of producer threads
// append encoded activities to, and writer threads that each take everything
// queued as one batch and hand it to the store. While a writer writes a
// batch, the next one gathers, so batches grow with load (group commit)
// without a linger timer adding latency when the load is light.
//
// Nothing accepted is dropped silently: a full queue makes enqueue() wait
// and then throw Backpressure; a failing store is retried with capped
// backoff; activities the store refuses for good (store::WriteRejected) are
// not retried but counted, logged, and reported by the next flush(); close()
// reports activities it could not write.
//
// A group of activities queued together (enqueue_group()) can ask to be
// told when all of them are stored: its callback runs on the writer thread
// that settles the last of them, after the store's write returned (or the
// write gave up), so an HTTP server can answer a request once its
// activities are in the store's log -- with many requests sharing each
// write. Every activity takes the next sequence number (from 1) as it is
// queued; a writer takes every activity queued so far, so a batch is a run
// of consecutive numbers.
//
// Thread-safe.
#ifndef CCTV_PIPELINE_PIPELINE_H_
#define CCTV_PIPELINE_PIPELINE_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cctv/metrics.h"
#include "core/record_batch.h"

namespace cctv::pipeline {

struct PipelineOptions {
  std::size_t max_queued_activities = 25'000;
  std::size_t max_queued_bytes = std::size_t{64} << 20;
  std::chrono::milliseconds enqueue_timeout{5000};
  // How long close() keeps retrying a failing store before giving up on
  // what is still queued (and saying so).
  std::chrono::milliseconds close_timeout{30'000};
  // Writer threads. More than one only helps a store that writes batches in
  // parallel; batches may then complete out of order, which flush() hides.
  int writers = 1;
};

// What became of a group of activities queued by enqueue_group().
struct GroupOutcome {
  static constexpr std::size_t kAllStored = static_cast<std::size_t>(-1);
  // The position in the group of the first queued activity that may not be
  // stored (its batch was refused, or given up on at close), or kAllStored.
  std::size_t first_failed = kAllStored;
  std::string error;  // why, when first_failed != kAllStored
};

struct GroupOptions {
  // Have the batches that hold the group's activities synced to disk
  // before `done` is called.
  bool sync = false;
  // Called once, on a writer thread and with no lock held, after every
  // activity the group queued has been written (synced, with `sync`) or
  // has failed. Must not block for long: it holds up that writer. Not
  // called when the group queued nothing.
  std::function<void(const GroupOutcome&)> done;
};

class Pipeline {
 public:
  // Writes a batch, and with `sync` makes it durable against power loss
  // before returning. Throws store::WriteRejected when some activities were
  // refused for good (the rest written), anything else to have the whole
  // batch retried. Called from several threads at once when writers > 1.
  using WriteFn = std::function<void(const core::RecordBatch&, bool sync)>;

  Pipeline(WriteFn write, PipelineOptions options);
  // Closes, logging rather than throwing.
  ~Pipeline();

  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Queues one encoded activity. Waits up to options.enqueue_timeout for
  // room, then throws Backpressure. Throws Error once closed.
  // `supplied_id`: see core::RecordView.
  void enqueue(std::uint32_t table, std::int64_t time_us, std::uint64_t id, std::string_view actor,
               std::string_view target, std::string_view attributes, bool supplied_id = false);

  // Queues every record of `records`, in order, as one group, waiting for
  // room as enqueue() does. Returns how many it queued: all of them, or,
  // when the queue stayed full for the enqueue timeout or the pipeline
  // closed meanwhile, those before the first that found no room (`refused`
  // then says why). Throws Error, queuing nothing, when closed already.
  std::size_t enqueue_group(const core::RecordBatch& records, GroupOptions options,
                            std::string& refused);

  // Returns once every activity enqueued before the call has been written
  // and every group whose activities it waited for has been told (its
  // GroupOptions::done has returned).
  // Throws StoreError when the writes keep failing (the activities stay
  // queued and are retried), or when the store refused activities for good
  // since the last flush() (saying how many and why). `stalled`, when
  // given, is called whenever a second passes without a write finishing,
  // and may throw to end the wait (a write that waits for disk space does
  // not fail, and would otherwise hold the flush until there is room).
  void flush(const std::function<void()>& stalled = {});

  // Stops accepting, writes what is queued, stops the writers. Throws
  // StoreError if activities were left unwritten. Later calls do nothing.
  void close();

  Metrics metrics() const;

  // Whether close() was called (new activities are refused).
  bool closing() const;
  // How long close() waits for what is queued (PipelineOptions).
  std::chrono::milliseconds close_timeout() const { return options_.close_timeout; }

 private:
  // A batch being written: the sequence numbers of its first and last
  // activities.
  struct InFlight {
    std::uint64_t first;
    std::uint64_t last;
    bool done;
  };
  // A run of a group's activities queued together: sequence numbers from
  // `first_seq`, positions in the group from `position`.
  struct Chunk {
    std::uint64_t first_seq;
    std::size_t position;
    std::size_t count;
  };
  // A group waiting to be told its activities are stored.
  struct Waiter {
    std::vector<Chunk> chunks;
    bool complete = false;  // every chunk queued
    std::function<void(const GroupOutcome&)> done;
  };
  // Batches that were refused or given up on, kept while a waiter may
  // hold some of their activities.
  struct Failure {
    std::uint64_t first;
    std::uint64_t last;
    std::string error;
  };
  // Groups told together, and their run's entry in calling_.
  struct Ready {
    std::vector<std::pair<std::function<void(const GroupOutcome&)>, GroupOutcome>> calls;
    std::multiset<std::uint64_t>::iterator run;
  };

  void run();
  // REQUIRES: mu_ held.
  bool full(std::size_t bytes) const;
  // Waits (REQUIRES: mu_ held through `lock`) until `bytes` more fit, the
  // enqueue timeout passes or the pipeline closes; returns whether they fit.
  bool wait_for_room(std::unique_lock<std::mutex>& lock, std::size_t bytes);
  std::string backpressure_message() const;
  // REQUIRES: mu_ held. Moves the waiters whose activities have all settled
  // into `ready`, with their outcomes, and forgets failures no waiter can
  // hold any more. When it moved any, notes the run of calls that `ready`
  // now is in calling_ (call() takes it out again).
  void take_ready_locked(Ready& ready);
  // Runs `ready`'s calls (REQUIRES: mu_ not held) and then, holding mu_
  // briefly, ends its run in calling_.
  void call(Ready& ready);
  // Writes `batch` until it succeeds; returns how many activities the store
  // refused for good, or nullopt if close gave up.
  std::optional<std::size_t> write_with_retries(const core::RecordBatch& batch, bool sync);
  // REQUIRES: mu_ held.
  void record_latency(std::chrono::microseconds latency);
  // REQUIRES: mu_ held. Throws when refused or abandoned activities have not
  // been reported yet.
  void report_losses(const char* when);

  const WriteFn write_;
  const PipelineOptions options_;

  mutable std::mutex mu_;
  std::condition_variable not_full_;  // producers wait for room
  std::condition_variable has_work_;  // idle writers wait for activities
  std::condition_variable progress_;  // flush() waits for writes or failures
  core::RecordBatch pending_;         // gathering
  std::deque<InFlight> in_flight_;    // in the order the batches were taken
  std::list<Waiter> waiters_;
  // For each run of GroupOptions::done calls taken and not yet finished:
  // the earliest last activity of its groups. flush() waits for the runs
  // holding a group it covers.
  std::multiset<std::uint64_t> calling_;
  std::vector<Failure> failures_;
  std::uint64_t taken_through_ = 0;  // every activity up to here was taken by a writer
  std::uint64_t sync_through_ = 0;   // the last activity of a group that asked for sync
  int idle_writers_ = 0;
  bool closing_ = false;
  std::chrono::steady_clock::time_point close_deadline_;
  std::uint64_t accepted_ = 0;         // also the sequence number of the last activity queued
  std::uint64_t settled_through_ = 0;  // every activity up to here is written or failed
  std::uint64_t written_ = 0;
  std::uint64_t rejected_ = 0;
  std::uint64_t abandoned_ = 0;
  std::uint64_t losses_reported_ = 0;  // rejected_ + abandoned_ as last reported
  std::uint64_t failed_writes_ = 0;
  std::uint64_t batches_ = 0;
  std::uint64_t latency_total_us_ = 0;
  std::array<std::uint64_t, kBatchLatencyBoundsUs.size() + 1> latency_buckets_{};
  int consecutive_failures_ = 0;
  std::string last_error_;
  std::string last_loss_;

  std::mutex close_mu_;  // serializes close()
  bool closed_ = false;  // guarded by close_mu_
  std::vector<std::thread> writers_;
};

}  // namespace cctv::pipeline

#endif  // CCTV_PIPELINE_PIPELINE_H_
