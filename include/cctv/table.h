// Tables: one per kind of activity ("store-pageviews", "logins").
#ifndef CCTV_TABLE_H_
#define CCTV_TABLE_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cctv/export.h"
#include "cctv/time.h"

namespace cctv {

// Settings a table is created with; Client::alter_table changes them.
struct CCTV_EXPORT TableOptions {
  // Activities older than this disappear; zero (the default) keeps them.
  // Their counts stay: they have their own retention. Views never return an
  // expired activity, even before the store has removed it.
  std::chrono::seconds retention{0};
  // Counts (per minute, hour and day, and distinct-actor sketches) older
  // than this disappear; zero (the default) keeps them. A year of hourly
  // counts can outlive 30 days of activities.
  std::chrono::seconds counts_retention{0};
  friend bool operator==(const TableOptions&, const TableOptions&) = default;
};

// What a store can say about a table cheaply. Counts and sizes are the
// store's estimates, not exact figures.
struct CCTV_EXPORT TableInfo {
  std::string name;
  Timestamp created{};                       // when the table was created
  std::uint64_t approximate_activities = 0;  // estimate
  std::uint64_t approximate_bytes = 0;       // on disk and in memory, estimate
  bool has_actor_index = true;               // views by actor are possible
  TableOptions options;                      // retention
  // What else the store can tell, as (label, text) lines for people: where
  // the table lives, its key schema and indexes, billing, TTL.
  std::vector<std::pair<std::string, std::string>> details;
};

// Returns true when `name` is a valid table name: 3 to 255 characters from
// A-Z a-z 0-9 _ . - (DynamoDB's rule, applied to every store).
CCTV_EXPORT bool is_valid_table_name(std::string_view name) noexcept;
// Throws InvalidArgument, naming the rule, unless is_valid_table_name(name).
CCTV_EXPORT void validate_table_name(std::string_view name);

}  // namespace cctv

#endif  // CCTV_TABLE_H_
