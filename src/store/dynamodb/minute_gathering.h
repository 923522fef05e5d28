// What a writer gathers of one table's activities before it writes them as
// minute items (minute_counts.h): per (target, minute), how many
// activities and their actors' sketch entries, and the same for the whole
// table.
//
// Counting an activity is on the write path of every activity, and with
// many targets nearly every activity is a (target, minute) of its own. So
// the gathering is flat: each target's name is kept once in one string, an
// open-addressing table finds it by the hash the caller already has, the
// cells sit in one array (a target's minutes chained latest first), and the
// sketch entries in another. Counting allocates nothing but the amortized
// growth of those arrays.
//
// Not thread-safe.
#ifndef CCTV_STORE_DYNAMODB_MINUTE_GATHERING_H_
#define CCTV_STORE_DYNAMODB_MINUTE_GATHERING_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/dynamodb/minute_records.h"

namespace cctv::store::dynamodb {

class MinuteGathering {
 public:
  // Counts one activity on `target` in `minute` by an actor of sketch
  // entry `entry` (core::HyperLogLog::entry()), for the target and for the
  // whole table. `hash` is core::actor_hash(target).
  void add(std::string_view target, std::uint64_t hash, std::int64_t minute, std::uint32_t entry);

  // Hints that the target of `hash` is counted soon. With many targets,
  // counting one takes a chain of cache misses (its slot, its entry, its
  // name and latest cell); a caller with a batch at hand asks for each
  // activity's links a few activities ahead, one step after another --
  // kSlot furthest ahead, kCell nearest, each step following what the
  // step before brought in -- so that the misses of several activities
  // overlap. Changes nothing.
  enum class Prefetch { kSlot, kTarget, kCell };
  void prefetch(std::uint64_t hash, Prefetch step) const noexcept;

  bool empty() const noexcept { return cells_.empty(); }

  // The records gathered, by bucket (count_bucket() of the target; the
  // whole table's, target "", in count_bucket("")), with their entries
  // normalized. With `ordered`, each bucket's records are sorted by
  // (target, minute), so that the same activities give the same records
  // whatever order they came in. Leaves the gathering empty.
  std::vector<std::vector<MinuteRecord>> take(bool ordered = false);

  // One minute item's worth of a bucket's records, encoded: their counts
  // (encode_records() without entries), their sketch entries
  // (encode_entries()), and the earliest hour they count in.
  struct Payloads {
    int bucket = 0;
    std::string counts;
    std::string sketches;
    std::int64_t oldest_hour = 0;
  };
  // The records take() gives, bucket by bucket, split as split_records()
  // splits them at `max_payload` and encoded -- without building a record
  // per cell, which with many targets is nearly one per activity. Leaves
  // the gathering empty.
  std::vector<Payloads> take_payloads(std::size_t max_payload);

 private:
  static constexpr std::uint32_t kNone = UINT32_MAX;

  struct Target {
    std::uint64_t hash;
    std::size_t name_begin;  // in names_ (4 million targets of 1 KB pass 32 bits)
    std::uint32_t name_size;
    std::uint32_t latest_cell;  // of its latest minute; kNone: none yet
  };
  struct Cell {
    std::int64_t minute;
    std::int64_t count;
    std::uint32_t target;
    std::uint32_t older;      // the target's cell of the next earlier minute; kNone: none
    std::uint32_t listed;     // its entries in entries_
    std::uint32_t registers;  // 1 + its index in registers_; 0: none
  };

  // The index of `target` in targets_, added when new.
  std::uint32_t target_of(std::string_view target, std::uint64_t hash);
  void count(std::uint32_t target, std::int64_t minute, std::uint32_t entry);
  void grow_slots();
  // Each cell's listed entries, grouped by cell: cell c's are
  // grouped[begin[c]] up to grouped[begin[c + 1]].
  void group_entries(std::vector<std::uint32_t>& begin, std::vector<std::uint32_t>& grouped) const;
  // A cell's sketch entries as MinuteRecord::entries holds them, from its
  // listed entries and its registers (which this raises).
  void cell_entries(const Cell& cell, std::span<const std::uint32_t> listed,
                    std::vector<std::uint32_t>& out);

  std::string names_;
  std::vector<Target> targets_;  // [0]: the whole table
  // Open addressing over targets_ (1 + index; 0: free), a power of two in
  // size and at most half full.
  std::vector<std::uint32_t> slots_;
  std::vector<Cell> cells_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> entries_;  // (cell, entry)
  // A busy cell's sketch registers: from kRegistersAfter entries on, its
  // entries raise them instead of being listed, so that it holds one per
  // register, not one per activity.
  std::vector<std::vector<std::uint8_t>> registers_;
};

}  // namespace cctv::store::dynamodb

#endif  // CCTV_STORE_DYNAMODB_MINUTE_GATHERING_H_
