// Rules every activity and table name must follow, in every store.
#ifndef CCTV_CORE_VALIDATE_H_
#define CCTV_CORE_VALIDATE_H_

#include <string>
#include <string_view>

#include "cctv/table.h"
#include "cctv/time.h"
#include "cctv/value.h"

namespace cctv::core {

// Throws InvalidArgument naming `field` ("actor", "target") unless `key` is
// 1..1024 bytes of valid UTF-8.
void check_key(std::string_view field, std::string_view key);

// Throws InvalidArgument unless `name` is a valid table name.
void check_table_name(std::string_view name);

// Throws InvalidArgument for a negative retention.
void check_table_options(const TableOptions& options);

// How long a retention keeps data, for people: "forever", "90 days", "3600 s".
std::string retention_text(std::chrono::seconds kept);

// Throws InvalidArgument unless kMinTime <= t < kMaxTime.
void check_time(std::string_view field, Timestamp t);

// Validates one activity -- actor, target, time, attributes, item size --
// and appends its encoded attributes (core/attribute_codec.h) to `encoded`.
// Throws InvalidArgument naming the first field that breaks a rule.
void check_and_encode(std::string_view actor, std::string_view target, const Attributes& attributes,
                      Timestamp time, std::string& encoded);

// Throws InvalidArgument unless `range` is non-empty. Returns it clamped to
// [kMinTime, kMaxTime).
TimeRange check_range(const TimeRange& range);

}  // namespace cctv::core

#endif  // CCTV_CORE_VALIDATE_H_
