#include "store/embedded/free_space.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <cstdio>

namespace cctv::store::embedded {

std::optional<DiskSpace> disk_space(const std::string& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) return std::nullopt;
  return DiskSpace{static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize,
                   static_cast<std::uint64_t>(st.f_blocks) * st.f_frsize};
}

std::uint64_t default_floor(std::uint64_t filesystem_size, std::uint64_t memtable_bytes) {
  constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;
  const std::uint64_t floor =
      std::clamp(filesystem_size / 20, 2 * memtable_bytes + 256 * kMiB, std::uint64_t{4096} * kMiB);
  return std::min(floor, filesystem_size / 2);
}

std::string format_bytes(std::uint64_t bytes) {
  // Binary units, as min_free_mb and memtable_mb count.
  static constexpr const char* kUnits[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  char buf[32];
  if (unit == 0) {
    std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(buf, sizeof buf, value < 10 ? "%.1f %s" : "%.0f %s", value, kUnits[unit]);
  }
  return buf;
}

}  // namespace cctv::store::embedded
