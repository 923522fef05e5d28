#include "store/uri.h"

#include <charconv>

#include "cctv/error.h"

namespace cctv::store {

namespace {

std::string percent_decode(std::string_view uri, std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    int v = 0;
    if (i + 2 >= s.size() ||
        std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16).ptr != s.data() + i + 3) {
      bad_store_uri(uri, "bad percent-encoding in '" + std::string(s) + "'");
    }
    out.push_back(static_cast<char>(v));
    i += 2;
  }
  return out;
}

}  // namespace

void bad_store_uri(std::string_view uri, const std::string& why) {
  throw InvalidArgument("store URI", "'" + std::string(uri) + "': " + why);
}

StoreUri split_store_uri(std::string_view uri) {
  StoreUri parts;
  parts.text = uri;
  std::string_view rest = uri.substr(uri.find(':') + 1);
  if (rest.starts_with("//")) rest.remove_prefix(2);
  const auto question = rest.find('?');
  parts.location = rest.substr(0, question);
  if (question == std::string_view::npos) return parts;
  std::string_view query = rest.substr(question + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos) bad_store_uri(uri, "parameter '" + std::string(pair) + "' has no value");
    parts.parameters.emplace_back(std::string(pair.substr(0, eq)), percent_decode(uri, pair.substr(eq + 1)));
  }
  return parts;
}

std::int64_t whole_number(std::string_view uri, const std::string& name, const std::string& value,
                          std::int64_t min, std::int64_t max) {
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || end != value.data() + value.size() || n < min || n > max) {
    bad_store_uri(uri, name + "='" + value + "' must be a whole number from " + std::to_string(min) +
                           " to " + std::to_string(max));
  }
  return n;
}

}  // namespace cctv::store
