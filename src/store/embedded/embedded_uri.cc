#include "store/embedded/embedded_uri.h"

#include <charconv>

#include "cctv/error.h"

namespace cctv::store::embedded {

namespace {

[[noreturn]] void bad(std::string_view uri, const std::string& why) {
  throw InvalidArgument("store URI", "'" + std::string(uri) + "': " + why);
}

std::string percent_decode(std::string_view uri, std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    int v = 0;
    if (i + 2 >= s.size() + 0 ||
        std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16).ptr != s.data() + i + 3) {
      bad(uri, "bad percent-encoding");
    }
    out.push_back(static_cast<char>(v));
    i += 2;
  }
  return out;
}

std::size_t megabytes(std::string_view uri, const std::string& name, const std::string& value) {
  std::size_t n = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || end != value.data() + value.size() || n < 1 || n > (1 << 20)) {
    bad(uri, name + "='" + value + "' must be a whole number of megabytes, 1 or more");
  }
  return n;
}

}  // namespace

EmbeddedOptions parse_embedded_uri(std::string_view uri) {
  std::string_view rest = uri.substr(uri.find(':') + 1);
  if (rest.starts_with("//")) rest.remove_prefix(2);
  const auto question = rest.find('?');
  EmbeddedOptions options;
  options.path = std::string(rest.substr(0, question));
  if (options.path.empty()) bad(uri, "names no directory; use rocksdb:PATH (e.g. rocksdb:./cctv-data)");
  if (question == std::string_view::npos) return options;
  std::string_view query = rest.substr(question + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos) bad(uri, "parameter '" + std::string(pair) + "' has no value");
    const std::string name(pair.substr(0, eq));
    const std::string value = percent_decode(uri, pair.substr(eq + 1));
    if (name == "memtable_mb") {
      options.memtable_mb = megabytes(uri, name, value);
    } else if (name == "cache_mb") {
      options.cache_mb = megabytes(uri, name, value);
    } else if (name == "db_options") {
      options.db_options = value;
    } else if (name == "cf_options") {
      options.cf_options = value;
    } else {
      bad(uri, "unknown parameter '" + name + "'; the parameters are memtable_mb, cache_mb, "
               "db_options, cf_options");
    }
  }
  return options;
}

}  // namespace cctv::store::embedded
