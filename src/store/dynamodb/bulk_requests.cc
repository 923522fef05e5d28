#include "store/dynamodb/bulk_requests.h"

#include <algorithm>
#include <string>
#include <thread>

#include "cctv/error.h"
#include "store/dynamodb/item_codec.h"

namespace cctv::store::dynamodb {

void each_page(DynamoClient& client, std::string_view operation,
               const std::function<void(Writer&)>& request,
               const std::function<void(const rapidjson::Document&)>& page) {
  rapidjson::Document last_key;  // null until an answer carries LastEvaluatedKey
  for (;;) {
    rapidjson::StringBuffer buffer;
    Writer w(buffer);
    w.StartObject();
    request(w);
    if (!last_key.IsNull()) {
      w.Key("ExclusiveStartKey");
      last_key.Accept(w);
    }
    w.EndObject();
    const rapidjson::Document doc = parse(client.call(operation, buffer.GetString()), operation);
    page(doc);
    auto lek = doc.FindMember("LastEvaluatedKey");
    if (lek == doc.MemberEnd()) break;
    last_key.CopyFrom(lek->value, last_key.GetAllocator());
  }
}

void delete_items(DynamoClient& client, const std::string& table,
                  const std::vector<std::string>& keys) {
  constexpr std::size_t kPerRequest = 25;  // BatchWriteItem's limit
  constexpr int kMaxAttempts = 10;
  for (std::size_t begin = 0; begin < keys.size(); begin += kPerRequest) {
    std::string body = "{\"RequestItems\":{";
    append_json_string(body, table);
    body += ":[";
    for (std::size_t i = begin; i < std::min(keys.size(), begin + kPerRequest); ++i) {
      if (i > begin) body += ',';
      body += "{\"DeleteRequest\":{\"Key\":" + keys[i] + "}}";
    }
    body += "]}}";
    for (int attempt = 1;; ++attempt) {
      const rapidjson::Document doc = parse(client.call("BatchWriteItem", body), "BatchWriteItem");
      auto unprocessed = doc.FindMember("UnprocessedItems");
      if (unprocessed == doc.MemberEnd() || !unprocessed->value.IsObject() ||
          unprocessed->value.ObjectEmpty()) {
        break;
      }
      if (attempt >= kMaxAttempts) {
        throw StoreError("items of " + table + " could not be deleted from " + client.where() +
                         " after " + std::to_string(attempt) +
                         " attempts (DynamoDB left them unprocessed)");
      }
      rapidjson::StringBuffer buffer;
      Writer w(buffer);
      w.StartObject();
      w.Key("RequestItems");
      unprocessed->value.Accept(w);
      w.EndObject();
      body = buffer.GetString();
      std::this_thread::sleep_for(DynamoClient::backoff(attempt));
    }
  }
}

}  // namespace cctv::store::dynamodb
