// The layout of a table's counts column family (`<table>#counts`):
//
//   'M' BE32(hour)  target -> activities per minute of that hour (60 slots),
//                             then the distinct-actor sketch of each minute
//   'H' BE32(day)   target -> activities per hour of that UTC day (24 slots)
//   'u' 'h' BE32(day) target -> sketches of each hour of that UTC day
//                             (slots 0..23); the day's is their union
//   'd' BE64(n)             -> a write whose counts are not in the rows yet:
//                              varint(min time_us) varint(max time_us)
//
// Time comes before the target so that one day's rows of every target are
// adjacent (top targets read them in one scan); one target's series is a
// batch of point lookups. The target "" holds the whole table's counts.
// The hour counts of a day stay apart from the sketches so that a scan of
// a day's rows reads counts only.
//
// Count parts list the slots that are set: varint(n), then n times
// varint(slot) varint(count). Sketch parts list theirs as varint(n), then n
// times varint(slot) varint(length) sketch (core/hyperloglog.h); an 'M'
// row without activities' sketches (written before they moved there) ends
// after its counts. Packing a period's minutes (hours) into one row keeps
// the writes per target to three per interval however many minutes it
// spans. Rows change only through the merge operator below (counts add,
// sketches union), never read-modify-write.
#ifndef CCTV_STORE_EMBEDDED_COUNT_ROWS_H_
#define CCTV_STORE_EMBEDDED_COUNT_ROWS_H_

#include <rocksdb/merge_operator.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cctv/counts.h"
#include "core/hyperloglog.h"

namespace cctv::store::embedded {

inline constexpr char kMinuteRow = 'M';
inline constexpr char kHourRow = 'H';
inline constexpr char kSketchRow = 'u';
inline constexpr char kDirtyMark = 'd';
inline constexpr std::uint32_t kDaySlot = 24;

// A row key: kind, then BE32(period), then the target.
std::string row_key(char kind, std::int64_t period, std::string_view target);
void append_row_key(std::string& out, char kind, std::int64_t period, std::string_view target);
// The key of the row holding the sketch of `bucket` number `number` (a
// minute, hour or UTC day: an 'M' or a 'u' 'h' row), and its slot there
// (for a day, kDaySlot: every slot of the row).
std::string sketch_key(Bucket bucket, std::int64_t number, std::string_view target);
void append_sketch_key(std::string& out, Bucket bucket, std::int64_t number,
                       std::string_view target);
std::uint32_t sketch_slot(Bucket bucket, std::int64_t number);
// The row number (hour for minutes, day for hours and days) of a bucket.
std::int64_t sketch_row(Bucket bucket, std::int64_t number);

using Slots = std::vector<std::pair<std::uint32_t, std::int64_t>>;  // (slot, count), ascending
using SketchSlots =
    std::vector<std::pair<std::uint32_t, std::string_view>>;  // (slot, encoded sketch), ascending
void encode_sketch_row(const SketchSlots& slots, std::string& out);
// Merges the sketch in `slot` of row `key`'s value `encoded` into `into`;
// kDaySlot merges them all. False when malformed.
bool merge_sketch_slot(std::string_view key, std::string_view encoded, std::uint32_t slot,
                       core::HyperLogLog& into);
// An 'M' row: the minutes' counts, then their sketches.
void encode_minute_row(const Slots& counts, const SketchSlots& sketches, std::string& out);

// The merge operator's work on two values of `key`: `out` = existing + add.
bool combine(std::string_view key, std::string_view existing, std::string_view add,
             std::string& out);
std::string dirty_key(std::uint64_t n);
// Row `key`'s value `encoded` with only its slots before `end_slot` (its
// counts and sketches both): the part of a row's period before a time
// within it; `out` is left empty when no slot is. False when malformed.
bool slots_before(std::string_view key, std::string_view encoded, std::uint32_t end_slot,
                  std::string& out);

// Where a row key's target starts: after the kind and the period.
inline constexpr std::size_t kRowKeyPrefix = 5;
inline constexpr std::size_t kSketchKeyPrefix = 6;

void encode_row(const Slots& slots, std::string& out);
// Adds the count slots of row `kind`'s value `encoded` (an 'M' or 'H' row)
// into `totals` (indexed by slot). False when malformed or a slot is out of
// range.
bool add_row(char kind, std::string_view encoded, std::vector<std::int64_t>& totals);

void encode_dirty(std::int64_t min_us, std::int64_t max_us, std::string& out);
bool decode_dirty(std::string_view encoded, std::int64_t& min_us, std::int64_t& max_us);

// Adds rows slot by slot and unions sketches, by the key's kind.
std::shared_ptr<rocksdb::MergeOperator> counts_merge_operator();

}  // namespace cctv::store::embedded

#endif  // CCTV_STORE_EMBEDDED_COUNT_ROWS_H_
