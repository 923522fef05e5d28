#include "server/request_params.h"

#include <charconv>
#include <string>

#include "cctv/error.h"

namespace cctv::server {

bool flag_param(const Query& query, std::string_view name) {
  const auto value = query.get(name);
  if (!value || *value == "false" || *value == "0") return false;
  if (*value == "true" || *value == "1" || value->empty()) return true;
  throw InvalidArgument(std::string(name), "must be true or false, got '" + *value + "'");
}

std::size_t size_param(const Query& query, std::string_view name, std::size_t fallback,
                       std::size_t min, std::size_t max) {
  const auto value = query.get(name);
  if (!value) return fallback;
  std::size_t n = 0;
  const auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), n);
  if (ec != std::errc() || end != value->data() + value->size() || n < min || n > max) {
    throw InvalidArgument(std::string(name), "must be a whole number from " + std::to_string(min) +
                                                 " to " + std::to_string(max) + ", got '" + *value +
                                                 "'");
  }
  return n;
}

TimeRange range_param(const Query& query, TimeRange fallback) {
  const Timestamp reference = now();
  TimeRange range = fallback;
  if (auto from = query.get("from")) range.from = parse_time(*from, reference, "from");
  if (auto to = query.get("to")) range.to = parse_time(*to, reference, "to");
  if (range.from >= range.to) {
    throw InvalidArgument("from",
                          format_time(range.from) + " is not before to " + format_time(range.to));
  }
  return range;
}

}  // namespace cctv::server
