#include "store/open_store.h"

#include <string>

#include "cctv/error.h"
#include "store/dynamodb/aws_config.h"
#include "store/dynamodb/dynamo_store.h"
#include "store/dynamodb/dynamo_uri.h"
#include "store/embedded/embedded_uri.h"
#include "store/embedded/rocks_store.h"
#include "store/embedded/serving_note.h"
#include "store/remote/remote_store.h"

namespace cctv::store {

namespace {

constexpr const char* kForms =
    "use rocksdb:PATH (e.g. rocksdb:./cctv-data), dynamodb://REGION (e.g. dynamodb://eu-west-1, "
    "dynamodb://local?endpoint=http://127.0.0.1:8000) or http://HOST:PORT (a cctv server)";

}  // namespace

std::unique_ptr<Store> open_store(std::string_view uri, const OpenOptions& options) {
  const auto colon = uri.find(':');
  if (colon == std::string_view::npos) {
    throw InvalidArgument("store URI", "'" + std::string(uri) + "' has no scheme; " + kForms);
  }
  const std::string_view scheme = uri.substr(0, colon);
  if (scheme == "rocksdb") {
    return embedded::RocksStore::open(embedded::parse_embedded_uri(uri), std::string(uri),
                                      options.read_only, options.clock);
  }
  if (scheme == "dynamodb") {
    return open_dynamo_store(dynamodb::parse_dynamo_uri(uri), std::string(uri), options);
  }
  if (scheme == "http") {
    // A server's store is read and written through it; a read-only open
    // reads the same way.
    remote::RemoteOptions remote = remote::parse_remote_uri(uri);
    if (!options.api_key.empty()) remote.api_key = options.api_key;
    return remote::RemoteStore::open(remote);
  }
  throw InvalidArgument("store URI", "'" + std::string(uri) + "' has the unknown scheme '" +
                                         std::string(scheme) + "'; " + kForms);
}

std::optional<std::string> serving_url(std::string_view uri) {
  if (uri.substr(0, uri.find(':')) != "rocksdb") return std::nullopt;
  return embedded::serving_url(embedded::parse_embedded_uri(uri).path);
}

std::unique_ptr<Store> open_dynamo_store(const DynamoOptions& dynamo, const std::string& location,
                                         const OpenOptions& options) {
  return dynamodb::DynamoStore::open(dynamo, location, options.read_only,
                                     dynamodb::process_environment(), options.clock);
}

}  // namespace cctv::store
