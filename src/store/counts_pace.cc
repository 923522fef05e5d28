#include "store/counts_pace.h"

#include <algorithm>

namespace cctv::store {

std::chrono::milliseconds pause_after_counts_write(std::chrono::steady_clock::duration took) {
  constexpr int kTimesTheWrite = 10;
  const auto pause = std::chrono::duration_cast<std::chrono::milliseconds>(took) * kTimesTheWrite;
  return std::clamp(pause, kLeastCountsPause, kMostCountsPause);
}

}  // namespace cctv::store
