#include "store/counts_pace.h"

#include <cstdint>

namespace cctv::store {

bool counts_write_due(std::chrono::steady_clock::duration since, std::size_t activities,
                      std::size_t targets, std::size_t memory, std::size_t most_memory) {
  if (since < kLeastCountsPause) return false;
  if (since >= kMostCountsPause || activities >= kMostGatheredActivities || memory >= most_memory) {
    return true;
  }
  return since >= kCountsPausePerTarget * static_cast<std::int64_t>(targets);
}

}  // namespace cctv::store
