// The embedded store's free-space floor. RocksDB needs room to write what
// it accepted: its log, then the table files its memtables flush into, and
// compactions that briefly hold input and output together. A disk that
// fills up under it leaves writes failing midway; so writes are refused
// once the free space falls below a floor (as Elasticsearch's flood-stage
// watermark does), and resume by themselves once space returns above it.
#ifndef CCTV_STORE_EMBEDDED_FREE_SPACE_H_
#define CCTV_STORE_EMBEDDED_FREE_SPACE_H_

#include <cstdint>
#include <optional>
#include <string>

namespace cctv::store::embedded {

struct DiskSpace {
  std::uint64_t free = 0;  // bytes an unprivileged writer may still use
  std::uint64_t size = 0;  // bytes in the filesystem
};

// The space of the filesystem holding `path`, or nullopt when it cannot be
// read.
std::optional<DiskSpace> disk_space(const std::string& path);

// The floor when none is set: 5% of the filesystem, but at least twice the
// memtables' budget plus 256 MiB and at most 4 GiB -- and never more than
// half of a small filesystem. Below the floor, RocksDB must still flush
// every memtable (uncompressed at the first levels: their size again) and
// compact the first level (8 files of 32 MiB, input and output side by side
// until it ends).
std::uint64_t default_floor(std::uint64_t filesystem_size, std::uint64_t memtable_bytes);

// "1.2 GiB", "830 MiB", "4.0 KiB": bytes for people.
std::string format_bytes(std::uint64_t bytes);

}  // namespace cctv::store::embedded

#endif  // CCTV_STORE_EMBEDDED_FREE_SPACE_H_
