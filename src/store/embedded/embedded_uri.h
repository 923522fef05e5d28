// rocksdb: store URIs, with optional tuning for people who know RocksDB.
#ifndef CCTV_STORE_EMBEDDED_EMBEDDED_URI_H_
#define CCTV_STORE_EMBEDDED_EMBEDDED_URI_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace cctv::store::embedded {

struct EmbeddedOptions {
  std::string path;
  // Memory for all memtables together, for the block cache (which also
  // holds the table files' index and filter blocks), and for the counts
  // gathered between their writes (counts_keeper.h). With the ingest queue
  // (64 MiB at most) and the HTTP server's buffers, they bound what the
  // store holds in memory: docs/operations.md#memory.
  std::size_t memtable_mb = 192;
  std::size_t cache_mb = 48;
  std::size_t counts_mb = 64;
  // RocksDB option strings ("max_background_jobs=4;..."), applied over
  // cctv's defaults with RocksDB's own parser.
  std::string db_options;
  std::string cf_options;
  // Keep counts as activities are written (the default). Off saves their
  // share of ingest CPU; count queries then fail, and counts for what was
  // written meanwhile need `cctv counts rebuild`.
  bool counts = true;
  // Writes are refused while the disk holding the store has less free
  // space than this (free_space.h); unset: default_floor(). 0: no floor.
  std::optional<std::size_t> min_free_mb;
};

// Parses rocksdb:PATH[?memtable_mb=N&cache_mb=N&counts_mb=N&db_options=S&cf_options=S
//                     &counts=on|off&min_free_mb=N]
// (also rocksdb://PATH). Values may be percent-encoded. Throws
// InvalidArgument("store URI", ...).
EmbeddedOptions parse_embedded_uri(std::string_view uri);

}  // namespace cctv::store::embedded

#endif  // CCTV_STORE_EMBEDDED_EMBEDDED_URI_H_
