// The busiest targets of a tally: the ranking every store's top targets
// share.
#ifndef CCTV_CORE_BUSIEST_H_
#define CCTV_CORE_BUSIEST_H_

#include <algorithm>
#include <cstddef>
#include <vector>

#include "cctv/counts.h"

namespace cctv::core {

// Busier first; equal counts by target, so that the order is the same on
// every store and every read.
inline bool busier(const TargetCount& a, const TargetCount& b) {
  return a.count != b.count ? a.count > b.count : a.target < b.target;
}

// Keeps the `limit` busiest of `targets`, busiest first.
inline void keep_busiest(std::vector<TargetCount>& targets, std::size_t limit) {
  if (targets.size() > limit) {
    std::partial_sort(targets.begin(), targets.begin() + static_cast<std::ptrdiff_t>(limit),
                      targets.end(), busier);
    targets.resize(limit);
  } else {
    std::sort(targets.begin(), targets.end(), busier);
  }
}

}  // namespace cctv::core

#endif  // CCTV_CORE_BUSIEST_H_
