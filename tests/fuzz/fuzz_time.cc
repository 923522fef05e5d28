// Time, duration and UTC-offset parsing: every form the CLI and the HTTP
// API take from a person (ISO 8601, epoch seconds, relative times).
#include <cstdint>
#include <string_view>

#include "cctv/counts.h"
#include "cctv/error.h"
#include "cctv/time.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const cctv::Timestamp reference = cctv::parse_time("2026-11-01T10:00:00Z");
  try {
    const cctv::Timestamp t = cctv::parse_time(text, reference);
    // A time it takes is one a store can hold, and formats and parses back.
    if (t < cctv::kMinTime || t >= cctv::kMaxTime) __builtin_trap();
    if (cctv::parse_time(cctv::format_time(t), reference) != t) __builtin_trap();
  } catch (const cctv::InvalidArgument&) {
  }
  try {
    (void)cctv::parse_duration(text);
  } catch (const cctv::InvalidArgument&) {
  }
  try {
    (void)cctv::parse_utc_offset(text);
  } catch (const cctv::InvalidArgument&) {
  }
  return 0;
}
