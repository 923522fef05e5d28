// Reading JSON text into Values: the one place where cctv parses JSON that
// comes from outside (HTTP bodies, NDJSON files, command-line values, stored
// table metadata).
//
// Built on RapidJSON's SAX reader with numbers taken as text and converted
// here (std::from_chars): RapidJSON 1.1.0's own number conversion reads out
// of bounds on some inputs (a long run of zeros after the decimal point in
// full-precision mode; an exponent whose sum with the fraction's digits
// overflows an int), which crashed the process. Parsing is iterative, so
// nesting costs heap, not stack, and it stops at the first level past the
// limit.
#ifndef CCTV_CORE_JSON_READER_H_
#define CCTV_CORE_JSON_READER_H_

#include <string>
#include <string_view>

#include "cctv/value.h"

namespace cctv::core {

// Deepest nesting of arrays and objects read_json() accepts: deeper than
// any attribute may nest (32), with room for the objects around it.
inline constexpr int kMaxJsonDepth = 40;

// Which field an error inside the value names: `field` itself (with the path
// below it in the message), or, for a JSON object whose keys are fields of
// their own (an activity's "time", "attributes"), the key it lies under.
enum class FaultNaming { kField, kByTopKey };

// Parses `json`, which must hold exactly one JSON value (whitespace around
// it allowed), into a Value. Throws InvalidArgument naming `field` (and the
// path inside the value, when the fault lies below its top) for malformed
// JSON, invalid UTF-8, an object that repeats a key, an integer outside the
// int64 range, a number outside the range of a double, or nesting deeper than
// kMaxJsonDepth.
Value read_json(std::string_view json, std::string_view field,
                FaultNaming naming = FaultNaming::kField);

// The value of a JSON number's text (as the JSON grammar has it; the reader
// checked it): an integer when it has no fraction or exponent, a double
// otherwise. Throws InvalidArgument naming `field` when it cannot be held.
Value number_from_text(std::string_view text, std::string_view field);

// `text` for a message: cut to its first `most` bytes, with "..." when cut.
std::string shorten(std::string_view text, std::size_t most = 40);

}  // namespace cctv::core

#endif  // CCTV_CORE_JSON_READER_H_
