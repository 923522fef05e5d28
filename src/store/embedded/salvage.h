// Rebuilding a damaged embedded store from what is readable in it (`cctv
// repair`; cctv/repair.h is the contract).
//
// RocksDB's own RepairDB() was no use here: it drops the activities of
// every table whose data was still only in the log (it knows the column
// families only from table files), drops a whole table file for one bad
// block, and on an undamaged store with several families it failed halfway
// after moving the MANIFEST and logs aside. So the salvage reads instead:
//
//  1. a snapshot of hard links to the store's files (a missing CURRENT
//     written there, naming the newest MANIFEST), opened read-only with
//     RocksDB skipping damaged log records;
//  2. each activity family through the store's merged view, or, where that
//     meets damage, source by source: what the log held (the memtables),
//     then each table file from both ends up to its damaged blocks;
//  3. every entry of either index written as both index entries into a
//     fresh store beside the old one, tables and their settings first;
//     counts recounted there;
//  4. the old directory renamed aside, the fresh one put in its place --
//     or, repairing into another directory, the fresh store written there
//     and the old one left alone.
#ifndef CCTV_STORE_EMBEDDED_SALVAGE_H_
#define CCTV_STORE_EMBEDDED_SALVAGE_H_

#include <string>

#include "cctv/repair.h"
#include "store/embedded/embedded_uri.h"

namespace cctv::store::embedded {

// Salvages the store in options.path (`location` is its URI, for
// messages) into its place, or into `into` when that is not empty. Throws
// as repair_store() says.
RepairReport salvage(const EmbeddedOptions& options, const std::string& location,
                     const std::string& into);

}  // namespace cctv::store::embedded

#endif  // CCTV_STORE_EMBEDDED_SALVAGE_H_
