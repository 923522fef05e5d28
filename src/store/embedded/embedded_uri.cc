#include "store/embedded/embedded_uri.h"

#include "store/uri.h"

namespace cctv::store::embedded {

EmbeddedOptions parse_embedded_uri(std::string_view uri) {
  const StoreUri parts = split_store_uri(uri);
  EmbeddedOptions options;
  options.path = std::string(parts.location);
  if (options.path.empty()) bad_store_uri(uri, "names no directory; use rocksdb:PATH (e.g. rocksdb:./cctv-data)");
  for (const auto& [name, value] : parts.parameters) {
    if (name == "memtable_mb") {
      options.memtable_mb = static_cast<std::size_t>(whole_number(uri, name, value, 1, 1 << 20));
    } else if (name == "cache_mb") {
      options.cache_mb = static_cast<std::size_t>(whole_number(uri, name, value, 1, 1 << 20));
    } else if (name == "counts_mb") {
      options.counts_mb = static_cast<std::size_t>(whole_number(uri, name, value, 1, 1 << 20));
    } else if (name == "db_options") {
      options.db_options = value;
    } else if (name == "cf_options") {
      options.cf_options = value;
    } else if (name == "counts") {
      if (value != "on" && value != "off") bad_store_uri(uri, "counts must be on or off, got '" + value + "'");
      options.counts = value == "on";
    } else if (name == "min_free_mb") {
      options.min_free_mb = static_cast<std::size_t>(whole_number(uri, name, value, 0, 1 << 30));
    } else {
      bad_store_uri(uri, "unknown parameter '" + name +
                             "'; the parameters are memtable_mb, cache_mb, counts_mb, db_options, "
                             "cf_options, counts, min_free_mb");
    }
  }
  return options;
}

}  // namespace cctv::store::embedded
