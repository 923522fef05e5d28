// The query string of a request target: ?a=1&b=x%20y, decoded.
//
// Thread-compatible value type.
#ifndef CCTV_SERVER_QUERY_H_
#define CCTV_SERVER_QUERY_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cctv::server {

// Percent-decodes `text` ('+' is a space, as forms send it). Returns
// nullopt for a malformed escape.
std::optional<std::string> url_decode(std::string_view text);

class Query {
 public:
  // Parses the part after '?'. Throws InvalidArgument for a malformed
  // escape or a parameter given twice.
  explicit Query(std::string_view text);
  Query() = default;

  // The parameter's value, or nullopt when absent.
  std::optional<std::string> get(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }
  // Throws InvalidArgument naming the first parameter not in `known`.
  void allow_only(std::initializer_list<std::string_view> known) const;

 private:
  std::vector<std::pair<std::string, std::string>> params_;
};

}  // namespace cctv::server

#endif  // CCTV_SERVER_QUERY_H_
