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
// Bumped in a child of fork(): blocks taken before it are the parent's too,
// and a thread that holds one drops it (the child's forking thread keeps
// its thread_local block, and would hand out the parent's next ids).
std::atomic<std::uint64_t> generation{0};

void reseed_in_child() noexcept {
  next_block_start.store(random_start(), std::memory_order_relaxed);
  generation.fetch_add(1, std::memory_order_relaxed);
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

struct ThreadIds {
  std::uint64_t next = 0;
  std::uint64_t end = 0;
  std::uint64_t generation = 0;
};

}  // namespace

ActivityId next_id() noexcept {
  thread_local ThreadIds ids;
  for (;;) {
    const std::uint64_t now_generation = generation.load(std::memory_order_relaxed);
    if (ids.next == ids.end || ids.generation != now_generation) {
      ids.next = next_block().fetch_add(kBlock, std::memory_order_relaxed);
      ids.end = ids.next + kBlock;
      ids.generation = now_generation;
    }
    const ActivityId id = ids.next++;
    if (id != kNoId) return id;
  }
}

}  // namespace cctv::core
