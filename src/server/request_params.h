// Reading a route's query parameters: each helper names the parameter in
// the InvalidArgument it throws, so a 400 says which one is wrong.
#ifndef CCTV_SERVER_REQUEST_PARAMS_H_
#define CCTV_SERVER_REQUEST_PARAMS_H_

#include <cstddef>
#include <string_view>

#include "cctv/time.h"
#include "server/query.h"

namespace cctv::server {

// true for "true" / "1", false for "false" / "0" or absent.
bool flag_param(const Query& query, std::string_view name);

// A whole number in [min, max]; `fallback` when absent.
std::size_t size_param(const Query& query, std::string_view name, std::size_t fallback,
                       std::size_t min, std::size_t max);

// `from` and `to` (parse_time() forms, relative ones counting from now);
// each absent one comes from `fallback`. Throws unless from < to.
TimeRange range_param(const Query& query, TimeRange fallback);

}  // namespace cctv::server

#endif  // CCTV_SERVER_REQUEST_PARAMS_H_
