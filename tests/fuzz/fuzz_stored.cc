// Decoding what a store holds: a damaged or hand-edited store must give a
// StoreError (or a refusal), never a crash -- attributes, index keys and
// values of the embedded store, count rows and their merges, distinct-actor
// sketches, DynamoDB sort keys.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cctv/error.h"
#include "core/attribute_codec.h"
#include "core/hyperloglog.h"
#include "store/dynamodb/sort_key.h"
#include "store/embedded/count_rows.h"
#include "store/embedded/key_layout.h"

using namespace cctv::store::embedded;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const std::string a = in.ConsumeRandomLengthString(4096);
  const std::string b = in.ConsumeRandomLengthString(4096);
  const std::string c = in.ConsumeRemainingBytesAsString();
  try {
    const cctv::Attributes attributes = cctv::core::decode_attributes(a);
    // What decodes, encodes back to the same bytes.
    std::string again;
    cctv::core::encode_attributes(attributes, again);
  } catch (const cctv::StoreError&) {
  } catch (const cctv::InvalidArgument&) {
  }
  cctv::Activity activity;
  try {
    decode_activity(a, b, false, activity);
    decode_activity(a, b, true, activity);
  } catch (const cctv::StoreError&) {
  }
  IndexKey key;
  (void)parse_index_key(c, key);
  std::string_view other, attributes;
  (void)parse_stored_value(b, other, attributes);
  std::vector<std::int64_t> totals(60);
  (void)add_row(kMinuteRow, b, totals);
  totals.assign(24, 0);
  (void)add_row(kHourRow, b, totals);
  std::string merged;
  (void)combine(a, b, c, merged);
  cctv::core::HyperLogLog from_row;
  (void)merge_sketch_slot(a, b, static_cast<std::uint32_t>(c.size() % 64), from_row);
  std::int64_t min_us = 0, max_us = 0;
  (void)decode_dirty(c, min_us, max_us);
  cctv::core::HyperLogLog sketch;
  if (sketch.merge_encoded(b)) (void)sketch.estimate();
  cctv::core::HyperLogLog other_sketch;
  other_sketch.add("bob");
  if (other_sketch.merge_encoded(c)) {
    std::string encoded;
    other_sketch.encode(encoded);
    cctv::core::HyperLogLog back;
    if (!back.merge_encoded(encoded)) __builtin_trap();  // its own encoding reads back
  }
  (void)cctv::store::dynamodb::parse_sort_key(c, a);
  (void)cctv::store::dynamodb::legacy_id(a, c);
  return 0;
}
