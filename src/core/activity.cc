// Ids, reserved names and table names (cctv/activity.h, cctv/table.h).
#include "cctv/activity.h"

#include <array>

#include "cctv/error.h"
#include "cctv/table.h"
#include "core/coding.h"
#include "core/validate.h"

namespace cctv {

bool is_reserved_attribute(std::string_view name) noexcept {
  // _cctv_put, _cctv_c: marks the DynamoDB store keeps on items.
  static constexpr std::array<std::string_view, 7> kReserved = {
      "actor", "target", "timestamp", "id", "expires_at", "_cctv_put", "_cctv_c"};
  for (auto r : kReserved) {
    if (name == r) return true;
  }
  return false;
}

std::string format_id(ActivityId id) {
  std::string out;
  core::append_hex64(out, id);
  return out;
}

ActivityId parse_id(std::string_view text, std::string_view field) {
  ActivityId id = 0;
  if (!core::parse_hex64(text, id)) {
    throw InvalidArgument(std::string(field),
                          "'" + std::string(text) + "' is not an activity id (16 hex digits)");
  }
  if (id == kNoId) {
    throw InvalidArgument(std::string(field), "0000000000000000 is not a valid activity id");
  }
  return id;
}

void validate_activity(const Activity& activity) {
  thread_local std::string scratch;
  scratch.clear();
  core::check_and_encode(activity.actor, activity.target, activity.attributes, activity.time,
                         scratch);
}

void validate_table_name(std::string_view name) { core::check_table_name(name); }

bool is_valid_table_name(std::string_view name) noexcept {
  if (name.size() < 3 || name.size() > 255) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace cctv
