#include "store/dynamodb/count_items.h"

#include <algorithm>
#include <charconv>

#include "core/bucket.h"
#include "core/coding.h"
#include "core/hyperloglog.h"
#include "store/dynamodb/json_access.h"

namespace cctv::store::dynamodb {

std::string hour_key(std::string_view target) { return "h#" + std::string(target); }

std::string sketch_key(Bucket bucket, std::string_view target) {
  const char* prefix = bucket == Bucket::kMinute ? "mu#" : bucket == Bucket::kHour ? "hu#" : "du#";
  return prefix + std::string(target);
}

std::string top_key(std::int64_t hour, int shard) {
  return "H#" + std::to_string(hour) + "#" + std::to_string(shard);
}

namespace {

// target_hash() from core::actor_hash(): the bucket of a target follows
// from it too, so the two never drift apart.
std::int64_t target_hash_of(std::uint64_t actor_hash) {
  return static_cast<std::int64_t>(actor_hash >> 1);
}

}  // namespace

std::int64_t target_hash(std::string_view target) {
  return target_hash_of(core::actor_hash(target));
}

int count_bucket_of_hash(std::uint64_t actor_hash) {
  return static_cast<int>(target_hash_of(actor_hash) % kCountBuckets);
}

int count_bucket(std::string_view target) { return count_bucket_of_hash(core::actor_hash(target)); }

std::string minute_item_key(int bucket) { return "m#" + std::to_string(bucket); }
std::string declaration_key(std::uint64_t writer) { return "i#" + std::to_string(writer); }
std::string intent_key(std::uint64_t writer) { return "n#" + std::to_string(writer); }
std::int64_t dirty_item_start(std::int64_t hour, int bucket) {
  return hour * kCountBuckets + bucket;
}

std::pair<std::int64_t, int> dirty_item_of(std::int64_t start) {
  const std::int64_t hour = core::floor_div(start, std::int64_t{kCountBuckets});
  return {hour, static_cast<int>(start - hour * kCountBuckets)};
}

std::string minute_sketch_key(int bucket) { return "s#" + std::to_string(bucket); }
std::int64_t minute_item_start(std::int64_t write_minute, std::uint64_t writer,
                               std::uint64_t sequence) {
  return write_minute * kWriteMinuteScale +
         static_cast<std::int64_t>(writer % 10'000'000) * 10'000 +
         static_cast<std::int64_t>(sequence % 10'000);
}
std::string open_hour_key(std::int64_t hour, int bucket) {
  return "o#" + std::to_string(hour) + "#" + std::to_string(bucket);
}
bool is_per_target_item(std::string_view key) {
  return key.starts_with("h#") || key.starts_with("H#") || key.starts_with("mu#") ||
         key.starts_with("hu#") || key.starts_with("du#");
}

std::string rebuilt_hour_key(std::int64_t hour, int bucket) {
  return "r#" + std::to_string(hour) + "#" + std::to_string(bucket);
}
std::string hour_minutes_key(std::string_view target) { return "h2#" + std::string(target); }
std::string day_key(std::string_view target) { return "d2#" + std::string(target); }
std::string hour_rank_key(std::int64_t hour) { return "T#" + std::to_string(hour); }
std::string day_rank_key(std::int64_t day) { return "D#" + std::to_string(day); }

std::string encode_held_minutes(std::span<const HeldMinutes> hours) {
  std::string out(1, '\x01');
  std::int64_t previous = 0;
  for (const HeldMinutes& hour : hours) {
    std::uint64_t mask = 0;
    for (int b = 0; b < kCountBuckets; ++b) {
      if (hour[static_cast<std::size_t>(b)] >= 0) mask |= std::uint64_t{1} << b;
    }
    core::append_varint(out, mask);
    for (const std::int64_t w : hour) {
      if (w < 0) continue;
      core::append_varint(out, core::zigzag_encode(w - previous));
      previous = w;
    }
  }
  return out;
}

bool decode_held_minutes(std::string_view bytes, std::vector<HeldMinutes>& out) {
  if (bytes.empty() || bytes.front() != '\x01') return false;
  bytes.remove_prefix(1);
  std::vector<HeldMinutes> hours;
  std::uint64_t previous = 0;  // unsigned: damaged bytes wrap, and are refused below
  while (!bytes.empty()) {
    // Damaged bytes do not make millions of hours.
    if (hours.size() == kHeldHoursAtMost) return false;
    std::uint64_t mask = 0;
    if (!core::read_varint(bytes, mask)) return false;
    HeldMinutes& hour = hours.emplace_back();
    hour.fill(-1);
    for (int b = 0; b < kCountBuckets; ++b) {
      if ((mask >> b & 1) == 0) continue;
      std::uint64_t difference = 0;
      if (!core::read_varint(bytes, difference)) return false;
      previous += static_cast<std::uint64_t>(core::zigzag_decode(difference));
      if (static_cast<std::int64_t>(previous) < 0) return false;
      hour[static_cast<std::size_t>(b)] = static_cast<std::int64_t>(previous);
    }
  }
  out.insert(out.end(), hours.begin(), hours.end());
  return true;
}

void encode_intent_ids(std::vector<std::uint64_t>& ids, std::string& out) {
  // One thread's ids come in order: most writes need no sort.
  if (!std::is_sorted(ids.begin(), ids.end())) std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  out.reserve(out.size() + 10 + ids.size());
  core::append_varint(out, ids.size());
  std::uint64_t previous = 0;
  for (std::uint64_t id : ids) {
    core::append_varint(out, id - previous);
    previous = id;
  }
}

bool decode_intent_ids(std::string_view bytes, std::vector<std::uint64_t>& out) {
  std::uint64_t count = 0;
  // Each id takes a byte at least: damaged bytes do not make billions.
  if (!core::read_varint(bytes, count) || count > bytes.size()) return false;
  std::vector<std::uint64_t> ids;
  ids.reserve(count);
  std::uint64_t previous = 0;
  for (std::uint64_t i = 0; i < count; ++i) {
    std::uint64_t difference = 0;
    if (!core::read_varint(bytes, difference)) return false;
    // Sorted and unique: every id after the first is larger, and none wraps.
    if ((i > 0 && difference == 0) || difference > UINT64_MAX - previous) return false;
    previous += difference;
    ids.push_back(previous);
  }
  if (!bytes.empty()) return false;
  out.insert(out.end(), ids.begin(), ids.end());
  return true;
}

namespace {

// The number after `prefix` in `key` (up to the next '#' or the end).
bool number_after(std::string_view key, std::string_view prefix, std::int64_t& out) {
  if (!key.starts_with(prefix)) return false;
  const std::string_view rest = key.substr(prefix.size());
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), out);
  return ec == std::errc() && end != rest.data() &&
         (end == rest.data() + rest.size() || *end == '#');
}

}  // namespace

