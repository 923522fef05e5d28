#include "store/dynamodb/sort_key.h"

namespace cctv::store::dynamodb {

namespace {

constexpr std::int64_t kMicros = 1'000'000;

void put_digits(std::string& out, std::int64_t v, int width) {
  char buf[20];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out.append(buf, static_cast<std::size_t>(width));
}

bool digits(std::string_view s, std::int64_t& value) {
  if (s.empty()) return false;
  value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  return true;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The largest string that sorts before every key >= `key` and after every
// item key < `key`. Item keys use only digits, '.', '#' and hex letters, all
// below '~', so "decrement the last character, then append '~'" works.
std::string predecessor(std::string key) {
  key.back() = static_cast<char>(key.back() - 1);
  key.push_back('~');
  return key;
}

}  // namespace

void append_sort_key(std::string& out, std::int64_t time_us, std::uint64_t id) {
  static constexpr char kHex[] = "0123456789abcdef";
  put_digits(out, time_us / kMicros, 10);
  out.push_back('.');
  put_digits(out, time_us % kMicros, 6);
  out.push_back('#');
  char buf[16];
  for (int i = 15; i >= 0; --i) {
    buf[i] = kHex[id & 0xF];
    id >>= 4;
  }
  out.append(buf, 16);
}

std::uint64_t legacy_id(std::string_view target, std::string_view key) {
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (unsigned char c : target) h = (h ^ c) * 1099511628211ULL;
  h = (h ^ 0xFF) * 1099511628211ULL;
  for (unsigned char c : key) h = (h ^ c) * 1099511628211ULL;
  return h == 0 ? 1 : h;
}

std::optional<SortKey> parse_sort_key(std::string_view key, std::string_view target) {
  std::int64_t seconds = 0;
  if (key.size() < 10 || !digits(key.substr(0, 10), seconds)) return std::nullopt;
  if (key.size() == 10) return SortKey{seconds * kMicros, legacy_id(target, key), true};
  std::int64_t micros = 0;
  if (key.size() != 34 || key[10] != '.' || !digits(key.substr(11, 6), micros) || key[17] != '#') {
    return std::nullopt;
  }
  std::uint64_t id = 0;
  for (char c : key.substr(18)) {
    const int d = hex_digit(c);
    if (d < 0) return std::nullopt;
    id = (id << 4) | static_cast<std::uint64_t>(d);
  }
  return SortKey{seconds * kMicros + micros, id, false};
}

std::string lower_bound_key(std::int64_t from_us) {
  std::string out;
  put_digits(out, from_us / kMicros, 10);
  // A whole second also admits the gem's bare-seconds key for that second.
  if (from_us % kMicros != 0) {
    out.push_back('.');
    put_digits(out, from_us % kMicros, 6);
  }
  return out;
}

std::string upper_bound_key(std::int64_t to_us) {
  // Past the last second ten digits can hold: above every key.
  if (to_us >= 10'000'000'000LL * kMicros) return "~";
  // Every key of a time before to_us sorts below lower_bound_key(to_us), and
  // every key at or after it sorts at or above it.
  return predecessor(lower_bound_key(to_us));
}

}  // namespace cctv::store::dynamodb
