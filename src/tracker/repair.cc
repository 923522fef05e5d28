// cctv::repair_store (cctv/repair.h).
#include "cctv/repair.h"

#include "cctv/error.h"
#include "store/embedded/embedded_uri.h"
#include "store/embedded/salvage.h"

namespace cctv {

RepairReport repair_store(std::string_view uri, const RepairOptions& options) {
  if (!uri.starts_with("rocksdb:")) {
    throw InvalidArgument("store URI", "'" + std::string(uri) +
                                           "': repair is for the embedded store (rocksdb:PATH); "
                                           "DynamoDB keeps and repairs its own data");
  }
  return store::embedded::salvage(store::embedded::parse_embedded_uri(uri), std::string(uri),
                                  options.into);
}

}  // namespace cctv
