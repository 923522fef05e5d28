// Counts items come back from DynamoDB, which other programs (or damage)
// may have written: any payload of a minute item, any held-minutes
// attribute of a ranked list or any intent's ids must decode or be
// refused, never crash, and what decodes must encode back to the same
// values.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/dynamodb/count_items.h"
#include "store/dynamodb/minute_records.h"

namespace cctv::store::dynamodb {
namespace {

void check_records(std::string_view payload) {
  std::vector<MinuteRecord> records;
  if (!decode_records(payload, records)) {
    if (!records.empty()) __builtin_trap();  // refused, yet half read
    return;
  }
  std::string again;
  encode_records(records, again);
  // Varints have more than one form, so compare what they say, not bytes.
  std::vector<MinuteRecord> decoded;
  if (!decode_records(again, decoded) || decoded != records) __builtin_trap();
  for (const auto& r : records) {
    if (again.size() == 0 || encoded_size_bound(r) == 0) __builtin_trap();
  }
}

void check_held_minutes(std::string_view bytes) {
  std::vector<HeldMinutes> held;
  if (!decode_held_minutes(bytes, held)) {
    if (!held.empty()) __builtin_trap();
    return;
  }
  if (held.size() > kHeldHoursAtMost) __builtin_trap();
  std::vector<HeldMinutes> back;
  if (!decode_held_minutes(encode_held_minutes(held), back) || back != held) __builtin_trap();
}

void check_intent_ids(std::string_view bytes) {
  std::vector<std::uint64_t> ids;
  if (!decode_intent_ids(bytes, ids)) {
    if (!ids.empty()) __builtin_trap();
    return;
  }
  if (ids.size() > bytes.size()) __builtin_trap();
  std::vector<std::uint64_t> copy = ids;
  std::string again;
  encode_intent_ids(copy, again);
  std::vector<std::uint64_t> back;
  if (!decode_intent_ids(again, back) || back != ids) __builtin_trap();
}

}  // namespace
}  // namespace cctv::store::dynamodb

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  cctv::store::dynamodb::check_records(payload);
  cctv::store::dynamodb::check_held_minutes(payload);
  cctv::store::dynamodb::check_intent_ids(payload);
  return 0;
}
