#include "store/embedded/key_layout.h"

#include "core/attribute_codec.h"
#include "core/coding.h"

namespace cctv::store::embedded {

std::string meta_key(std::string_view table) {
  std::string key("table/");
  key.append(table);
  return key;
}

void append_index_key(std::string& out, std::string_view key, std::int64_t time_us,
                      std::uint64_t id) {
  core::append_length_prefixed(out, key);
  core::append_be64(out, ~static_cast<std::uint64_t>(time_us));
  core::append_be64(out, ~id);
}

bool parse_index_key(std::string_view encoded, IndexKey& out) {
  if (!core::read_length_prefixed(encoded, out.key) || encoded.size() != kKeySuffixBytes) {
    return false;
  }
  out.time_us = static_cast<std::int64_t>(~core::read_be64(encoded.data()));
  out.id = ~core::read_be64(encoded.data() + 8);
  return true;
}

void index_range(std::string_view key, std::int64_t from_us, std::int64_t to_us, std::string& lower,
                 std::string& upper) {
  // Newest first, and at one time the largest id first: (t, id 0) is the
  // last key at time t. The range starts just after the last key at `to`
  // and ends just after the last key at `from`.
  lower.clear();
  append_index_key(lower, key, to_us, 0);
  lower.push_back('\0');
  upper.clear();
  append_index_key(upper, key, from_us, 0);
  upper.push_back('\0');
}

std::string past_all_keys_of(std::string_view key) {
  std::string out;
  core::append_length_prefixed(out, key);
  out.append(kKeySuffixBytes, '\xff');
  out.push_back('\0');
  return out;
}

void append_stored_value(std::string& out, std::string_view other, std::string_view attributes) {
  out.push_back(kValueFormat);
  core::append_length_prefixed(out, other);
  out.append(attributes);
}

bool parse_stored_value(std::string_view encoded, std::string_view& other,
                        std::string_view& attributes) {
  if (encoded.empty() || encoded.front() != kValueFormat) return false;
  encoded.remove_prefix(1);
  if (!core::read_length_prefixed(encoded, other)) return false;
  attributes = encoded;
  return true;
}

bool decode_activity(std::string_view key, std::string_view value, bool by_actor, Activity& out) {
  IndexKey k;
  std::string_view other;
  std::string_view attributes;
  if (!parse_index_key(key, k) || !parse_stored_value(value, other, attributes)) return false;
  (by_actor ? out.actor : out.target).assign(k.key);
  (by_actor ? out.target : out.actor).assign(other);
  out.time = Timestamp(Microseconds(k.time_us));
  out.id = k.id;
  out.attributes = core::decode_attributes(attributes);
  return true;
}

}  // namespace cctv::store::embedded
