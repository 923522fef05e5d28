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
#include <vector>

#include "cctv/activity.h"
#include "cctv/counts.h"
#include "cctv/export.h"
#include "cctv/table.h"
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
// The same, from an activity object already parsed (value_from_json()).
CCTV_EXPORT Activity activity_from_value(Value object, Timestamp reference);
inline Activity activity_from_json(std::string_view json) {
  return activity_from_json(json, now());
}

// Results as JSON, the shapes `cctv ... --format json` prints and the HTTP
// API answers:
//   {"name":"logins","created":"...","approximate_activities":N,
//    "approximate_bytes":N,"has_actor_index":true,"retention_s":0,
//    "counts_retention_s":0,"details":{"label":"text",...}}
//   {"bucket":"hour","series":[{"start":"2026-11-01T10:00:00Z","count":N,
//    "unique_actors":U},...]}   (unique_actors only when given)
//   {"targets":[{"target":"/store","count":N},...]}
CCTV_EXPORT std::string to_json(const TableInfo& info);
CCTV_EXPORT std::string series_to_json(Bucket bucket, const Series& counts, const Series* unique_actors);
CCTV_EXPORT std::string top_to_json(const std::vector<TargetCount>& top);

// A single value as JSON, and back. value_from_json() throws InvalidArgument
// for malformed JSON, invalid UTF-8, or an integer outside the int64 range.
CCTV_EXPORT void append_json(const Value& value, std::string& out);
CCTV_EXPORT std::string to_json(const Value& value);
CCTV_EXPORT Value value_from_json(std::string_view json, std::string_view field = "value");

}  // namespace cctv

#endif  // CCTV_JSON_H_
