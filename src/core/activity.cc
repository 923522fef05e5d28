// Ids, reserved names and table names (cctv/activity.h, cctv/table.h).
#include "cctv/activity.h"

#include <array>

#include "cctv/error.h"
#include "cctv/table.h"
#include "core/validate.h"

namespace cctv {

bool is_reserved_attribute(std::string_view name) noexcept {
  static constexpr std::array<std::string_view, 5> kReserved = {"actor", "target", "timestamp",
                                                                "id", "expires_at"};
  for (auto r : kReserved) {
    if (name == r) return true;
  }
  return false;
}

std::string format_id(ActivityId id) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[i] = kHex[id & 0xF];
    id >>= 4;
  }
  return out;
}

ActivityId parse_id(std::string_view text, std::string_view field) {
  if (text.size() != 16) {
    throw InvalidArgument(std::string(field),
                          "'" + std::string(text) + "' is not an activity id (16 hex digits)");
  }
  ActivityId id = 0;
  for (char c : text) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      throw InvalidArgument(std::string(field),
                            "'" + std::string(text) + "' is not an activity id (16 hex digits)");
    }
    id = (id << 4) | static_cast<ActivityId>(digit);
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
