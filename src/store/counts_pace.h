// How long a store waits between writes of the counts it has gathered: a
// second, or -- when the last write took long -- ten times as long as it
// took, so that writing counts keeps to about a tenth of one core; never
// more than ten seconds.
//
// Why: a write costs about one RocksDB merge per (target, hour) touched
// since the one before, however many activities lie behind it. With many
// targets, each touched a few times a second, writing every second came
// close to a merge per activity: at 100,000 targets counts halved ingest.
// Waiting longer under such load folds more activities into each merge;
// under light load counts stay a second behind their activities.
#ifndef CCTV_STORE_COUNTS_PACE_H_
#define CCTV_STORE_COUNTS_PACE_H_

#include <chrono>

namespace cctv::store {

inline constexpr std::chrono::milliseconds kLeastCountsPause{1000};
inline constexpr std::chrono::milliseconds kMostCountsPause{10000};

// The pause after a write of counts that took `took` (wall time).
std::chrono::milliseconds pause_after_counts_write(std::chrono::steady_clock::duration took);

}  // namespace cctv::store

#endif  // CCTV_STORE_COUNTS_PACE_H_
