// Whether a store takes writes now, and how much room its disk has left:
// what /healthz and /metrics report. Plain struct, a snapshot taken by
// Client::health().
#ifndef CCTV_HEALTH_H_
#define CCTV_HEALTH_H_

#include <cstdint>
#include <string>

#include "cctv/export.h"

namespace cctv {

struct CCTV_EXPORT StoreHealth {
  // Writes are taken. When not, `problem` says why and how it ends: the
  // disk is near full (writes resume by themselves once space returns, and
  // recording throws StoreFull meanwhile), or the store stopped writing
  // after an error (recording throws StoreError). Reads work either way.
  bool writable = true;
  bool disk_full = false;
  std::string problem;
  // The embedded store's disk: bytes free, and the floor below which it
  // refuses writes (ClientOptions / the store URI's min_free_mb). -1 for
  // stores without a local disk (DynamoDB), or when it could not be read.
  std::int64_t free_bytes = -1;
  std::int64_t free_bytes_floor = -1;
};

}  // namespace cctv

#endif  // CCTV_HEALTH_H_
