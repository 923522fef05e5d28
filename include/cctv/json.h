// Activities and values as JSON: the shape `cctv export` writes, `cctv
// import` reads, and the HTTP API speaks:
//
//   {"actor":"bob","target":"/store","time":"2026-11-01T10:00:00.000000Z",
//    "id":"00c0ffee00c0ffee","attributes":{"browser":"Chrome"}}
//
// Formatting is deterministic (fields in that order, attributes in their
// order, doubles in their shortest exact form), so format -> parse -> format
// gives the same bytes. All functions are thread-safe.
#ifndef CCTV_JSON_H_
#define CCTV_JSON_H_

#include <string>
#include <string_view>

#include "cctv/activity.h"
#include "cctv/export.h"
#include "cctv/value.h"

namespace cctv {

// Appends `activity` as one line of JSON (no newline) to `out`.
CCTV_EXPORT void append_json(const Activity& activity, std::string& out);
CCTV_EXPORT std::string to_json(const Activity& activity);

// Parses one activity object. "actor" and "target" are required; "time"
// (any form parse_time() takes, or a number of epoch seconds; relative forms
// count from `reference`), "id" (16 hex digits) and "attributes" (an object)
// are optional; any other field is an error. A missing time is `reference`,
// a missing id kNoId. Throws InvalidArgument naming the field.
CCTV_EXPORT Activity activity_from_json(std::string_view json, Timestamp reference);
inline Activity activity_from_json(std::string_view json) {
  return activity_from_json(json, now());
}

// A single value as JSON, and back. value_from_json() throws InvalidArgument
// for malformed JSON, invalid UTF-8, or an integer outside the int64 range.
CCTV_EXPORT void append_json(const Value& value, std::string& out);
CCTV_EXPORT std::string to_json(const Value& value);
CCTV_EXPORT Value value_from_json(std::string_view json, std::string_view field = "value");

}  // namespace cctv

#endif  // CCTV_JSON_H_
