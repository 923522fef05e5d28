// DynamoDB's JSON 1.0 protocol: signed POSTs of one operation each, their
// errors sorted into "retry" and "report", and retries with capped
// exponential backoff and full jitter.
//
// Thread-safe.
#ifndef CCTV_STORE_DYNAMODB_DYNAMO_CLIENT_H_
#define CCTV_STORE_DYNAMODB_DYNAMO_CLIENT_H_

#include <chrono>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cctv/error.h"
#include "store/dynamodb/aws_config.h"
#include "store/http/http_client.h"
#include "store/dynamodb/sigv4.h"

namespace cctv::store::dynamodb {

// The outcome of one request.
struct Outcome {
  bool ok = false;
  std::string body;        // the response body (JSON) when ok
  long status = 0;         // HTTP status, 0 when no response arrived
  std::string type;        // error type without its namespace, e.g. "ResourceNotFoundException"
  std::string message;     // DynamoDB's message, or the transport error
  bool retryable = false;  // throttling, 5xx, a broken connection
};

// Whether DynamoDB refused the request's credentials or signature: nothing
// about the request itself is wrong, and the same request may pass once the
// credentials are fixed or renewed.
bool is_credential_error(const Outcome& outcome);

// A request DynamoDB refused, or that kept failing. what() says which
// operation, what DynamoDB said and, for credential errors, where the
// credentials came from.
class RequestError : public StoreError {
 public:
  RequestError(const std::string& what, Outcome outcome)
      : StoreError(what), outcome_(std::move(outcome)) {}
  const Outcome& outcome() const { return outcome_; }
  const std::string& type() const { return outcome_.type; }

 private:
  Outcome outcome_;
};

class DynamoClient {
 public:
  explicit DynamoClient(AwsConfig config);

  // "dynamodb eu-west-1 at https://dynamodb.eu-west-1.amazonaws.com", for messages.
  const std::string& where() const { return where_; }

  // Sends `operation` (e.g. "DescribeTable") with JSON `body`, retrying
  // retryable failures up to `max_attempts` times. Returns the response
  // body; throws RequestError.
  std::string call(std::string_view operation, const std::string& body, int max_attempts = 8);

  // Sends one request per body, `concurrency` at a time, without retrying.
  std::vector<Outcome> send_all(std::string_view operation, std::span<const std::string> bodies,
                                int concurrency);

  // Signs with `credentials` from now on: renewed ones, found again where
  // the first were (DynamoStore::renew_credentials).
  void set_credentials(const Credentials& credentials);
  Credentials credentials() const;

  // The error to throw for a failed outcome of `operation`.
  RequestError error(std::string_view operation, const Outcome& outcome) const;

  // How long to wait before retry number `attempt` (1, 2, ...): a random
  // time up to min(cap, base * 2^attempt) ("full jitter").
  static std::chrono::milliseconds backoff(int attempt);

 private:
  // A signed request; `body` must outlive it.
  HttpRequest make_request(std::string_view operation, std::string_view body);
  Outcome classify(const HttpResponse& response) const;

  mutable std::shared_mutex credentials_mu_;  // guards config_.credentials against renewal
  AwsConfig config_;
  const std::string where_;
  std::string host_;  // Host header value, signed
  Signer signer_;
  HttpClient http_;
};

}  // namespace cctv::store::dynamodb

#endif  // CCTV_STORE_DYNAMODB_DYNAMO_CLIENT_H_
