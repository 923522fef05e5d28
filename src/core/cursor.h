// View cursors: an opaque, URL-safe token holding the position of the last
// activity of a page in its index, plus a fingerprint of the query it came
// from so that a cursor used with another query is refused, not misread.
#ifndef CCTV_CORE_CURSOR_H_
#define CCTV_CORE_CURSOR_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "cctv/view.h"

namespace cctv::core {

// A place in an index: the (time, id) of an activity.
struct Position {
  std::int64_t time_us;
  std::uint64_t id;
};

// Identifies a query: table, index ('t' target, 'a' actor) and key.
std::uint32_t query_fingerprint(std::string_view table, char index, std::string_view key) noexcept;

std::string encode_cursor(std::uint32_t fingerprint, Order order, Position last);

// Throws InvalidArgument("cursor", ...) when `cursor` is malformed or was
// made for another query or order.
Position decode_cursor(std::string_view cursor, std::uint32_t fingerprint, Order order);

}  // namespace cctv::core

#endif  // CCTV_CORE_CURSOR_H_
