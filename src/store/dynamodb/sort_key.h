// The `timestamp` sort key of cctv's DynamoDB items:
//
//   SSSSSSSSSS.uuuuuu#<16 hex id>   ten digits of epoch seconds, six of
//                                   microseconds, the activity id
//   SSSSSSSSSS                      items written by the 2014 gem: whole
//                                   seconds, no id
//
// Both forms sort by time as strings, so one Query range covers both.
#ifndef CCTV_STORE_DYNAMODB_SORT_KEY_H_
#define CCTV_STORE_DYNAMODB_SORT_KEY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cctv::store::dynamodb {

void append_sort_key(std::string& out, std::int64_t time_us, std::uint64_t id);

struct SortKey {
  std::int64_t time_us;
  std::uint64_t id;
  bool legacy;  // the gem's bare seconds; `id` was derived from the item's key
};

// Parses either form; returns nullopt for anything else. A legacy key's id
// is derived from (target, key), so the same item always gets the same id.
std::optional<SortKey> parse_sort_key(std::string_view key, std::string_view target);

// The id a legacy item gets: a hash of its target and sort key, never 0.
std::uint64_t legacy_id(std::string_view target, std::string_view key);

// Inclusive bounds for `timestamp BETWEEN lower AND upper` that select the
// items with from_us <= time < to_us, in both forms.
std::string lower_bound_key(std::int64_t from_us);
std::string upper_bound_key(std::int64_t to_us);

}  // namespace cctv::store::dynamodb

#endif  // CCTV_STORE_DYNAMODB_SORT_KEY_H_
