// Requests that take several rounds: every page of a Query or Scan, and
// deleting many items.
#ifndef CCTV_STORE_DYNAMODB_BULK_REQUESTS_H_
#define CCTV_STORE_DYNAMODB_BULK_REQUESTS_H_

#include <rapidjson/document.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "store/dynamodb/dynamo_client.h"
#include "store/dynamodb/json_access.h"

namespace cctv::store::dynamodb {

// Sends `operation` ("Query" or "Scan") page after page until the answer
// carries no LastEvaluatedKey: `request` writes the request's members into
// its open object (ExclusiveStartKey is added here), `page` sees each
// answer. Throws what DynamoClient::call throws.
void each_page(DynamoClient& client, std::string_view operation,
               const std::function<void(Writer&)>& request,
               const std::function<void(const rapidjson::Document&)>& page);

// Deletes the items of `table` whose keys (JSON objects of key
// AttributeValues) are `keys`, with BatchWriteItem 25 at a time, sending
// what DynamoDB leaves unprocessed again. Throws StoreError when items stay
// unprocessed after many tries, or what DynamoClient::call throws.
void delete_items(DynamoClient& client, const std::string& table,
                  const std::vector<std::string>& keys);

}  // namespace cctv::store::dynamodb

#endif  // CCTV_STORE_DYNAMODB_BULK_REQUESTS_H_
