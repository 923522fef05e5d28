#include "core/cursor.h"

#include <array>

#include "cctv/error.h"
#include "core/coding.h"

namespace cctv::core {

namespace {

constexpr char kVersion = 2;
constexpr std::size_t kHeaderSize = 1 + 1 + 4;  // version, order, fingerprint
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url(std::string_view raw) {
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (unsigned char c : raw) {
    bits = (bits << 8) | c;
    count += 8;
    while (count >= 6) {
      count -= 6;
      out.push_back(kAlphabet[(bits >> count) & 0x3F]);
    }
  }
  if (count > 0) out.push_back(kAlphabet[(bits << (6 - count)) & 0x3F]);
  return out;
}

bool unbase64url(std::string_view text, std::string& raw) {
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '-') {
      v = 62;
    } else if (c == '_') {
      v = 63;
    } else {
      return false;
    }
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      raw.push_back(static_cast<char>((bits >> count) & 0xFF));
    }
  }
  return true;
}

[[noreturn]] void bad_cursor(const std::string& why) { throw InvalidArgument("cursor", why); }

}  // namespace

std::uint32_t query_fingerprint(std::string_view table, char index, std::string_view key) noexcept {
  const std::uint64_t h = Fnv1a().add(table).add(std::string_view(&index, 1)).add(key).value();
  return static_cast<std::uint32_t>(h ^ (h >> 32));
}

std::string encode_cursor(std::uint32_t fingerprint, Order order, std::string_view position) {
  std::string raw;
  raw.reserve(kHeaderSize + position.size());
  raw.push_back(kVersion);
  raw.push_back(order == Order::kNewestFirst ? 'n' : 'o');
  for (int shift = 24; shift >= 0; shift -= 8) {
    raw.push_back(static_cast<char>(fingerprint >> shift));
  }
  raw.append(position);
  return base64url(raw);
}

std::string decode_cursor(std::string_view cursor, std::uint32_t fingerprint, Order order) {
  std::string raw;
  if (!unbase64url(cursor, raw) || raw.size() <= kHeaderSize || raw[0] != kVersion) {
    bad_cursor("'" + std::string(cursor.substr(0, 64)) +
               "' is not a cursor; pass next_cursor from the previous page unchanged");
  }
  const char want = order == Order::kNewestFirst ? 'n' : 'o';
  if (raw[1] != want) {
    bad_cursor(std::string("was made for ") + (raw[1] == 'n' ? "newest-first" : "oldest-first") +
               " order; use the same order for every page");
  }
  std::uint32_t stored = 0;
  for (int i = 0; i < 4; ++i) stored = (stored << 8) | static_cast<unsigned char>(raw[2 + i]);
  if (stored != fingerprint) {
    bad_cursor(
        "was made for another query (table, target or actor); use it only with the "
        "query that returned it");
  }
  return raw.substr(kHeaderSize);
}

}  // namespace cctv::core
