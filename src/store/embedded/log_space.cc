#include "store/embedded/log_space.h"

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

class ReservingLogFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  ReservingLogFile(std::unique_ptr<rocksdb::FSWritableFile> file, std::uint64_t size,
                   std::shared_ptr<LogSpace> space)
      : FSWritableFileOwnerWrapper(std::move(file)),
        size_(size),
        reserved_(size),
        space_(std::move(space)) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    reserve(data.size(), options, dbg);
    rocksdb::IOStatus s = target()->Append(data, options, dbg);
    if (s.ok()) size_ += data.size();
    return s;
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& verification,
                           rocksdb::IODebugContext* dbg) override {
    reserve(data.size(), options, dbg);
    rocksdb::IOStatus s = target()->Append(data, options, verification, dbg);
    if (s.ok()) size_ += data.size();
    return s;
  }

 private:
  // Makes sure the next `n` bytes have their blocks: a few MiB ahead, or
  // on a disk without that much room, just those. Waits while the disk has
  // no room for them; gives up (the append then meets the full disk
  // itself) at a close's deadline, or for good on a file system that cannot
  // reserve.
  void reserve(std::size_t n, const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) {
    if (!reserving_ || size_ + n <= reserved_) return;
    bool waited = false;
    for (;;) {
      const rocksdb::IOStatus s = reserve_up_to(size_ + n + kReserveAhead, options, dbg);
      if (s.ok() || (s.IsNoSpace() && reserve_up_to(size_ + n, options, dbg).ok())) break;
      if (!s.IsNoSpace()) {
        reserving_ = false;  // not supported here: write as RocksDB would
        break;
      }
      if (!space_->keep_waiting()) break;
      if (!waited) space_->wait_began();
      waited = true;
      std::this_thread::sleep_for(kRetryEvery);
    }
    if (waited) space_->wait_ended();
  }

  rocksdb::IOStatus reserve_up_to(std::uint64_t end, const rocksdb::IOOptions& options,
                                  rocksdb::IODebugContext* dbg) {
    rocksdb::IOStatus s = target()->Allocate(reserved_, end - reserved_, options, dbg);
    if (s.ok()) reserved_ = end;
    return s;
  }

  std::uint64_t size_;      // bytes appended
  std::uint64_t reserved_;  // blocks reserved up to here
  bool reserving_ = true;
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
    file = std::make_unique<ReservingLogFile>(std::move(file), size, space_);
  }
  std::shared_ptr<LogSpace> space_;
};

}  // namespace

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
