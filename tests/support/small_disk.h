// A small filesystem of its own for a test (a tmpfs mounted in a temporary
// directory), to fill up without touching the machine's disk. Mounting
// needs root, as CI runs; elsewhere mounted() is false and the test skips.
#ifndef CCTV_TESTS_SUPPORT_SMALL_DISK_H_
#define CCTV_TESTS_SUPPORT_SMALL_DISK_H_

#include <sys/mount.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "support/temp_dir.h"

namespace cctv::testing {

class SmallDisk {
 public:
  explicit SmallDisk(std::size_t megabytes) {
    const std::string options = "size=" + std::to_string(megabytes) + "m";
    mounted_ =
        ::geteuid() == 0 && ::mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, options.c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(dir_.path().c_str(), MNT_DETACH);
  }
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;

  bool mounted() const { return mounted_; }
  std::string path() const { return dir_.path().string(); }  // the mount point
  std::string file(const std::string& name) const { return dir_.file(name); }

  // Writes a file of `megabytes` (to take space from the store).
  void fill(const std::string& name, std::size_t megabytes) const {
    std::ofstream out(file(name), std::ios::binary);
    const std::string block(1 << 20, 'x');
    for (std::size_t i = 0; i < megabytes && out; ++i)
      out.write(block.data(), static_cast<std::streamsize>(block.size()));
  }

 private:
  TempDir dir_;
  bool mounted_ = false;
};

}  // namespace cctv::testing

#endif  // CCTV_TESTS_SUPPORT_SMALL_DISK_H_
