// Turns a batch of activities into one RocksDB WriteBatch whose puts are
// ordered by (column family, key).
//
// Why: the memtable is a skiplist, and inserting keys in random order costs a
// walk from the top, with cache misses at every level, per key -- measured as
// most of the ingest time. Written in key order with
// WriteOptions::memtable_insert_hint_per_batch, each insert starts where the
// previous one ended.
//
// The sort moves 16-byte references, not keys: keys are compared where they
// lie in the RecordBatch and encoded once, straight into the WriteBatch.
//
// Not thread-safe: one builder per writing thread.
#ifndef CCTV_STORE_EMBEDDED_SORTED_BATCH_H_
#define CCTV_STORE_EMBEDDED_SORTED_BATCH_H_

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/record_batch.h"

namespace cctv::store::embedded {

struct Families {
  rocksdb::ColumnFamilyHandle* by_target;
  rocksdb::ColumnFamilyHandle* by_actor;
};

class SortedBatchBuilder {
 public:
  // Fills `out` (cleared first) with both index entries of every record of
  // `batch`, in (column family, key) order. `families` maps a record's table
  // to its column families.
  // With `count`, also fills count_hits().
  void build(const core::RecordBatch& batch,
             const std::function<Families(std::uint32_t table)>& families, bool count,
             rocksdb::WriteBatch& out);

  // What counting needs of each record, gathered by build() while the
  // record is in cache anyway, in target-index key order: grouped by table
  // and target, so counting looks each target up once per batch.
  struct CountHit {
    std::string_view target;    // into the batch
    std::uint64_t target_hash;  // CountAggregator::target_hash(target)
    std::uint32_t table;
    std::uint32_t record;
    std::uint32_t minute;  // minute number of the activity's time
    std::uint32_t entry;   // HyperLogLog::entry of the actor
  };
  const std::vector<CountHit>& count_hits() const { return count_hits_; }

 private:
  struct Entry {
    std::uint64_t prefix;  // the key's first eight bytes, big-endian: most comparisons end here
    std::uint32_t family;  // column family id
    std::uint32_t record;  // index in the batch; the top bit set for the actor index
  };

  std::vector<Entry> entries_;
  std::vector<CountHit> count_hits_;
  std::vector<rocksdb::ColumnFamilyHandle*> by_id_;  // column family id -> handle
  std::string key_;
  std::string value_;
};

}  // namespace cctv::store::embedded

#endif  // CCTV_STORE_EMBEDDED_SORTED_BATCH_H_
