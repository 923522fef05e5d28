// Keeps the embedded store's counts (layout in count_rows.h): gathers them
// from written batches in memory, writes them to each table's counts family
// when asked (the store asks from its own thread, paced by counts_pace.h,
// and on flush) -- one merge per (target, hour) instead of one per
// activity -- and answers count queries.
//
// Crash safety: every activity write carries a mark in the same RocksDB
// batch (its time span, in the counts family). The write of gathered counts
// deletes the marks it covers, atomically. Marks left by a crash name the
// time spans whose counts may be missing; recount() rebuilds those from the
// activities themselves.
//
// Thread-safe. Callers hold the store's table lock (shared to absorb and
// read, exclusive to forget a table), so the column families they pass stay
// valid.
#ifndef CCTV_STORE_EMBEDDED_COUNTS_KEEPER_H_
#define CCTV_STORE_EMBEDDED_COUNTS_KEEPER_H_

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cctv/counts.h"
#include "core/count_aggregator.h"
#include "core/hyperloglog.h"
#include "core/record_batch.h"
#include "store/embedded/log_space.h"
#include "store/embedded/sorted_batch.h"

namespace cctv::store::embedded {

class CountsKeeper {
 public:
  using FamilyOf = std::function<rocksdb::ColumnFamilyHandle*(std::uint32_t table)>;

  // `budget`: bytes what is gathered may hold (both sets together; the
  // store's counts_mb), before it is written whatever the pace.
  // `log_space`, when given, has room reserved in the log before each
  // write (log_space.h).
  CountsKeeper(rocksdb::DB* db, std::string location, std::size_t budget = SIZE_MAX,
               std::shared_ptr<LogSpace> log_space = nullptr);

  using Marks = std::vector<std::pair<std::uint32_t, std::string>>;  // (table, mark key)

  // Adds a mark for each table `batch` writes to `out` (the batch's RocksDB
  // write), before it is written. Returns them for absorb().
  Marks mark(const core::RecordBatch& batch, const FamilyOf& counts_family,
             rocksdb::WriteBatch& out);

  // After the write of a batch with `marks` succeeded: gathers the counts
  // of its records, except those `already_stored` flags. `hits` come from
  // the SortedBatchBuilder that built the write.
  void absorb(const std::vector<SortedBatchBuilder::CountHit>& hits,
              const std::vector<bool>& already_stored, Marks marks);

  // Whether what has gathered is due to be written (counts_pace.h).
  bool write_due();

  // Waits while what is gathering holds half the budget: until the write
  // under way ends and the next takes it. Writes of counts fall behind a
  // stream of new targets faster than they can write (here about 150,000 a
  // second); without this, each round held more targets and took longer
  // than the last, and memory grew without end. The caller holds no store
  // lock: a recount (which takes the tables exclusively) may be what ends
  // the wait.
  void wait_for_room();

  // Writes everything gathered. Throws StoreError (what was gathered is
  // then lost from memory; the marks left behind name it for a recount).
  void flush(const FamilyOf& counts_family);

  // Writes what has gathered, if anything, so that counts read next take
  // in every activity absorbed before the call: a write under way is
  // waited for, then what is left is written. Gives up, writing nothing,
  // when the write under way does not end within `patience` or the log
  // waits for disk space: a read must not wait on the disk (the counts
  // then lag as they would without it). Returns whether the counts are
  // caught up. Throws StoreError as flush().
  bool catch_up(const FamilyOf& counts_family, std::chrono::milliseconds patience);

  // Drops what was gathered for a table being dropped.
  void forget(std::uint32_t table);

  // Recounts whole UTC days -- the days holding [from_us, to_us) -- from
  // the activities in `by_target`: their count rows and sketches are
  // deleted and written anew. REQUIRES: nothing else writes to the table
  // meanwhile, and what was gathered has been flushed. Throws StoreError.
  void recount(rocksdb::ColumnFamilyHandle* counts, rocksdb::ColumnFamilyHandle* by_target,
               std::int64_t from_us, std::int64_t to_us);
  // Recounts the days the marks in `counts` name (left by a crash between
  // writing activities and writing their counts) and deletes the marks.
  // Returns how many marks there were. Same requirements as recount().
  std::size_t recover(rocksdb::ColumnFamilyHandle* counts, rocksdb::ColumnFamilyHandle* by_target);

