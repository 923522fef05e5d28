// The compact binary form of an activity's attributes that stores keep and
// the ingest queue carries. Encoding also validates, so one pass over the
// attributes both checks and serializes them.
//
//   attributes := varint(count) entry*
//   entry      := varint(len) name value
//   value      := 0x00 null | 0x01 false | 0x02 true
//               | 0x03 zigzag-varint integer | 0x04 8-byte little-endian double
//               | 0x05 varint(len) utf8 | 0x06 varint(count) value*
//               | 0x07 varint(count) entry*
#ifndef CCTV_CORE_ATTRIBUTE_CODEC_H_
#define CCTV_CORE_ATTRIBUTE_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cctv/value.h"

namespace cctv::core {

// Deepest nesting of lists and maps inside an attribute (DynamoDB's limit).
inline constexpr int kMaxNesting = 32;
// Non-zero numbers must have a magnitude in [kMin, kMax) (DynamoDB's range).
inline constexpr double kMinNumberMagnitude = 1e-130;
inline constexpr double kMaxNumberMagnitude = 1e126;

// Appends the encoding of `attributes` to `out` and returns their size as
// DynamoDB counts it (names plus values). Throws InvalidArgument, naming the
// attribute path, for a reserved top-level name, an empty or repeated name,
// invalid UTF-8, a NaN or infinite double, a double outside DynamoDB's
// number range, or nesting deeper than kMaxNesting. On a throw, `out` may hold a partial encoding.
std::size_t encode_attributes(const Attributes& attributes, std::string& out);

// Decodes what encode_attributes() wrote. Throws StoreError on malformed
// input (corrupt data).
Attributes decode_attributes(std::string_view encoded);

// Receives the parts of encoded attributes in order, for code that turns
// them into something other than Values (another wire format) without
// building Values first. A map's entries arrive as key() then the value.
class AttributeVisitor {
 public:
  virtual ~AttributeVisitor() = default;
  virtual void null() = 0;
  virtual void boolean(bool b) = 0;
  virtual void integer(std::int64_t i) = 0;
  virtual void number(double d) = 0;
  virtual void string(std::string_view s) = 0;
  virtual void begin_list(std::size_t size) = 0;
  virtual void end_list() = 0;
  virtual void begin_map(std::size_t size) = 0;
  virtual void key(std::string_view name) = 0;
  virtual void end_map() = 0;
};

// Walks what encode_attributes() wrote: the top level is a map. Throws
// StoreError on malformed input.
void walk_attributes(std::string_view encoded, AttributeVisitor& visitor);

// DynamoDB's size of the fixed part of an activity item: target, actor and
// the sort key `timestamp`, with their attribute names.
std::size_t key_item_size(std::string_view actor, std::string_view target) noexcept;

}  // namespace cctv::core

#endif  // CCTV_CORE_ATTRIBUTE_CODEC_H_
