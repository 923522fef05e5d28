// Cursors come back from clients (the HTTP API's cursor parameter, `cctv
// view --cursor`): any text must decode or be refused, never crash.
#include <cstdint>
#include <string_view>

#include "cctv/error.h"
#include "core/cursor.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::uint32_t fingerprint = cctv::core::query_fingerprint("pageviews", 't', "/store");
  for (const cctv::Order order : {cctv::Order::kNewestFirst, cctv::Order::kOldestFirst}) {
    try {
      const std::string position = cctv::core::decode_cursor(text, fingerprint, order);
      // What decodes, encodes back to a cursor that decodes the same.
      const std::string again = cctv::core::encode_cursor(fingerprint, order, position);
      if (cctv::core::decode_cursor(again, fingerprint, order) != position) __builtin_trap();
    } catch (const cctv::InvalidArgument&) {
    }
  }
  return 0;
}
