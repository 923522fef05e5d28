// The shape every store URI shares: scheme:location?name=value&... with
// percent-encoded values.
#ifndef CCTV_STORE_URI_H_
#define CCTV_STORE_URI_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cctv::store {

struct StoreUri {
  std::string_view text;      // the whole URI, for messages
  std::string_view location;  // after "scheme:" (and "//"), before '?'
  std::vector<std::pair<std::string, std::string>> parameters;  // values decoded
};

// Splits `uri`. Throws InvalidArgument("store URI", ...) for a parameter
// without a value or bad percent-encoding.
StoreUri split_store_uri(std::string_view uri);

// Throws InvalidArgument("store URI", "'<uri>': <why>").
[[noreturn]] void bad_store_uri(std::string_view uri, const std::string& why);

// `value` of parameter `name` as a whole number in [min, max], or
// InvalidArgument naming the parameter.
std::int64_t whole_number(std::string_view uri, const std::string& name, const std::string& value,
                          std::int64_t min, std::int64_t max);

}  // namespace cctv::store

#endif  // CCTV_STORE_URI_H_
