// The current time in ISO 8601's basic form, to the second: the shape of
// AWS's X-Amz-Date and of names that must sort by time.
#ifndef CCTV_CORE_UTC_STAMP_H_
#define CCTV_CORE_UTC_STAMP_H_

#include <ctime>
#include <string>

namespace cctv::core {

// "20261201T101500Z" for `t` (default: now).
inline std::string utc_stamp(std::time_t t = std::time(nullptr)) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[20];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

}  // namespace cctv::core

#endif  // CCTV_CORE_UTC_STAMP_H_
