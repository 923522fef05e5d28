#include "store/embedded/rocks_log.h"

#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace cctv::store::embedded {

namespace {

constexpr std::size_t kMaxLogBytes = std::size_t{16} << 20;
constexpr std::size_t kDamageLinesKept = 8;

bool reports_damage(const std::string& line) {
  return line.find("Corruption") != std::string::npos || line.find("dropping") != std::string::npos;
}

// "2026-12-01T21:30:00.123456 ", as RocksDB's own log starts its lines.
std::string timestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(micros / 1'000'000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lld ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(micros % 1'000'000));
  return buf;
}

}  // namespace

RocksLog::RocksLog(std::string path) : path_(std::move(path)) {
  if (path_.empty()) return;
  file_ = std::fopen(path_.c_str(), "a");
  struct stat st {};
  if (file_ != nullptr && ::stat(path_.c_str(), &st) == 0)
    bytes_ = static_cast<std::size_t>(st.st_size);
}

RocksLog::~RocksLog() {
  if (file_ != nullptr) std::fclose(file_);
}

void RocksLog::Logv(const char* format, va_list ap) {
  char stack[1024];
  va_list copy;
  va_copy(copy, ap);
  const int n = std::vsnprintf(stack, sizeof stack, format, copy);
  va_end(copy);
  if (n < 0) return;
  std::string line;
  if (static_cast<std::size_t>(n) < sizeof stack) {
    line.assign(stack, static_cast<std::size_t>(n));
  } else {
    line.resize(static_cast<std::size_t>(n) + 1);
    std::vsnprintf(line.data(), line.size(), format, ap);
    line.resize(static_cast<std::size_t>(n));
  }
  std::lock_guard lock(mu_);
  if (reports_damage(line)) {
    damage_.push_back(line);
    if (damage_.size() > kDamageLinesKept) damage_.pop_front();
  }
  if (file_ == nullptr) return;
  if (bytes_ > kMaxLogBytes) rotate_locked();
  if (file_ == nullptr) return;
  const std::string out = timestamp() + line + "\n";
  // A short write (a full disk) loses the line and nothing else; the error
  // flag is cleared so that the next line tries again.
  bytes_ += std::fwrite(out.data(), 1, out.size(), file_);
  if (std::ferror(file_)) std::clearerr(file_);
}

void RocksLog::note(const std::string& line) {
  std::lock_guard lock(mu_);
  if (file_ == nullptr) return;
  const std::string out = timestamp() + "[cctv] " + line + "\n";
  bytes_ += std::fwrite(out.data(), 1, out.size(), file_);
  std::fflush(file_);
  if (std::ferror(file_)) std::clearerr(file_);
}

void RocksLog::Flush() {
  std::lock_guard lock(mu_);
  if (file_ != nullptr && std::fflush(file_) != 0) std::clearerr(file_);
}

std::vector<std::string> RocksLog::damage() const {
  std::lock_guard lock(mu_);
  return {damage_.begin(), damage_.end()};
}

void RocksLog::rotate_locked() {
  std::fclose(file_);
  std::rename(path_.c_str(), (path_ + ".old").c_str());
  file_ = std::fopen(path_.c_str(), "a");
  bytes_ = 0;
}

}  // namespace cctv::store::embedded
