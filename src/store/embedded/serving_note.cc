#include "store/embedded/serving_note.h"

#include <fcntl.h>
#include <rocksdb/env.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "cctv/error.h"

namespace cctv::store::embedded {

namespace {

constexpr const char* kNote = "/cctv-serve";

}  // namespace

bool held_by_another_process(const std::string& dir) {
  rocksdb::FileLock* probe = nullptr;
  if (!rocksdb::Env::Default()->LockFile(dir + "/LOCK", &probe).ok()) return true;
  rocksdb::Env::Default()->UnlockFile(probe).PermitUncheckedError();
  return false;
}

void write_serving_note(const std::string& dir, const std::string& url) {
  // Written beside and renamed over, so that a reader sees a whole note.
  const std::string path = dir + kNote;
  const std::string temporary = path + ".new";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw StoreError("cannot write " + temporary + ": " + std::strerror(errno));
  }
  const std::string text = url + "\n";
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const int write_errno = errno;
  ::close(fd);
  if (!written || ::rename(temporary.c_str(), path.c_str()) != 0) {
    ::unlink(temporary.c_str());
    throw StoreError("cannot write " + path + ": " + std::strerror(written ? errno : write_errno));
  }
}

void remove_serving_note(const std::string& dir) noexcept { ::unlink((dir + kNote).c_str()); }

std::optional<std::string> serving_url(const std::string& dir) {
  std::ifstream in(dir + kNote);
  std::string url;
  if (!in || !std::getline(in, url) || url.rfind("http://", 0) != 0) return std::nullopt;
  if (!held_by_another_process(dir)) return std::nullopt;  // left by a killed server
  return url;
}

}  // namespace cctv::store::embedded
