#include "store/dynamodb/dynamo_client.h"

#include <ctime>
#include <random>
#include <thread>

#include "core/utc_stamp.h"
#include "store/dynamodb/json_access.h"

namespace cctv::store::dynamodb {

namespace {

constexpr auto kBackoffBase = std::chrono::milliseconds(25);
constexpr auto kBackoffCap = std::chrono::milliseconds(5000);

bool retryable_type(const std::string& type) {
  return type == "ProvisionedThroughputExceededException" || type == "ThrottlingException" ||
         type == "RequestLimitExceeded" || type == "InternalServerError" ||
         type == "ServiceUnavailable" || type == "LimitExceededException" ||
         type == "TransactionInProgressException";
}

}  // namespace

bool is_credential_error(const Outcome& outcome) {
  const std::string& type = outcome.type;
  return type == "UnrecognizedClientException" || type == "InvalidSignatureException" ||
         type == "MissingAuthenticationTokenException" || type == "AccessDeniedException" ||
         type == "ExpiredTokenException" || type == "IncompleteSignatureException";
}

DynamoClient::DynamoClient(AwsConfig config)
    : config_(std::move(config)),
      where_("DynamoDB (region " + config_.region + ", endpoint " + config_.endpoint + ")"),
      signer_(config_.credentials, config_.region, "dynamodb") {
  host_ = config_.endpoint.substr(config_.endpoint.find("://") + 3);
  host_ = host_.substr(0, host_.find('/'));
}

HttpRequest DynamoClient::make_request(std::string_view operation, std::string_view body) {
  const std::string date = core::utc_stamp();
  const std::string target = "DynamoDB_20120810." + std::string(operation);
  SignableRequest signable;
  signable.method = "POST";
  signable.path = "/";
  signable.headers = {{"content-type", "application/x-amz-json-1.0"},
                      {"host", host_},
                      {"x-amz-date", date},
                      {"x-amz-target", target}};
  // The token and the signature from the same credentials, whatever a
  // renewal does meanwhile.
  std::shared_lock lock(credentials_mu_);
  if (!config_.credentials.session_token.empty()) {
    signable.headers.emplace_back("x-amz-security-token", config_.credentials.session_token);
  }
  signable.body = body;
  HttpRequest request;
  request.url = config_.endpoint + "/";
  for (const auto& [name, value] : signable.headers) request.headers.push_back(name + ": " + value);
  request.headers.push_back("Authorization: " + signer_.authorization(signable));
  request.body = body;
  return request;
}

Outcome DynamoClient::classify(const HttpResponse& response) const {
  Outcome out;
  out.status = response.status;
  if (response.status == 0) {
    out.type = "TransportError";
    out.message = response.transport_error;
    out.retryable = true;
    return out;
  }
  if (response.status == 200) {
    out.ok = true;
    out.body = response.body;
    return out;
  }
  const rapidjson::Document doc = parse_json(response.body);
  if (!doc.HasParseError() && doc.IsObject()) {
    if (auto it = doc.FindMember("__type"); it != doc.MemberEnd() && it->value.IsString()) {
      std::string type = it->value.GetString();
      out.type = type.substr(type.rfind('#') + 1);
    }
    for (const char* key : {"message", "Message"}) {
      if (auto it = doc.FindMember(key); it != doc.MemberEnd() && it->value.IsString()) {
        out.message = it->value.GetString();
      }
    }
  }
  if (out.type.empty()) out.type = "HTTP " + std::to_string(response.status);
  if (out.message.empty()) out.message = response.body.substr(0, 200);
  out.retryable = response.status >= 500 || retryable_type(out.type);
  return out;
}

void DynamoClient::set_credentials(const Credentials& credentials) {
  std::unique_lock lock(credentials_mu_);
  config_.credentials = credentials;
  signer_.set_credentials(credentials);
}

Credentials DynamoClient::credentials() const {
  std::shared_lock lock(credentials_mu_);
  return config_.credentials;
}

RequestError DynamoClient::error(std::string_view operation, const Outcome& outcome) const {
  std::string what = std::string(operation) + " on " + where_ + " failed: " + outcome.type;
  if (!outcome.message.empty()) what += ": " + outcome.message;
  if (is_credential_error(outcome)) {
    const Credentials used = credentials();
    what += " (credentials from " + used.source + ", access key " +
            redact_key_id(used.access_key_id) + ")";
  } else if (outcome.status == 0) {
    what += " (is the endpoint, from " + config_.endpoint_source + ", right and reachable?)";
  }
  return RequestError(what, outcome);
}

std::chrono::milliseconds DynamoClient::backoff(int attempt) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const auto ceiling =
      std::min<long long>(kBackoffCap.count(), kBackoffBase.count() << std::min(attempt, 20));
  return std::chrono::milliseconds(std::uniform_int_distribution<long long>(0, ceiling)(rng));
}

std::string DynamoClient::call(std::string_view operation, const std::string& body,
                               int max_attempts) {
  for (int attempt = 1;; ++attempt) {
    const Outcome outcome = classify(http_.perform(make_request(operation, body)));
    if (outcome.ok) return outcome.body;
    if (!outcome.retryable || attempt >= max_attempts) throw error(operation, outcome);
    std::this_thread::sleep_for(backoff(attempt));
  }
}

std::vector<Outcome> DynamoClient::send_all(std::string_view operation,
                                            std::span<const std::string> bodies, int concurrency) {
  std::vector<HttpRequest> requests;
  requests.reserve(bodies.size());
  for (const auto& body : bodies) requests.push_back(make_request(operation, body));
  std::vector<HttpResponse> responses(requests.size());
  http_.perform_all(requests, responses, concurrency);
  std::vector<Outcome> outcomes;
  outcomes.reserve(responses.size());
  for (const auto& response : responses) outcomes.push_back(classify(response));
  return outcomes;
}

}  // namespace cctv::store::dynamodb
