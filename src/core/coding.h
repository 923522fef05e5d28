// Byte-level encodings shared by the codecs and stores: varints (LEB128),
// zigzag, big-endian fixed-width integers (whose byte order is their numeric
// order), fixed-width decimal and hex digits, and an FNV-1a hash.
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

inline void append_be32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

inline std::uint32_t read_be32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

inline std::uint64_t read_be64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// Writes `v` as exactly `width` decimal digits (zero-padded, the high
// digits dropped if it has more) at `p`; returns the end.
inline char* put_digits(char* p, std::uint64_t v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return p + width;
}

inline void append_digits(std::string& out, std::uint64_t v, int width) {
  char buf[20];
  out.append(buf, static_cast<std::size_t>(put_digits(buf, v, width) - buf));
}

// Appends `v` as 16 lowercase hex digits: how activity ids are written.
inline void append_hex64(std::string& out, std::uint64_t v) {
  static constexpr char kHex[] = "0123456789abcdef";
  char buf[16];
  for (int i = 15; i >= 0; --i) {
    buf[i] = kHex[v & 0xF];
    v >>= 4;
  }
  out.append(buf, 16);
}

// Parses exactly 16 hex digits (either case); false for anything else.
inline bool parse_hex64(std::string_view text, std::uint64_t& v) {
  if (text.size() != 16) return false;
  v = 0;
  for (char c : text) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return false;
    }
    v = (v << 4) | static_cast<std::uint64_t>(d);
  }
  return true;
}

// FNV-1a over a sequence of parts, each followed by a 0xFF byte so that
// ("ab", "c") and ("a", "bc") differ. Not for security: for stable,
// well-spread identifiers.
class Fnv1a {
 public:
  Fnv1a& add(std::string_view part) {
    for (unsigned char c : part) h_ = (h_ ^ c) * kPrime;
    h_ = (h_ ^ 0xFF) * kPrime;
    return *this;
  }
  std::uint64_t value() const { return h_; }

 private:
  static constexpr std::uint64_t kPrime = 1099511628211ULL;
  std::uint64_t h_ = 1469598103934665603ULL;
};

}  // namespace cctv::core

#endif  // CCTV_CORE_CODING_H_
