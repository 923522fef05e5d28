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

struct CCTV_EXPORT RepairOptions {
  // Where the repaired store goes. Empty (the default): in place of the
  // damaged one, which is moved aside beside it. A directory (absent, or
  // empty): there, and the damaged store stays where it was -- for a store
  // that is a mount point (which cannot be moved), or a disk without room
  // for a second copy.
  std::string into;
};

struct CCTV_EXPORT RepairReport {
  // Where the damaged store is now, whole and unchanged: moved aside beside
  // the repaired one ("PATH.damaged-20261201T101500Z"), or with `into`,
  // where it was. Delete it once the repaired store is checked.
  std::string damaged_copy;
  // Where the repaired store is: the damaged store's path, or `into`.
  std::string repaired;
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
// counts: recounted from what was salvaged over the days it spans, kept as
// they were outside them (counts outlive activities past the retention).
// What only a damaged block of a table file held, a missing or short
// closed log, or a log after a damaged record held, is lost; the report
// says where and about how much. The damaged store is kept as it was.
// Needs free space for a second copy of the data (where it goes), and the
// store not open elsewhere. Throws InvalidArgument for a store that is not
// embedded, for a PATH that is a mount point without `into`, or an `into`
// that is not an empty directory; NotFound when PATH holds no store;
// StoreFull when there is no room for the copy; StoreError when the store
// is open in another process or the repair cannot finish (the damaged
// store is then left where it was, and nothing else is left behind).
CCTV_EXPORT RepairReport repair_store(std::string_view uri, const RepairOptions& options = {});

}  // namespace cctv

#endif  // CCTV_REPAIR_H_
