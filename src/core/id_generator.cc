#include "core/id_generator.h"

#include <pthread.h>
#include <sys/random.h>

#include <atomic>
#include <cstdint>
#include <random>

namespace cctv::core {

namespace {

constexpr std::uint64_t kBlock = 4096;

std::uint64_t random_start() noexcept {
  std::uint64_t start = 0;
  // getrandom() is a plain system call: safe in a child of fork(), where
  // this also runs.
  if (getrandom(&start, sizeof start, 0) == static_cast<ssize_t>(sizeof start)) return start;
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

std::atomic<std::uint64_t> next_block_start{0};

struct ThreadIds {
  std::uint64_t next = 0;
  std::uint64_t end = 0;
};
thread_local ThreadIds thread_ids;

// In a child of fork(), on its one thread -- the one that forked, whose
// block of ids the parent goes on using: that block is dropped, and the
// counter starts anew. The parent's other threads, and their blocks, are
// not in the child.
void reseed_in_child() noexcept {
  next_block_start.store(random_start(), std::memory_order_relaxed);
  thread_ids = ThreadIds{};
}

std::atomic<std::uint64_t>& next_block() {
  static const bool seeded = [] {
    next_block_start.store(random_start(), std::memory_order_relaxed);
    pthread_atfork(nullptr, nullptr, reseed_in_child);
    return true;
  }();
  static_cast<void>(seeded);
  return next_block_start;
}

}  // namespace

ActivityId next_id() noexcept {
  ThreadIds& ids = thread_ids;
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
