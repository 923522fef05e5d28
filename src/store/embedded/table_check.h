// Checking an embedded store's table files whole before it is opened for
// writing. RocksDB reads a table file's checksummed blocks only when it
// needs them, so a flipped byte in a data block goes unseen at open and
// surfaces later -- or sinks a compaction, after which RocksDB refuses every
// write. Reading every file at every open would make a large store slow to
// open; so a ledger in the store's directory (`cctv-checked`) lists the
// files checked whole, with their size and modification time, and an open
// reads only the files not in it or changed since: after a clean close,
// none; after a crash, those written since the last check; after someone
// edited a file, that one.
//
// The check runs before RocksDB opens the store for writing, which would
// change it (replaying its log into new files): a damaged store is
// refused as it was found.
#ifndef CCTV_STORE_EMBEDDED_TABLE_CHECK_H_
#define CCTV_STORE_EMBEDDED_TABLE_CHECK_H_

#include <rocksdb/db.h>

#include <string>

namespace cctv::store::embedded {

// Verifies the checksums of the table files in `dir` that the ledger does
// not vouch for. Throws StoreError naming the first damaged one that the
// store uses, with `location` and how to repair it. (A damaged file the
// store no longer uses -- what a crash in the middle of a compaction leaves
// -- is no damage: RocksDB deletes it at open.)
void check_table_files(const std::string& dir, const std::string& location);

// Writes the ledger for every table file of `db` as it is now: the files
// that check_table_files() passed, and those this process wrote since.
// A ledger that cannot be written (a full disk) is left as it was: the
// files are checked again next time.
void record_table_files(rocksdb::DB& db, const std::string& dir);

}  // namespace cctv::store::embedded

#endif  // CCTV_STORE_EMBEDDED_TABLE_CHECK_H_