  // Activities per minute (bucket == kMinute) or hour (kHour) of `target`
  // ("" for the whole table), for `n` buckets from bucket number `first`.
  std::vector<std::int64_t> counts(rocksdb::ColumnFamilyHandle* family, std::string_view target,
                                   Bucket bucket, std::int64_t first, std::size_t n);
  // Distinct-actor sketches per minute, hour or UTC day.
  std::vector<core::HyperLogLog> sketches(rocksdb::ColumnFamilyHandle* family,
                                          std::string_view target, Bucket bucket,
                                          std::int64_t first, std::size_t n);
  // The `limit` targets with most activities in minutes [from, to), exact.
  std::vector<TargetCount> top_targets(rocksdb::ColumnFamilyHandle* family,
                                       std::int64_t from_minute, std::int64_t to_minute,
                                       std::size_t limit);

 private:
  // Rows of counts, encoded back to back in one buffer before they go into
  // a RocksDB batch in key order. A row is begun, its key appended to
  // `bytes`, the key ended, its value appended, the row ended.
  struct RowBuffer {
    struct Row {
      rocksdb::ColumnFamilyHandle* family;
      std::size_t at;  // where the key starts in `bytes`; the value follows it
      std::size_t key_size;
      std::size_t value_size;
    };
    void begin(rocksdb::ColumnFamilyHandle* family) {
      rows.push_back(Row{family, bytes.size(), 0, 0});
    }
    void end_key() { rows.back().key_size = bytes.size() - rows.back().at; }
    void end_row() {
      rows.back().value_size = bytes.size() - rows.back().at - rows.back().key_size;
    }

    std::vector<Row> rows;
    std::string bytes;
  };

  // Writes what has gathered: rows in batches of a few megabytes, the
  // last with the deletion of the marks they cover. (A crash between them
  // leaves the marks, and the recount at the next open replaces what the
  // first batches wrote.) One batch for a whole round, with a million
  // targets in it, held hundreds of megabytes of rows and of memtable.
  void write_all(const FamilyOf& counts_family);
  // write_all()'s work; the caller holds write_mu_.
  void write_all_holding(const FamilyOf& counts_family);
  // Adds the merges of `taken`'s counts to `out`, in key order within each
  // batch, encoding them in `buffer` first; calls `write_out` for each
  // batch but the last, which is left in `out`.
  void write_rows(std::map<std::uint32_t, core::CountAggregator>& taken,
                  const FamilyOf& counts_family, RowBuffer& buffer, rocksdb::WriteBatch& out,
                  const std::function<void()>& write_out);
  // Moves the rows in `buffer` into `out`, in key order.
  static void merge_rows(RowBuffer& buffer, rocksdb::WriteBatch& out);
  [[noreturn]] void fail(const char* what, const rocksdb::Status& status) const;

  rocksdb::DB* const db_;
  const std::string location_;
  const std::shared_ptr<LogSpace> log_space_;
  const std::size_t budget_;
  std::atomic<std::uint64_t> next_mark_;
  // What the writers gather. Adding a batch's activities holds mu_ for a
  // few milliseconds; summarizing and writing them happens outside it.
  std::mutex mu_;
  // Two sets of aggregators (by table handle): the writers fill one while
  // the other is written out, then they swap. Each keeps its memory (a
  // target's list, the map's nodes) from one round to the next: allocating
  // it anew every second cost 40 MB of peak RSS to malloc's per-thread
  // arenas at 10M activities.
  std::map<std::uint32_t, core::CountAggregator> tables_[2];
  int filling_ = 0;                                   // the set the writers fill; guarded by mu_
  std::condition_variable room_;                      // wait_for_room(): the filling set was taken
  Marks marks_;                                       // to delete with the next write of counts
  std::chrono::steady_clock::time_point last_write_;  // guarded by mu_
  std::timed_mutex write_mu_;                         // one write of counts at a time
  // The rows and the batch of the last write, guarded by write_mu_. Kept
  // from one write to the next: a round's rows (megabytes under heavy load)
  // then reuse the memory of the last instead of allocating each row anew.
  RowBuffer rows_;
  rocksdb::WriteBatch batch_;
};

}  // namespace cctv::store::embedded

#endif  // CCTV_STORE_EMBEDDED_COUNTS_KEEPER_H_
