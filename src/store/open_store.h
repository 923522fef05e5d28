// Opening a store by URI.
#ifndef CCTV_STORE_OPEN_STORE_H_
#define CCTV_STORE_OPEN_STORE_H_

#include <memory>
#include <string_view>

#include "store/store.h"

namespace cctv::store {

struct OpenOptions {
  bool read_only = false;
};

// Opens the store `uri` names: rocksdb:PATH. Throws InvalidArgument for an
// unknown scheme or a malformed URI, and whatever the store's own open throws.
std::unique_ptr<Store> open_store(std::string_view uri, const OpenOptions& options);

}  // namespace cctv::store

#endif  // CCTV_STORE_OPEN_STORE_H_
