// Byte-level encodings shared by the codecs: varints (LEB128), zigzag, and
// big-endian fixed-width integers, whose byte order is their numeric order.
#ifndef CCTV_CORE_CODING_H_
#define CCTV_CORE_CODING_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace cctv::core {

inline void append_varint(std::string& out, std::uint64_t v) {
  char buf[10];
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out.append(buf, n);
}

// Reads a varint from the front of `in` and advances past it. Returns false,
// leaving `in` unspecified, when `in` ends early or the varint overflows.
inline bool read_varint(std::string_view& in, std::uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64 && !in.empty(); shift += 7) {
    const auto byte = static_cast<unsigned char>(in.front());
    in.remove_prefix(1);
    v |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
    if (byte < 0x80) return true;
  }
  return false;
}

// Reads a varint length and then that many bytes.
inline bool read_length_prefixed(std::string_view& in, std::string_view& bytes) {
  std::uint64_t len;
  if (!read_varint(in, len) || len > in.size()) return false;
  bytes = in.substr(0, len);
  in.remove_prefix(len);
  return true;
}

inline void append_length_prefixed(std::string& out, std::string_view bytes) {
  append_varint(out, bytes.size());
  out.append(bytes);
}

inline std::uint64_t zigzag_encode(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}

inline std::int64_t zigzag_decode(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

inline void append_be64(std::string& out, std::uint64_t v) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xFF);
    v >>= 8;
  }
  out.append(buf, 8);
}

inline std::uint64_t read_be64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

}  // namespace cctv::core

#endif  // CCTV_CORE_CODING_H_
