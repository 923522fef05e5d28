// An Activity is one thing that happened: an actor did something (the
// table says what) to a target at a time, with extra attributes.
#ifndef CCTV_ACTIVITY_H_
#define CCTV_ACTIVITY_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "cctv/export.h"
#include "cctv/time.h"
#include "cctv/value.h"

namespace cctv {

// A 64-bit id, unique per activity, assigned when it is recorded. Written as
// 16 lowercase hex digits. Zero is never a valid id.
using ActivityId = std::uint64_t;
inline constexpr ActivityId kNoId = 0;

// Limits every store applies (DynamoDB's, so data can move between stores).
inline constexpr std::size_t kMaxKeyBytes = 1024;         // actor, target
inline constexpr std::size_t kMaxItemBytes = 400 * 1024;  // a whole activity

struct CCTV_EXPORT Activity {
  std::string actor;      // who: 1..1024 bytes of UTF-8
  std::string target;     // to what: 1..1024 bytes of UTF-8
  Timestamp time{};       // when, UTC
  ActivityId id = kNoId;  // unique id; kNoId asks the tracker to assign one
  Attributes attributes;  // anything else; names must not be reserved

  friend bool operator==(const Activity&, const Activity&) = default;
};

// Attribute names cctv sets itself; recording an attribute with one of
// these names is an error.
CCTV_EXPORT bool is_reserved_attribute(std::string_view name) noexcept;

// Checks `activity` as Tracker::record() would -- actor, target, time,
// attributes, size -- without recording it. Throws InvalidArgument naming
// the field that breaks a rule. The id is not checked (kNoId is fine).
CCTV_EXPORT void validate_activity(const Activity& activity);

// Formats an id as 16 lowercase hex digits.
CCTV_EXPORT std::string format_id(ActivityId id);
// Parses 16 hex digits (either case). Throws InvalidArgument naming `field`
// for anything else, including the all-zero id.
CCTV_EXPORT ActivityId parse_id(std::string_view text, std::string_view field = "id");

}  // namespace cctv

#endif  // CCTV_ACTIVITY_H_
