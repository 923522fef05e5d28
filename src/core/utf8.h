// UTF-8 validation (RFC 3629: no overlong forms, no surrogates, nothing past
// U+10FFFF).
#ifndef CCTV_CORE_UTF8_H_
#define CCTV_CORE_UTF8_H_

#include <cstddef>
#include <string_view>

namespace cctv::core {

// Returns the offset of the first byte that makes `text` invalid UTF-8, or
// std::string_view::npos when all of it is valid.
std::size_t find_invalid_utf8(std::string_view text) noexcept;

inline bool is_valid_utf8(std::string_view text) noexcept {
  return find_invalid_utf8(text) == std::string_view::npos;
}

}  // namespace cctv::core

#endif  // CCTV_CORE_UTF8_H_
