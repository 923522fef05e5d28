// Requests that take several rounds: every page of a Query or Scan, and
// deleting many items.
#ifndef CCTV_STORE_DYNAMODB_BULK_REQUESTS_H_
#define CCTV_STORE_DYNAMODB_BULK_REQUESTS_H_

#include <rapidjson/document.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/dynamodb/json_access.h"
#include "store/dynamodb/request_engine.h"
#include "store/dynamodb/requests.h"

namespace cctv::store::dynamodb {

// Sends `operation` ("Query" or "Scan") page after page until the answer
// carries no LastEvaluatedKey: `request(start_after)` makes the request of
// the page after key `start_after` (a JSON object; empty for the first),
// `page` sees each answer. Throws what RequestEngine::call throws. (For
// requests built with requests.h, the overload below takes the request.)
void each_page(RequestEngine& engine, std::string_view operation,
               const std::function<std::string(std::string_view start_after)>& request,
               const std::function<void(const rapidjson::Document&)>& page);

// The JSON of a value of an answer (a LastEvaluatedKey, a key).
std::string json_text(const rapidjson::Value& value);

// A Query or Scan request (requests.h) that pages by start_after.
template <typename Request>
concept PagedRequest = requires(Request r) {
  r.start_after = std::string_view();
  r.body();
  Request::kOperation;
};

// The follow-up for the page after `answer` of `request`, or nullopt when
// `answer` was the last.
template <PagedRequest Request>
std::optional<FollowUp> next_page(Request request, const rapidjson::Document& answer) {
  const auto lek = answer.FindMember("LastEvaluatedKey");
  if (lek == answer.MemberEnd()) return std::nullopt;
  const std::string start = json_text(lek->value);
  request.start_after = start;
  return FollowUp{request.body(), false};
}

// Every page of `request`, each answer to `page`. Throws what
// RequestEngine::call throws.
template <PagedRequest Request>
void each_page(RequestEngine& engine, const Request& request,
               const std::function<void(const rapidjson::Document&)>& page) {
  std::vector<std::string> first;
  first.push_back(request.body());
  const std::vector<Outcome> outcomes = engine.run(
      Request::kOperation, std::move(first), [&](std::size_t, const rapidjson::Document& answer) {
        page(answer);
        return next_page(request, answer);
      });
  if (!outcomes.front().ok) throw engine.error(Request::kOperation, outcomes.front());
}

// Deletes the items of `table` whose keys (JSON objects of key
// AttributeValues) are `keys`, with BatchWriteItem 25 at a time, sending
// what DynamoDB leaves unprocessed again. Throws RequestError when a
// request fails for good (items left unprocessed too often among them).
void delete_items(RequestEngine& engine, const std::string& table,
                  const std::vector<std::string>& keys);

}  // namespace cctv::store::dynamodb

#endif  // CCTV_STORE_DYNAMODB_BULK_REQUESTS_H_
