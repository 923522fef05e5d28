// Counts and distinct-actor sketches of recorded activities, gathered in
// memory until a store writes them: one write per (target, bucket) per
// interval instead of one per activity.
//
// add() only appends (minute, sketch entry) to the target's list, and adds
// the actor to the whole table's sketches; sorting and encoding wait for
// summarize(), once per interval. Lists keep their memory from one
// interval to the next, so a steady stream of activities does not allocate.
// Targets are found through an open-addressing table of their hashes:
// select() runs once per target per batch, and a node-based map cost it
// a cache miss more per lookup.
//
// Not thread-safe.
#ifndef CCTV_CORE_COUNT_AGGREGATOR_H_
#define CCTV_CORE_COUNT_AGGREGATOR_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cctv/counts.h"
#include "core/hyperloglog.h"

namespace cctv::core {

// What summarize() reports for one target (or the whole table).
struct TallySummary {
  std::vector<std::pair<std::int64_t, std::int64_t>>
      minutes;  // (minute number, activities), ascending
  // Minutes' and hours' sketches. A day's is the union of its hours',
  // taken when it is read: building and writing it too would repeat the
  // hours' bytes.
  struct Sketch {
    Bucket bucket;
    std::int64_t number;           // the minute or hour
    std::string_view encoded;      // HyperLogLog::encode() form, into `bytes`
    std::size_t offset, size = 0;  // where `encoded` lies in `bytes`
  };
  std::vector<Sketch> sketches;
  // Every sketch's encoding, back to back: one buffer reused from target
  // to target instead of a string allocated per sketch.
  std::string bytes;
};

class CountAggregator {
 public:
  // Counts activities of one target, given in a row: select() looks the
  // target up once, add() counts one activity of it (and of the whole
  // table) in `minute` (minute number) by an actor whose
  // HyperLogLog::entry is `entry`. `hash` is target_hash(target), for
  // callers that have it already.
  void select(std::string_view target, std::uint64_t hash);
  void select(std::string_view target) { select(target, target_hash(target)); }
  void add(std::int64_t minute, std::uint32_t entry);

  static std::uint64_t target_hash(std::string_view target) noexcept { return actor_hash(target); }

  // Activities added, and distinct targets they were on, since the last
  // summarize().
  std::size_t gathered() const noexcept { return gathered_; }
  std::size_t touched() const noexcept { return touched_; }
  // Bytes it holds, about: what the store's counts budget (counts_mb)
  // bounds.
  std::size_t memory() const noexcept;

  // Forgets the targets with nothing gathered since the last summarize()
  // (after one, all of them) and gives their memory back, instead of
  // keeping them one interval in case they come again.
  void release_idle();

  // Calls visit(target, summary) for every target touched, then
  // visit("", summary) for the whole table, and starts over empty.
  void summarize(const std::function<void(const std::string& target, const TallySummary&)>& visit);

 private:
  struct Hit {
    std::uint32_t minute;  // minute number (fits until the year 10136)
    std::uint32_t entry;   // HyperLogLog::entry of the actor
    friend bool operator<(const Hit& a, const Hit& b) {
      return a.minute != b.minute ? a.minute < b.minute : a.entry < b.entry;
    }
  };
  struct Target {
    std::uint64_t hash;
    std::string name;
    std::vector<Hit> hits;
  };
  struct TableSketch {
    Bucket bucket;
    std::int64_t number;
    HyperLogLog sketch;
  };

  // The whole table's sketch of one bucket, made on first use.
  HyperLogLog& table_sketch(Bucket bucket, std::int64_t number);

  // The slot of `target` in slots_, or the empty slot where it would go.
  std::size_t slot_of(std::uint64_t hash, std::string_view target) const;
  // Rebuilds slots_ for targets_, at most half full.
  void reindex();

  std::vector<Target> targets_;
  std::vector<std::uint32_t> slots_;      // index in targets_ + 1; 0: empty
  std::vector<Hit>* selected_ = nullptr;  // valid until the next select() or summarize()
  // The whole table: activities and sketches per minute, hour and day.
  std::vector<std::pair<std::int64_t, std::int64_t>> table_minutes_;
  std::vector<TableSketch> table_sketches_;
  std::size_t gathered_ = 0;
  std::size_t touched_ = 0;
  std::size_t name_bytes_ = 0;  // targets' names, where longer than a string holds inline
  std::size_t hits_held_ = 0;   // the hit lists' capacity, in hits
};

}  // namespace cctv::core

#endif  // CCTV_CORE_COUNT_AGGREGATOR_H_
