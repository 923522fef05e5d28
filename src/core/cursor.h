// View cursors: an opaque, URL-safe token holding where the next page starts
// -- a position whose bytes only the store that made it understands -- plus
// a fingerprint of the query it came from, so that a cursor used with another
// query is refused, not misread.
#ifndef CCTV_CORE_CURSOR_H_
#define CCTV_CORE_CURSOR_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "cctv/view.h"

namespace cctv::core {

// Identifies a query: table, index ('t' target, 'a' actor) and key.
std::uint32_t query_fingerprint(std::string_view table, char index, std::string_view key) noexcept;

std::string encode_cursor(std::uint32_t fingerprint, Order order, std::string_view position);

// Returns the position. Throws InvalidArgument("cursor", ...) when `cursor`
// is malformed or was made for another query or order.
std::string decode_cursor(std::string_view cursor, std::uint32_t fingerprint, Order order);

}  // namespace cctv::core

#endif  // CCTV_CORE_CURSOR_H_
