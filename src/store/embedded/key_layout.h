// How the embedded store lays activities out in RocksDB.
//
// Each table has two column families of activities, `<table>#target` and
// `<table>#actor` (and one of counts, count_rows.h). In both, an activity's
// key is
//
//   varint(len(k)) k  big-endian u64 ~time_us  big-endian u64 ~id
//
// where k is the target (or the actor) and ~ inverts every bit. The length
// prefix makes k prefix-free, so all activities of one target form one
// contiguous range, ordered newest first by time and then id. Its value is
//
//   0x01  varint(len(o)) o  attributes
//
// where o is the other string (the actor, or the target) and attributes is
// the core/attribute_codec form. Both families hold the whole activity so a
// view reads one range and never a second lookup.
#ifndef CCTV_STORE_EMBEDDED_KEY_LAYOUT_H_
#define CCTV_STORE_EMBEDDED_KEY_LAYOUT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "cctv/activity.h"

namespace cctv::store::embedded {

// The families of a table are named `<table>` and one of these. Both
// activity families carry a suffix: a bare `<table>` family would collide
// with RocksDB's own "default" for a table named "default".
inline constexpr std::string_view kTargetSuffix = "#target";
inline constexpr std::string_view kActorSuffix = "#actor";
inline constexpr std::string_view kCountsSuffix = "#counts";

// A table's settings, as JSON, live in the default family under this key.
std::string meta_key(std::string_view table);

inline constexpr char kValueFormat = 1;
inline constexpr std::size_t kKeySuffixBytes = 16;

void append_index_key(std::string& out, std::string_view key, std::int64_t time_us,
                      std::uint64_t id);

struct IndexKey {
  std::string_view key;
  std::int64_t time_us;
  std::uint64_t id;
};

// Returns false when `encoded` is not an index key.
bool parse_index_key(std::string_view encoded, IndexKey& out);

// The keys of `key` with from_us <= time < to_us are exactly those in
// [lower, upper).
void index_range(std::string_view key, std::int64_t from_us, std::int64_t to_us, std::string& lower,
                 std::string& upper);

// A key above every key of `key` and below every key of any string that
// sorts after it.
std::string past_all_keys_of(std::string_view key);

void append_stored_value(std::string& out, std::string_view other, std::string_view attributes);

// Returns false when `encoded` is not a stored value of a known format.
bool parse_stored_value(std::string_view encoded, std::string_view& other,
                        std::string_view& attributes);

// Decodes the activity stored under `key` (in the actor index when
// `by_actor`) into `out`, reusing its memory. Returns false when key or value
// is malformed; throws StoreError for corrupt attributes.
bool decode_activity(std::string_view key, std::string_view value, bool by_actor, Activity& out);

}  // namespace cctv::store::embedded

#endif  // CCTV_STORE_EMBEDDED_KEY_LAYOUT_H_
