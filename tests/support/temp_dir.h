// A directory that exists for the life of a test and is removed after it.
#ifndef CCTV_TESTS_SUPPORT_TEMP_DIR_H_
#define CCTV_TESTS_SUPPORT_TEMP_DIR_H_

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace cctv::testing {

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/cctv-test-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  // A store URI for a fresh embedded store inside this directory.
  std::string store(const std::string& name = "data") const { return "rocksdb:" + file(name); }

 private:
  std::filesystem::path path_;
};

}  // namespace cctv::testing

#endif  // CCTV_TESTS_SUPPORT_TEMP_DIR_H_
