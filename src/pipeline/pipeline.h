// The ingest pipeline: a bounded queue that any number of producer threads
// append encoded activities to, and one writer thread that takes everything
// queued as one batch and hands it to the store. While the writer writes a
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
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "core/record_batch.h"

namespace cctv::pipeline {

struct PipelineOptions {
  std::size_t max_queued_activities = 200'000;
  std::size_t max_queued_bytes = std::size_t{64} << 20;
  std::chrono::milliseconds enqueue_timeout{5000};
  // How long close() keeps retrying a failing store before giving up on
  // what is still queued (and saying so).
  std::chrono::milliseconds close_timeout{30'000};
};

struct PipelineCounters {
  std::uint64_t accepted = 0;       // activities enqueued
  std::uint64_t written = 0;        // activities the store confirmed
  std::uint64_t rejected = 0;       // activities the store refused for good
  std::uint64_t failed_writes = 0;  // batch writes that failed (and were retried)
  std::uint64_t batches = 0;        // batch writes that succeeded
  std::uint64_t queued = 0;         // accepted, not yet written
};

class Pipeline {
 public:
  // Writes a batch. Throws store::WriteRejected when some activities were
  // refused for good (the rest written), anything else to have the whole
  // batch retried.
  using WriteFn = std::function<void(const core::RecordBatch&)>;

  Pipeline(WriteFn write, PipelineOptions options);
  // Closes, logging rather than throwing.
  ~Pipeline();

  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Queues one encoded activity. Waits up to options.enqueue_timeout for
  // room, then throws Backpressure. Throws Error once closed.
  void enqueue(std::uint32_t table, std::int64_t time_us, std::uint64_t id, std::string_view actor,
               std::string_view target, std::string_view attributes);

  // Returns once every activity enqueued before the call has been written.
  // Throws StoreError when the writes keep failing (the activities stay
  // queued and are retried), or when the store refused activities for good
  // since the last flush() (saying how many and why).
  void flush();

  // Stops accepting, writes what is queued, stops the writer. Throws
  // StoreError if the store kept failing for options.close_timeout and
  // activities were left unwritten. Later calls do nothing.
  void close();

  PipelineCounters counters() const;

 private:
  void run();
  // REQUIRES: mu_ held.
  bool full(std::size_t bytes) const;
  // Writes writing_ until it succeeds; returns how many activities the
  // store refused for good, or nullopt if close gave up.
  std::optional<std::size_t> write_with_retries();

  const WriteFn write_;
  const PipelineOptions options_;

  mutable std::mutex mu_;
  std::condition_variable not_full_;  // producers wait for room
  std::condition_variable has_work_;  // the writer waits for activities
  std::condition_variable progress_;  // flush() waits for writes or failures
  core::RecordBatch pending_;         // gathering
  core::RecordBatch writing_;         // owned by the writer while it writes
  bool writer_idle_ = false;
  bool closing_ = false;
  std::chrono::steady_clock::time_point close_deadline_;
  std::uint64_t accepted_ = 0;
  std::uint64_t written_ = 0;
  std::uint64_t abandoned_ = 0;
  std::uint64_t rejected_ = 0;
  std::uint64_t rejected_reported_ = 0;  // rejected_ as of the last flush() that said so
  std::string last_rejection_;
  std::uint64_t failed_writes_ = 0;
  std::uint64_t batches_ = 0;
  int consecutive_failures_ = 0;
  std::string last_error_;

  std::mutex close_mu_;  // serializes close()
  bool closed_ = false;  // guarded by close_mu_
  std::thread writer_;
};

}  // namespace cctv::pipeline

#endif  // CCTV_PIPELINE_PIPELINE_H_
