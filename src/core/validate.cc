#include "core/validate.h"

#include <algorithm>
#include <string>

#include "cctv/activity.h"
#include "cctv/error.h"
#include "cctv/table.h"
#include "core/attribute_codec.h"
#include "core/utf8.h"

namespace cctv::core {

void check_key(std::string_view field, std::string_view key) {
  if (key.empty()) {
    throw InvalidArgument(std::string(field), "must not be empty (1 to 1024 bytes of UTF-8)");
  }
  if (key.size() > kMaxKeyBytes) {
    throw InvalidArgument(std::string(field),
                          std::to_string(key.size()) + " bytes is over the limit of 1024 bytes");
  }
  if (auto bad = find_invalid_utf8(key); bad != std::string_view::npos) {
    throw InvalidArgument(std::string(field),
                          "is not valid UTF-8 (bad byte at offset " + std::to_string(bad) + ")");
  }
}

void check_table_name(std::string_view name) {
  if (!is_valid_table_name(name)) {
    throw InvalidArgument("table name", "'" + std::string(name) +
                                            "' must be 3 to 255 characters from A-Z a-z 0-9 _ . -");
  }
}

void check_time(std::string_view field, Timestamp t) {
  if (t < kMinTime || t >= kMaxTime) {
    throw InvalidArgument(std::string(field),
                          std::to_string(t.time_since_epoch().count()) +
                              " µs since the epoch is outside the times a store can hold "
                              "(1970-01-01T00:00:00Z up to 2286-11-20T17:46:40Z)");
  }
}

void check_and_encode(std::string_view actor, std::string_view target, const Attributes& attributes,
                      Timestamp time, std::string& encoded) {
  check_key("actor", actor);
  check_key("target", target);
  check_time("time", time);
  const std::size_t size = key_item_size(actor, target) + encode_attributes(attributes, encoded);
  if (size > kMaxItemBytes) {
    throw InvalidArgument("activity", "is " + std::to_string(size) +
                                          " bytes, over the 400 KB item limit (409600 bytes); "
                                          "keep large payloads elsewhere and record a reference");
  }
}

TimeRange check_range(const TimeRange& range) {
  const TimeRange clamped{std::max(range.from, kMinTime), std::min(range.to, kMaxTime)};
  if (range.from >= range.to) {
    throw InvalidArgument("time range", "from (" + format_time(clamped.from) +
                                            ") must be before to (" + format_time(clamped.to) +
                                            ")");
  }
  if (clamped.from >= clamped.to) {
    throw InvalidArgument("time range",
                          "lies outside the times a store can hold (1970 up to 2286-11-20)");
  }
  return clamped;
}

void check_table_options(const TableOptions& options) {
  // Longer than any time a store can hold is forever in all but name, and
  // would overflow in microseconds.
  const auto longest =
      std::chrono::duration_cast<std::chrono::seconds>(kMaxTime.time_since_epoch());
  for (const auto& [field, value] : {std::pair{"retention", options.retention},
                                     std::pair{"counts_retention", options.counts_retention}}) {
    if (value.count() < 0 || value > longest) {
      throw InvalidArgument(field, "must be zero (keep forever) or from 1 second up to " +
                                       std::to_string(longest.count()) + " seconds");
    }
  }
}

std::string retention_text(std::chrono::seconds kept) {
  if (kept.count() <= 0) return "forever";
  if (kept.count() % 86400 == 0) return std::to_string(kept.count() / 86400) + " days";
  return std::to_string(kept.count()) + " s";
}

}  // namespace cctv::core
