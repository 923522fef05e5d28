#include "store/dynamodb/bulk_requests.h"

#include <algorithm>
#include <string>

#include "cctv/error.h"
#include "store/dynamodb/item_codec.h"

namespace cctv::store::dynamodb {

namespace {

std::string page_request(const std::function<void(Writer&)>& request,
                         const rapidjson::Value* last_key) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  request(w);
  if (last_key != nullptr) {
    w.Key("ExclusiveStartKey");
    last_key->Accept(w);
  }
  w.EndObject();
  return buffer.GetString();
}

}  // namespace

void each_page(RequestEngine& engine, std::string_view operation,
               const std::function<void(Writer&)>& request,
               const std::function<void(const rapidjson::Document&)>& page) {
  std::vector<std::string> first;
  first.push_back(page_request(request, nullptr));
  std::vector<Outcome> outcomes =
      engine.run(operation, std::move(first),
                 [&](std::size_t, rapidjson::Document& answer) -> std::optional<FollowUp> {
                   page(answer);
                   auto lek = answer.FindMember("LastEvaluatedKey");
                   if (lek == answer.MemberEnd()) return std::nullopt;
                   return FollowUp{page_request(request, &lek->value), false};
                 });
  if (!outcomes.front().ok) throw engine.error(operation, outcomes.front());
}

void delete_items(RequestEngine& engine, const std::string& table,
                  const std::vector<std::string>& keys) {
  constexpr std::size_t kPerRequest = 25;  // BatchWriteItem's limit
  std::vector<std::string> bodies;
  for (std::size_t begin = 0; begin < keys.size(); begin += kPerRequest) {
    std::string body = "{\"RequestItems\":{";
    append_json_string(body, table);
    body += ":[";
    for (std::size_t i = begin; i < std::min(keys.size(), begin + kPerRequest); ++i) {
      if (i > begin) body += ',';
      body += "{\"DeleteRequest\":{\"Key\":" + keys[i] + "}}";
    }
    body += "]}}";
    bodies.push_back(std::move(body));
  }
  const std::vector<Outcome> outcomes =
      engine.run("BatchWriteItem", std::move(bodies), [](std::size_t, rapidjson::Document& answer) {
        return resend_unprocessed(answer, "BatchWriteItem");
      });
  for (const Outcome& o : outcomes) {
    if (!o.ok) throw engine.error("BatchWriteItem (deleting items of " + table + ")", o);
  }
}

}  // namespace cctv::store::dynamodb
