#include "store/embedded/log_space.h"

#include <algorithm>
#include <string>
#include <thread>
#include <utility>

namespace cctv::store::embedded {

namespace {

// Reserved at a time: a few appends' worth, so that most appends reserve
// nothing, and little enough to matter nothing on a disk with room.
constexpr std::uint64_t kReserveAhead = std::uint64_t{4} << 20;
constexpr auto kRetryEvery = std::chrono::milliseconds(100);

std::int64_t steady_ns(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace

// The reserved room of one log file, shared by the file (its appends) and
// LogSpace (writers reserving ahead from other threads). Forgets the file
// when it closes.
class LogReservation {
 public:
  LogReservation(rocksdb::FSWritableFile* file, std::uint64_t size)
      : file_(file), size_(size), reserved_(size) {}

  // Whether the next `n` bytes have their blocks now: already reserved,
  // or reserved by this call (a few MiB ahead, or on a disk without that
  // much room, just those). True too when nothing can be reserved here
  // (file closed, or a file system without fallocate).
  bool try_reserve(std::size_t n) {
    std::lock_guard lock(mu_);
    if (file_ == nullptr || !reserving_ || size_ + n <= reserved_) return true;
    const rocksdb::IOStatus s = reserve_up_to(size_ + n + kReserveAhead);
    if (s.ok() || (s.IsNoSpace() && reserve_up_to(size_ + n).ok())) return true;
    if (!s.IsNoSpace()) reserving_ = false;  // not supported here: write as RocksDB would
    return !reserving_;
  }
  void appended(std::size_t n) {
    std::lock_guard lock(mu_);
    size_ += n;
  }
  void closed() {
    std::lock_guard lock(mu_);
    file_ = nullptr;
  }

 private:
  rocksdb::IOStatus reserve_up_to(std::uint64_t end) {
    rocksdb::IOStatus s =
        file_->Allocate(reserved_, end - reserved_, rocksdb::IOOptions(), nullptr);
    if (s.ok()) reserved_ = end;
    return s;
  }

  std::mutex mu_;
  rocksdb::FSWritableFile* file_;  // null once closed
  std::uint64_t size_;             // bytes appended
  std::uint64_t reserved_;         // blocks reserved up to here
  bool reserving_ = true;
};

namespace {

// Reserves room for `n` bytes in `log`, waiting while the disk has none;
// gives up (the append then meets the full disk itself) at a close's
// deadline.
void reserve_waiting(LogReservation& log, std::size_t n, LogSpace& space) {
  bool waited = false;
  while (!log.try_reserve(n) && space.keep_waiting()) {
    if (!waited) space.wait_began();
    waited = true;
    std::this_thread::sleep_for(kRetryEvery);
  }
  if (waited) space.wait_ended();
}

class ReservingLogFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  ReservingLogFile(std::unique_ptr<rocksdb::FSWritableFile> file, std::uint64_t size,
                   std::shared_ptr<LogSpace> space)
      : FSWritableFileOwnerWrapper(std::move(file)),
        reservation_(std::make_shared<LogReservation>(target(), size)),
        space_(std::move(space)) {}
  ~ReservingLogFile() override { reservation_->closed(); }

  const std::shared_ptr<LogReservation>& reservation() const { return reservation_; }

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    reserve_waiting(*reservation_, data.size(), *space_);
    rocksdb::IOStatus s = target()->Append(data, options, dbg);
    if (s.ok()) reservation_->appended(data.size());
    return s;
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& verification,
                           rocksdb::IODebugContext* dbg) override {
    reserve_waiting(*reservation_, data.size(), *space_);
    rocksdb::IOStatus s = target()->Append(data, options, verification, dbg);
    if (s.ok()) reservation_->appended(data.size());
    return s;
  }
  rocksdb::IOStatus Close(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    reservation_->closed();
    return target()->Close(options, dbg);
  }

 private:
  std::shared_ptr<LogReservation> reservation_;
  std::shared_ptr<LogSpace> space_;
};

bool is_log(const std::string& path) { return path.ends_with(".log"); }

class ReservingFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  ReservingFileSystem(std::shared_ptr<rocksdb::FileSystem> base, std::shared_ptr<LogSpace> space)
      : FileSystemWrapper(std::move(base)), space_(std::move(space)) {}

  const char* Name() const override { return "cctv.ReservingLogSpace"; }

  rocksdb::IOStatus NewWritableFile(const std::string& path, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* file,
                                    rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->NewWritableFile(path, options, file, dbg);
    if (s.ok() && is_log(path)) wrap(*file, 0);
    return s;
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& path, const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* file,
                                       rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->ReopenWritableFile(path, options, file, dbg);
    if (s.ok() && is_log(path)) {
      wrap(*file, (*file)->GetFileSize(options.io_options, dbg));
    }
    return s;
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& path, const std::string& old_path,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* file,
                                      rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->ReuseWritableFile(path, old_path, options, file, dbg);
    if (s.ok() && is_log(path)) wrap(*file, 0);
    return s;
  }

 private:
  void wrap(std::unique_ptr<rocksdb::FSWritableFile>& file, std::uint64_t size) {
    auto log = std::make_unique<ReservingLogFile>(std::move(file), size, space_);
    // A log created for a new memtable reserves now, while RocksDB holds
    // neither the DB mutex nor the log mutex (see log_space.h): room for
    // the write that made it, as large as the largest so far -- but no
    // more than a few MiB, or one huge write (a repair's) would have every
    // later log wait for room that ordinary writes do not need.
    if (space_->waits_at_creation()) {
      const std::size_t room = std::clamp<std::size_t>(space_->largest_write(), 1, kReserveAhead);
      reserve_waiting(*log->reservation(), room, *space_);
    }
    space_->log_created(log->reservation());
    file = std::move(log);
  }
  std::shared_ptr<LogSpace> space_;
};

}  // namespace

void LogSpace::reserve(std::size_t bytes) {
  std::size_t largest = largest_write_.load(std::memory_order_relaxed);
  while (bytes > largest && !largest_write_.compare_exchange_weak(largest, bytes)) {
  }
  std::shared_ptr<LogReservation> log;
  {
    std::lock_guard lock(mu_);
    log = current_;
  }
  if (log) reserve_waiting(*log, bytes, *this);
}

void LogSpace::log_created(std::shared_ptr<LogReservation> log) {
  std::lock_guard lock(mu_);
  current_ = std::move(log);
}

void LogSpace::stop_waiting_at(std::chrono::steady_clock::time_point deadline) {
  const std::int64_t ns = steady_ns(deadline);
  std::int64_t current = deadline_ns_.load(std::memory_order_relaxed);
  while (ns < current && !deadline_ns_.compare_exchange_weak(current, ns)) {
  }
}

void LogSpace::wait_began() {
  waiting_.fetch_add(1, std::memory_order_relaxed);
  if (began_) began_();
}

bool LogSpace::keep_waiting() const {
  return steady_ns(std::chrono::steady_clock::now()) < deadline_ns_.load(std::memory_order_relaxed);
}

std::shared_ptr<rocksdb::FileSystem> reserving_log_space(std::shared_ptr<rocksdb::FileSystem> base,
                                                         std::shared_ptr<LogSpace> space) {
  return std::make_shared<ReservingFileSystem>(std::move(base), std::move(space));
}

}  // namespace cctv::store::embedded
