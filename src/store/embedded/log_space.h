// Write-ahead log appends that wait for disk space instead of failing.
//
// A failed append leaves RocksDB's log writer broken for good: Resume()
// replaces the log only by switching memtables, and it switches only a
// memtable that holds something. A store whose first write after opening
// (or after a flush) met a full disk then failed every later write -- and
// Debian's RocksDB, built with assertions, aborted the process at the next
// one. So the log does not meet the full disk: the space for its appends is
// reserved (fallocate, keeping the file's size, a few MiB ahead), and when
// there is no room, the writer waits, retrying every 100 ms, until there is.
// Meanwhile the write gate refuses new writes (waiting() says why); a close
// ends the wait at its deadline, and the append then fails as before (on a
// closing store, nothing resumes it). A file system that cannot reserve
// space (no fallocate) is written as before.
//
// Where the wait happens matters. An append runs under RocksDB's log
// mutex, which a finishing flush takes while holding the DB mutex that
// every read needs once the flush has installed its result: a wait there
// would stop reads too. So the writers reserve before they write
// (reserve(), outside RocksDB's locks), and a log created for a new
// memtable reserves as it is created (RocksDB holds neither mutex then):
// an append finds its room already there, and waits only if a write
// outgrew every reservation.
//
// Thread-safe.
#ifndef CCTV_STORE_EMBEDDED_LOG_SPACE_H_
#define CCTV_STORE_EMBEDDED_LOG_SPACE_H_

#include <rocksdb/file_system.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

namespace cctv::store::embedded {

class LogReservation;

class LogSpace {
 public:
  // Reserves room for `bytes` more (and a few MiB ahead) in the log being
  // written, waiting while the disk has none. To be called before each
  // write to the DB, outside any lock a reader needs.
  void reserve(std::size_t bytes);
  // From now on a newly created log waits for its room as reserve() does
  // (not while the DB opens: an open on a full disk fails instead).
  void opened() { opened_.store(true, std::memory_order_relaxed); }

  // Appends waiting for space give up at `deadline` (a close is under
  // way); later ones do not wait at all past it.
  void stop_waiting_at(std::chrono::steady_clock::time_point deadline);
  // Whether an append is waiting for space now.
  bool waiting() const { return waiting_.load(std::memory_order_relaxed) > 0; }
  // Called (on the appending thread) as an append begins to wait: to shut
  // the write gate at once. Set before the store is opened.
  void on_wait(std::function<void()> began) { began_ = std::move(began); }

  // For the log files' appends (log_space.cc): whether to go on waiting.
  bool keep_waiting() const;
  void wait_began();
  void wait_ended() { waiting_.fetch_sub(1, std::memory_order_relaxed); }
  // The log files tell which one is being written; a new one reserves
  // room for the largest write reserved for so far (a few MiB at most).
  void log_created(std::shared_ptr<LogReservation> log);
  bool waits_at_creation() const { return opened_.load(std::memory_order_relaxed); }
  std::size_t largest_write() const { return largest_write_.load(std::memory_order_relaxed); }

 private:
  std::mutex mu_;
  std::shared_ptr<LogReservation> current_;  // guarded by mu_
  std::atomic<bool> opened_{false};
  std::atomic<std::size_t> largest_write_{0};
  std::atomic<std::int64_t> deadline_ns_{INT64_MAX};  // steady clock
  std::atomic<int> waiting_{0};
  std::function<void()> began_;
};

// `base`, with the write-ahead logs it creates (NNNNNN.log) reserving their
// space ahead of each append and waiting for it as LogSpace says.
std::shared_ptr<rocksdb::FileSystem> reserving_log_space(std::shared_ptr<rocksdb::FileSystem> base,
                                                         std::shared_ptr<LogSpace> space);

}  // namespace cctv::store::embedded

#endif  // CCTV_STORE_EMBEDDED_LOG_SPACE_H_
