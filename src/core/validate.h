// Rules every activity and table name must follow, in every store.
#ifndef CCTV_CORE_VALIDATE_H_
#define CCTV_CORE_VALIDATE_H_

#include <string_view>

#include "cctv/time.h"

namespace cctv::core {

// Throws InvalidArgument naming `field` ("actor", "target") unless `key` is
// 1..1024 bytes of valid UTF-8.
void check_key(std::string_view field, std::string_view key);

// Throws InvalidArgument unless `name` is a valid table name.
void check_table_name(std::string_view name);

// Throws InvalidArgument unless kMinTime <= t < kMaxTime.
void check_time(std::string_view field, Timestamp t);

// Throws InvalidArgument unless `range` is non-empty. Returns it clamped to
// [kMinTime, kMaxTime).
TimeRange check_range(const TimeRange& range);

}  // namespace cctv::core

#endif  // CCTV_CORE_VALIDATE_H_
