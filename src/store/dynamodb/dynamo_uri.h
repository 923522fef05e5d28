// dynamodb:// store URIs.
#ifndef CCTV_STORE_DYNAMODB_DYNAMO_URI_H_
#define CCTV_STORE_DYNAMODB_DYNAMO_URI_H_

#include <string>
#include <string_view>

#include "cctv/dynamo_options.h"

namespace cctv::store::dynamodb {

// Parses dynamodb://REGION[?endpoint=URL&profile=P&table_prefix=X&
// concurrency=N&billing=on_demand|provisioned&rcu=N&wcu=N]. Values may be
// percent-encoded. Throws InvalidArgument("store URI", ...) naming the bad part.
DynamoOptions parse_dynamo_uri(std::string_view uri);

// The URI that names `options` in messages; credentials never appear.
std::string describe_dynamo(const DynamoOptions& options);

}  // namespace cctv::store::dynamodb

#endif  // CCTV_STORE_DYNAMODB_DYNAMO_URI_H_
