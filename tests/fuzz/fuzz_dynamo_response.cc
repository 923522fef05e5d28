// DynamoDB responses come from engines cctv does not control: any body is
// read, or refused as a StoreError, never a crash -- parsed as every call
// parses it, its items decoded into activities, its numbers read.
#include <cstdint>
#include <string>

#include "cctv/error.h"
#include "store/dynamodb/item_codec.h"
#include "store/dynamodb/json_access.h"

using namespace cctv::store::dynamodb;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  try {
    const rapidjson::Document doc = parse(body, "Query");
    (void)number_member(doc, "Count");
    (void)string_member(doc, "TableStatus");
    for (const char* list : {"Items", "Responses"}) {
      auto it = doc.FindMember(list);
      if (it == doc.MemberEnd() || !it->value.IsArray()) continue;
      for (const auto& item : it->value.GetArray()) {
        try {
          (void)read_item(item);
          (void)s_value(item, "target");
          (void)n_value(item, "expires_at");
          std::string bytes;
          (void)base64_decode(b_value(item, "sketch"), bytes);
        } catch (const cctv::StoreError&) {
        }
      }
    }
    if (auto it = doc.FindMember("LastEvaluatedKey"); it != doc.MemberEnd()) {
      try {
        (void)s_value(it->value, "timestamp");
      } catch (const cctv::StoreError&) {
      }
    }
  } catch (const cctv::StoreError&) {
  }
  return 0;
}
