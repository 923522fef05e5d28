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
// Thread-safe.
#ifndef CCTV_PIPELINE_PIPELINE_H_
#define CCTV_PIPELINE_PIPELINE_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
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

class Pipeline {
 public:
  // Writes a batch. Throws store::WriteRejected when some activities were
  // refused for good (the rest written), anything else to have the whole
  // batch retried. Called from several threads at once when writers > 1.
  using WriteFn = std::function<void(const core::RecordBatch&)>;

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

  // Returns once every activity enqueued before the call has been written.
  // Throws StoreError when the writes keep failing (the activities stay
  // queued and are retried), or when the store refused activities for good
  // since the last flush() (saying how many and why).
  void flush();

  // Stops accepting, writes what is queued, stops the writers. Throws
  // StoreError if activities were left unwritten. Later calls do nothing.
  void close();

  Metrics metrics() const;

 private:
  // A batch being written: the sequence number of its last activity.
  struct InFlight {
    std::uint64_t last;
    bool done;
  };

  void run();
  // REQUIRES: mu_ held.
  bool full(std::size_t bytes) const;
  // Writes `batch` until it succeeds; returns how many activities the store
  // refused for good, or nullopt if close gave up.
  std::optional<std::size_t> write_with_retries(const core::RecordBatch& batch);
  // REQUIRES: mu_ held.
  void record_latency(std::chrono::microseconds latency);
  // REQUIRES: mu_ held. Throws when refused or abandoned activities have not
  // been reported yet.
  void report_losses(const char* when);

  const WriteFn write_;
  const PipelineOptions options_;

  mutable std::mutex mu_;
  std::condition_variable not_full_;   // producers wait for room
  std::condition_variable has_work_;   // idle writers wait for activities
  std::condition_variable progress_;   // flush() waits for writes or failures
  core::RecordBatch pending_;          // gathering
  std::deque<InFlight> in_flight_;     // in the order the batches were taken
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
