#include "store/embedded/key_layout.h"

#include "core/coding.h"

namespace cctv::store::embedded {

void append_index_key(std::string& out, std::string_view key, std::int64_t time_us,
                      std::uint64_t id) {
  core::append_length_prefixed(out, key);
  core::append_be64(out, static_cast<std::uint64_t>(time_us));
  core::append_be64(out, id);
}

bool parse_index_key(std::string_view encoded, IndexKey& out) {
  if (!core::read_length_prefixed(encoded, out.key) || encoded.size() != kKeySuffixBytes) {
    return false;
  }
  out.time_us = static_cast<std::int64_t>(core::read_be64(encoded.data()));
  out.id = core::read_be64(encoded.data() + 8);
  return true;
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

}  // namespace cctv::store::embedded
