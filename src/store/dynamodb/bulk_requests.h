// Requests that take several rounds: every page of a Query or Scan, and
// deleting many items.
#ifndef CCTV_STORE_DYNAMODB_BULK_REQUESTS_H_
#define CCTV_STORE_DYNAMODB_BULK_REQUESTS_H_

#include <rapidjson/document.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "store/dynamodb/json_access.h"
#include "store/dynamodb/request_engine.h"

namespace cctv::store::dynamodb {

// Sends `operation` ("Query" or "Scan") page after page until the answer
// carries no LastEvaluatedKey: `request(start_after)` makes the request of
// the page after key `start_after` (a JSON object; empty for the first),
// `page` sees each answer. Throws what RequestEngine::call throws.
void each_page(RequestEngine& engine, std::string_view operation,
               const std::function<std::string(std::string_view start_after)>& request,
               const std::function<void(const rapidjson::Document&)>& page);

// The JSON of a value of an answer (a LastEvaluatedKey, a key).
std::string json_text(const rapidjson::Value& value);

// Deletes the items of `table` whose keys (JSON objects of key
// AttributeValues) are `keys`, with BatchWriteItem 25 at a time, sending
// what DynamoDB leaves unprocessed again. Throws RequestError when a
// request fails for good (items left unprocessed too often among them).
void delete_items(RequestEngine& engine, const std::string& table,
                  const std::vector<std::string>& keys);

}  // namespace cctv::store::dynamodb

#endif  // CCTV_STORE_DYNAMODB_BULK_REQUESTS_H_
