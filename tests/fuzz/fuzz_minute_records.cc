// Counts items come back from DynamoDB, which other programs (or damage)
// may have written: any payload must decode or be refused, never crash,
// and what decodes must encode back to the same bytes.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/dynamodb/minute_records.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  std::vector<cctv::store::dynamodb::MinuteRecord> records;
  if (!cctv::store::dynamodb::decode_records(payload, records)) {
    if (!records.empty()) __builtin_trap();  // refused, yet half read
    return 0;
  }
  std::string again;
  cctv::store::dynamodb::encode_records(records, again);
  // Varints have more than one form, so compare what they say, not bytes.
  std::vector<cctv::store::dynamodb::MinuteRecord> decoded;
  if (!cctv::store::dynamodb::decode_records(again, decoded) || decoded != records)
    __builtin_trap();
  for (const auto& r : records) {
    if (again.size() == 0 || cctv::store::dynamodb::encoded_size_bound(r) == 0) __builtin_trap();
  }
  return 0;
}