bool count_item_span(std::string_view key, std::int64_t start, std::int64_t& span_start,
                     std::int64_t& span_end) {
  std::int64_t number = 0;
  if (number_after(key, "m#", number) || number_after(key, "s#", number)) {
    // A write minute: its records may be older.
    span_start = write_minute_of(start) * 60;
    span_end = span_start + 60;
    return true;
  }
  if (number_after(key, "o#", number) || number_after(key, "T#", number) ||
      number_after(key, "r#", number)) {
    span_start = number * 3600;
    span_end = span_start + 3600;
    return true;
  }
  if (number_after(key, "D#", number)) {
    span_start = number * 86400;
    span_end = span_start + 86400;
    return true;
  }
  std::int64_t width = 0;
  if (key.starts_with("h2#")) {
    width = 3600;
  } else if (key.starts_with("d2#")) {
    width = 86400;
  } else if (key.starts_with("h#") || key.starts_with("hu#")) {
    width = 3600;
  } else if (key.starts_with("mu#")) {
    width = 60;
  } else if (key.starts_with("du#")) {
    width = 86400;
  } else if (key.starts_with("H#")) {
    // Filed by hour: the hour is in the key, the start is the target's hash.
    const std::string_view rest = key.substr(2);
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), start);
    if (ec != std::errc() || end == rest.data() + rest.size() || *end != '#') return false;
    start *= 3600;
    width = 3600;
  } else {
    return false;
  }
  span_start = start;
  span_end = start + width;
  return true;
}

std::string minute_attribute(int minute_of_hour) {
  std::string name = "m00";
  name[1] = static_cast<char>('0' + minute_of_hour / 10);
  name[2] = static_cast<char>('0' + minute_of_hour % 10);
  return name;
}

std::string hour_attribute(int hour_of_day, char prefix) {
  std::string name = "h00";
  name[0] = prefix;
  name[1] = static_cast<char>('0' + hour_of_day / 10);
  name[2] = static_cast<char>('0' + hour_of_day % 10);
  return name;
}

namespace {

// The number in an attribute name `<prefix>NN` below `limit`, or -1.
int attribute_number(std::string_view name, char prefix, int limit) {
  if (name.size() != 3 || name[0] != prefix || name[1] < '0' || name[1] > '9' || name[2] < '0' ||
      name[2] > '9') {
    return -1;
  }
  const int n = (name[1] - '0') * 10 + (name[2] - '0');
  return n < limit ? n : -1;
}

}  // namespace

void for_each_minute(const rapidjson::Value& item,
                     const std::function<void(int, std::int64_t)>& visit) {
  for (const auto& m : item.GetObject()) {
    const std::string_view name(m.name.GetString(), m.name.GetStringLength());
    const int minute = attribute_number(name, 'm', 60);
    if (minute >= 0) visit(minute, n_value(item, std::string(name).c_str()));
  }
}

void for_each_hour(const rapidjson::Value& item,
                   const std::function<void(int, std::int64_t, std::int64_t)>& visit) {
  for (const auto& m : item.GetObject()) {
    const std::string_view name(m.name.GetString(), m.name.GetStringLength());
    const int hour = attribute_number(name, 'h', 24);
    if (hour < 0) continue;
    const std::string w = hour_attribute(hour, 'w');
    visit(hour, n_value(item, std::string(name).c_str()),
          has_attribute(item, w.c_str()) ? n_value(item, w.c_str()) : -1);
  }
}

}  // namespace cctv::store::dynamodb
