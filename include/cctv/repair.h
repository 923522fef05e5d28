// Salvaging a damaged embedded store: one that refuses to open because a
// file in it is damaged (a flipped byte in a table file or in the middle of
// its write-ahead log, a lost CURRENT file).
#ifndef CCTV_REPAIR_H_
#define CCTV_REPAIR_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cctv/export.h"

namespace cctv {

struct CCTV_EXPORT RepairReport {
  // Where the damaged store was moved, whole and unchanged, beside the
  // repaired one ("PATH.damaged-20261201T101500Z"): delete it once the
  // repaired store is checked.
  std::string damaged_copy;
  struct Table {
    std::string name;
    std::uint64_t activities = 0;  // salvaged, now stored (and counted)
    // Activities the damaged store's counts said it held, over the span
    // the salvaged ones cover (past any retention), or -1 when its counts
    // could not be read. The difference is what was lost, give or take what
    // was counted late: counts are written a second or so after activities.
    std::int64_t counted_before = -1;
  };
  std::vector<Table> tables;
  // What was found damaged, and what it cost: one line each.
  std::vector<std::string> findings;
};

// Rebuilds the embedded store `uri` (rocksdb:PATH) from what is readable in
// it: every activity either of its two indexes still holds (each holds the
// whole activity, so one index mends the other), its tables' settings, and
// counts recounted from what was salvaged. What only a damaged block of a
// table file held, or the log after a damaged record, is lost; the report
// says where and about how much. The damaged store is kept aside as it was.
// Needs free space for a second copy of the data, and the store not open
// elsewhere. Throws InvalidArgument for a store that is not embedded,
// NotFound when PATH holds no store, StoreError when the store is open in
// another process or the repair cannot finish (the damaged store is then
// left where it was).
CCTV_EXPORT RepairReport repair_store(std::string_view uri);

}  // namespace cctv

#endif  // CCTV_REPAIR_H_
