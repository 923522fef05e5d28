#include "core/id_generator.h"

#include <atomic>
#include <cstdint>
#include <random>

namespace cctv::core {

namespace {

constexpr std::uint64_t kBlock = 4096;

std::atomic<std::uint64_t>& next_block() {
  static std::atomic<std::uint64_t> counter = [] {
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32) ^ device();
  }();
  return counter;
}

struct ThreadIds {
  std::uint64_t next = 0;
  std::uint64_t end = 0;
};

}  // namespace

ActivityId next_id() noexcept {
  thread_local ThreadIds ids;
  for (;;) {
    if (ids.next == ids.end) {
      ids.next = next_block().fetch_add(kBlock, std::memory_order_relaxed);
      ids.end = ids.next + kBlock;
    }
    const ActivityId id = ids.next++;
    if (id != kNoId) return id;
  }
}

}  // namespace cctv::core
