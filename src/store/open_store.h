// Opening a store by URI.
#ifndef CCTV_STORE_OPEN_STORE_H_
#define CCTV_STORE_OPEN_STORE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cctv/dynamo_options.h"
#include "store/store.h"

namespace cctv::store {

struct OpenOptions {
  bool read_only = false;
  std::function<Timestamp()> clock;  // for retention; empty: the system clock
  std::string api_key;               // for an http:// store; empty: CCTV_API_KEY
};

// Opens the store `uri` names: rocksdb:PATH or dynamodb://REGION?... Throws
// InvalidArgument for an unknown scheme or a malformed URI, and whatever the
// store's own open throws.
std::unique_ptr<Store> open_store(std::string_view uri, const OpenOptions& options);

// The URL of the server holding the store `uri` names, when it is an
// embedded store a server advertised (embedded/serving_note.h); nullopt
// otherwise.
std::optional<std::string> serving_url(std::string_view uri);

// Opens DynamoDB with explicit settings. `location` names it in messages.
std::unique_ptr<Store> open_dynamo_store(const DynamoOptions& dynamo, const std::string& location,
                                         const OpenOptions& options);

}  // namespace cctv::store

#endif  // CCTV_STORE_OPEN_STORE_H_
