#include "store/dynamodb/sort_key.h"

#include "core/coding.h"

namespace cctv::store::dynamodb {

namespace {

constexpr std::int64_t kMicros = 1'000'000;

bool digits(std::string_view s, std::int64_t& value) {
  if (s.empty()) return false;
  value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  return true;
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
  core::append_digits(out, static_cast<std::uint64_t>(time_us / kMicros), 10);
  out.push_back('.');
  core::append_digits(out, static_cast<std::uint64_t>(time_us % kMicros), 6);
  out.push_back('#');
  core::append_hex64(out, id);
}

std::uint64_t legacy_id(std::string_view target, std::string_view key) {
  const std::uint64_t h = core::Fnv1a().add(target).add(key).value();
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
  if (!core::parse_hex64(key.substr(18), id)) return std::nullopt;
  return SortKey{seconds * kMicros + micros, id, false};
}

std::string lower_bound_key(std::int64_t from_us) {
  std::string out;
  core::append_digits(out, static_cast<std::uint64_t>(from_us / kMicros), 10);
  // A whole second also admits the gem's bare-seconds key for that second.
  if (from_us % kMicros != 0) {
    out.push_back('.');
    core::append_digits(out, static_cast<std::uint64_t>(from_us % kMicros), 6);
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
