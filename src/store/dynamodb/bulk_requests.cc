#include "store/dynamodb/bulk_requests.h"

#include <algorithm>
#include <string>

#include "cctv/error.h"
#include "store/dynamodb/requests.h"

namespace cctv::store::dynamodb {

std::string json_text(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  value.Accept(w);
  return buffer.GetString();
}

void each_page(RequestEngine& engine, std::string_view operation,
               const std::function<std::string(std::string_view start_after)>& request,
               const std::function<void(const rapidjson::Document&)>& page) {
  std::vector<std::string> first;
  first.push_back(request(""));
  std::vector<Outcome> outcomes =
      engine.run(operation, std::move(first),
                 [&](std::size_t, const rapidjson::Document& answer) -> std::optional<FollowUp> {
                   page(answer);
                   auto lek = answer.FindMember("LastEvaluatedKey");
                   if (lek == answer.MemberEnd()) return std::nullopt;
                   return FollowUp{request(json_text(lek->value)), false};
                 });
  if (!outcomes.front().ok) throw engine.error(operation, outcomes.front());
}

void delete_items(RequestEngine& engine, const std::string& table,
                  const std::vector<std::string>& keys) {
  constexpr std::size_t kPerRequest = 25;  // BatchWriteItem's limit
  std::vector<std::string> bodies;
  for (std::size_t begin = 0; begin < keys.size(); begin += kPerRequest) {
    BatchWriteRequest request;
    for (std::size_t i = begin; i < std::min(keys.size(), begin + kPerRequest); ++i) {
      request.writes.push_back({table, {}, keys[i]});
    }
    bodies.push_back(request.body());
  }
  const std::vector<Outcome> outcomes = engine.run(
      "BatchWriteItem", std::move(bodies), [](std::size_t, const rapidjson::Document& answer) {
        return resend_unprocessed(answer, "BatchWriteItem");
      });
  for (const Outcome& o : outcomes) {
    if (!o.ok) throw engine.error("BatchWriteItem (deleting items of " + table + ")", o);
  }
}

}  // namespace cctv::store::dynamodb
