// Activity JSON and NDJSON bodies, as `cctv serve` and `cctv import` read
// them: split into items, each parsed, checked and encoded as recording
// would. Also any JSON value (value_from_json). Bad input must be an
// InvalidArgument, never a crash; what parses must format and parse back
// to the same activity.
#include <cstdint>
#include <string_view>

#include "cctv/error.h"
#include "cctv/json.h"
#include "core/validate.h"
#include "server/activity_items.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte chooses the body's form.
  const std::uint8_t form = data[0];
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  const cctv::Timestamp reference = cctv::parse_time("2026-11-01T10:00:00Z");
  try {
    (void)cctv::value_from_json(body);
  } catch (const cctv::InvalidArgument&) {
  }
  try {
    for (std::string_view item :
         cctv::server::split_activity_items(body, (form & 1) != 0, 10'000)) {
      try {
        const cctv::Activity a = cctv::activity_from_json(item, reference);
        std::string encoded;
        cctv::core::check_and_encode(a.actor, a.target, a.attributes, a.time, encoded);
        const cctv::Activity again = cctv::activity_from_json(cctv::to_json(a), reference);
        if (!(again == a)) __builtin_trap();  // what is accepted round-trips
      } catch (const cctv::InvalidArgument&) {
      }
    }
  } catch (const cctv::InvalidArgument&) {
  }
  return 0;
}
