// Where a DynamoDB client's region, endpoint and credentials come from:
// explicit options first, then the environment, then the shared AWS files,
// the order the AWS CLI and SDKs use.
#ifndef CCTV_STORE_DYNAMODB_AWS_CONFIG_H_
#define CCTV_STORE_DYNAMODB_AWS_CONFIG_H_

#include <functional>
#include <optional>
#include <string>

#include "cctv/dynamo_options.h"
#include "store/dynamodb/sigv4.h"

namespace cctv::store::dynamodb {

// Reads an environment variable; replaceable in tests.
using Environment = std::function<std::optional<std::string>(const char* name)>;
Environment process_environment();

struct AwsConfig {
  std::string region;
  std::string endpoint;         // scheme://host[:port], no trailing slash
  std::string endpoint_source;  // "options", "AWS_ENDPOINT_URL", "the region", ...
  Credentials credentials;      // .source names where they came from
};

// Resolves `options` against `env` and the shared files. Throws
// InvalidArgument when no region or no credentials are found, listing every
// place it looked; messages never contain a secret.
AwsConfig resolve_aws_config(const DynamoOptions& options, const Environment& env);

// True for endpoints on this machine (localhost, 127.x, ::1): local engines
// accept any credentials, so none are required there.
bool is_loopback_endpoint(const std::string& endpoint);

// "AKIA...WXYZ": enough of an access key id to recognize, never a secret.
std::string redact_key_id(const std::string& access_key_id);

}  // namespace cctv::store::dynamodb

#endif  // CCTV_STORE_DYNAMODB_AWS_CONFIG_H_
