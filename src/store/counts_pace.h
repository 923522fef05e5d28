// When a store writes the counts it has gathered: a second after its last
// write, or later while many targets are active -- a millisecond per target
// touched since, at most ten seconds -- but as soon as a million
// activities have gathered.
//
// Why: a write costs about one RocksDB merge per (target, hour) touched
// since the one before, however many activities lie behind it, so its cost
// grows with the targets touched, not the activities. Written every second,
// 100,000 targets each touched a few times a second came close to a merge
// per activity and counts halved ingest. Waiting a millisecond per target
// keeps writing rows to about a hundredth of a core (a target's three rows
// cost a few microseconds each) and folds more activities into each merge; the cap on
// gathered activities bounds the memory they hold (8 bytes each) and the
// work left for flush(), and the store's counts budget bounds the memory of
// the targets (a hundred bytes and more each: a site whose pages keep
// being new). A few active targets keep counts a second behind.
#ifndef CCTV_STORE_COUNTS_PACE_H_
#define CCTV_STORE_COUNTS_PACE_H_

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace cctv::store {

inline constexpr std::chrono::milliseconds kLeastCountsPause{1000};
inline constexpr std::chrono::milliseconds kMostCountsPause{10000};
inline constexpr std::chrono::milliseconds kCountsPausePerTarget{1};
inline constexpr std::size_t kMostGatheredActivities = std::size_t{1} << 20;
// How often a store's counts writer asks counts_write_due().
inline constexpr std::chrono::milliseconds kCountsCheckPeriod{250};

// Whether counts are due to be written `since` the last write, with
// `activities` on `targets` distinct targets gathered meanwhile, holding
// `memory` bytes. Due too once `memory` reaches `most_memory` (half the
// store's counts budget: the other half is for the set being written
// meanwhile), never sooner than a second.
bool counts_write_due(std::chrono::steady_clock::duration since, std::size_t activities,
                      std::size_t targets, std::size_t memory = 0,
                      std::size_t most_memory = SIZE_MAX);

}  // namespace cctv::store

#endif  // CCTV_STORE_COUNTS_PACE_H_
