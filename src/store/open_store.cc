#include "store/open_store.h"

#include <string>

#include "cctv/error.h"
#include "store/embedded/rocks_store.h"

namespace cctv::store {

namespace {

constexpr const char* kForms = "use rocksdb:PATH (e.g. rocksdb:./cctv-data)";

}  // namespace

std::unique_ptr<Store> open_store(std::string_view uri, const OpenOptions& options) {
  const auto colon = uri.find(':');
  if (colon == std::string_view::npos) {
    throw InvalidArgument("store URI", "'" + std::string(uri) + "' has no scheme; " + kForms);
  }
  const std::string_view scheme = uri.substr(0, colon);
  std::string_view rest = uri.substr(colon + 1);
  if (scheme == "rocksdb") {
    // rocksdb:PATH, also written rocksdb://PATH.
    if (rest.starts_with("//")) rest.remove_prefix(2);
    if (rest.empty()) {
      throw InvalidArgument("store URI",
                            "'" + std::string(uri) + "' names no directory; " + kForms);
    }
    return embedded::RocksStore::open(std::string(rest), std::string(uri), options.read_only);
  }
  if (scheme == "dynamodb") {
    throw InvalidArgument(
        "store URI", "'" + std::string(uri) + "': this build has no DynamoDB store yet; " + kForms);
  }
  throw InvalidArgument("store URI", "'" + std::string(uri) + "' has the unknown scheme '" +
                                         std::string(scheme) + "'; " + kForms);
}

}  // namespace cctv::store
