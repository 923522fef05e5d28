// RocksDB's info log, written by cctv instead of by RocksDB's own file
// writer. Debian's RocksDB keeps its assertions, and its log writer aborts
// the process when it is used again after a failed write: a full disk made
// the next log line kill the server. This log ignores write errors (a line
// lost to a full disk is only a line), and it remembers the lines that
// report damage, so that a failed open can name the file it found damaged.
//
// Thread-safe.
#ifndef CCTV_STORE_EMBEDDED_ROCKS_LOG_H_
#define CCTV_STORE_EMBEDDED_ROCKS_LOG_H_

#include <rocksdb/env.h>

#include <cstdarg>
#include <cstdio>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace cctv::store::embedded {

class RocksLog final : public rocksdb::Logger {
 public:
  // Appends to `path`, moving it to `path`.old once it passes 16 MiB; with
  // an empty path, keeps only the damage lines in memory (a read-only open,
  // which must not write beside the process that has the store).
  explicit RocksLog(std::string path);
  ~RocksLog() override;

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override;
  void Flush() override;

  // Logs a line of cctv's own (what the store did about RocksDB's errors).
  void note(const std::string& line);

  // The lines logged so far that report damage ("Corruption", "dropping"
  // bytes of a log), oldest first, at most the last eight.
  std::vector<std::string> damage() const;

 private:
  void rotate_locked();

  const std::string path_;
  mutable std::mutex mu_;
  std::FILE* file_ = nullptr;
  std::size_t bytes_ = 0;
  std::deque<std::string> damage_;
};

}  // namespace cctv::store::embedded

#endif  // CCTV_STORE_EMBEDDED_ROCKS_LOG_H_
