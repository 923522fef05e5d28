#include "store/dynamodb/request_engine.h"

#include <algorithm>
#include <random>
#include <thread>

#include "core/utc_stamp.h"
#include "store/dynamodb/json_access.h"

namespace cctv::store::dynamodb {

namespace {

using Clock = std::chrono::steady_clock;

class HttpTransport final : public Transport {
 public:
  explicit HttpTransport(std::chrono::milliseconds timeout) : http_(timeout) {}
  void perform_all(std::span<const HttpRequest> requests, std::span<HttpResponse> responses,
                   int concurrency) override {
    http_.perform_all(requests, responses, concurrency);
  }

 private:
  HttpClient http_;
};

// Reads a failed response's error type and message.
void read_error(const HttpResponse& response, Outcome& out) {
  if (response.status == 0) {
    out.type = "TransportError";
    out.message = response.transport_error;
    return;
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
}

// `body` asking DynamoDB for the capacity it consumes, indexes included.
std::string with_capacity_report(std::string body) {
  static constexpr std::string_view kMember = "\"ReturnConsumedCapacity\":\"INDEXES\"";
  const std::size_t open = body.find('{');
  if (open == std::string::npos) return body;
  const std::size_t next = body.find_first_not_of(" \t\r\n", open + 1);
  const bool empty = next != std::string::npos && body[next] == '}';
  body.insert(open + 1, std::string(kMember) + (empty ? "" : ","));
  return body;
}

}  // namespace

Failure classify(long status, std::string_view type) {
  if (status == 200) return Failure::kNone;
  if (status == 0) return Failure::kRetry;  // refused, reset, or no answer in time
  if (type == "ProvisionedThroughputExceededException" || type == "ThrottlingException" ||
      type == "RequestLimitExceeded" || type == "LimitExceededException") {
    return Failure::kThrottled;
  }
  if (type == "ConditionalCheckFailedException") return Failure::kConditionFailed;
  if (type == "ResourceNotFoundException") return Failure::kTableMissing;
  // Refused credentials that a renewal can mend. AccessDenied is a policy
  // that leaves something out: asking again cannot help.
  if (type == "ExpiredTokenException" || type == "ExpiredToken" ||
      type == "UnrecognizedClientException" || type == "InvalidSignatureException" ||
      type == "MissingAuthenticationTokenException" || type == "IncompleteSignatureException" ||
      type == "InvalidClientTokenId" || type == "RequestExpired") {
    return Failure::kRefreshCredentials;
  }
  if (status >= 500 || type == "InternalServerError" || type == "ServiceUnavailable" ||
      type == "TransactionInProgressException") {
    return Failure::kRetry;
  }
  return Failure::kGiveUp;
}

std::optional<FollowUp> resend_unprocessed(const rapidjson::Document& answer,
                                           std::string_view operation) {
  const char* member = operation == "BatchGetItem" ? "UnprocessedKeys" : "UnprocessedItems";
  auto it = answer.FindMember(member);
  if (it == answer.MemberEnd()) return std::nullopt;
  if (!it->value.IsObject()) {
    throw StoreError("DynamoDB's answer to " + std::string(operation) + ": " + member +
                     " is malformed");
  }
  if (it->value.ObjectEmpty()) return std::nullopt;
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("RequestItems");
  it->value.Accept(w);
  w.EndObject();
  return FollowUp{buffer.GetString(), true};
}

RequestEngine::RequestEngine(AwsConfig config, Options options,
                             std::unique_ptr<Transport> transport)
    : config_(std::move(config)),
      options_(std::move(options)),
      where_("DynamoDB (region " + config_.region + ", endpoint " + config_.endpoint + ")"),
      signer_(config_.credentials, config_.region, "dynamodb"),
      transport_(transport ? std::move(transport)
                           : std::make_unique<HttpTransport>(options_.policy.request_timeout)) {
  host_ = config_.endpoint.substr(config_.endpoint.find("://") + 3);
  host_ = host_.substr(0, host_.find('/'));
}

HttpRequest RequestEngine::make_request(std::string_view operation, std::string_view body,
                                        std::uint64_t& generation) {
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
  generation = generation_;
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

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const auto ceiling = std::min<long long>(
      policy.backoff_cap.count(), policy.backoff_base.count() << std::clamp(attempt, 0, 20));
  return std::chrono::milliseconds(std::uniform_int_distribution<long long>(0, ceiling)(rng));
}

std::vector<Outcome> RequestEngine::run(std::string_view operation, std::vector<std::string> bodies,
                                        const OnAnswer& on_answer, Patience patience,
                                        int max_attempts) {
  const int attempt_cap = max_attempts > 0 ? std::min(max_attempts, options_.policy.max_attempts)
                                           : options_.policy.max_attempts;
  struct Work {
    std::size_t index;
    std::string body;  // as sent: with the capacity report asked for
    int attempts = 0;  // sent so far
    Clock::time_point ready;
    std::uint64_t generation = 0;  // of the credentials it was last signed with
  };
  const bool capacity = reports_capacity(operation);
  const bool write = capacity && !is_read_operation(operation);
  std::vector<Outcome> outcomes(bodies.size());
  std::vector<Work> waiting;
  waiting.reserve(bodies.size());
  const Clock::time_point start = Clock::now();
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    waiting.push_back(Work{
        i, capacity ? with_capacity_report(std::move(bodies[i])) : std::move(bodies[i]), 0, start});
  }
  std::vector<Work> due;
  std::vector<HttpRequest> requests;
  std::vector<HttpResponse> responses;
  while (!waiting.empty()) {
    // Send what is due; when nothing is, wait for the first that will be.
    const Clock::time_point now = Clock::now();
    due.clear();
    Clock::time_point next = Clock::time_point::max();
    for (std::size_t k = 0; k < waiting.size();) {
      if (waiting[k].ready <= now) {
        due.push_back(std::move(waiting[k]));
        waiting[k] = std::move(waiting.back());
        waiting.pop_back();
      } else {
        next = std::min(next, waiting[k].ready);
        ++k;
      }
    }
    if (due.empty()) {
      std::this_thread::sleep_until(next);
      continue;
    }
    requests.clear();
    for (Work& w : due) requests.push_back(make_request(operation, w.body, w.generation));
    responses.assign(due.size(), HttpResponse{});
    transport_->perform_all(requests, responses, options_.concurrency);
    const Clock::time_point answered = Clock::now();
    for (std::size_t k = 0; k < due.size(); ++k) {
      Work& w = due[k];
      metrics_.sent(operation, w.attempts > 0);
      ++w.attempts;
      Outcome& out = outcomes[w.index];
      out = Outcome{};
      out.status = responses[k].status;
      out.attempts = w.attempts;
      auto again_later = [&] {
        w.ready = answered + backoff_delay(options_.policy, w.attempts);
        waiting.push_back(std::move(w));
      };
      if (out.status == 200) {
        out.answer = parse_json(responses[k].body);
        if (out.answer.HasParseError() || !out.answer.IsObject()) {
          // Cut short on the way, most likely: like no answer at all.
          out.answer = rapidjson::Document();
          out.type = "MalformedResponse";
          out.message = "the answer is not a JSON object: " + responses[k].body.substr(0, 200);
          out.failure = Failure::kRetry;
        } else {
          if (capacity) {
            double units = consumed_units(out.answer, write, options_.indexes_of);
            if (units == 0 && (operation == "Query" || operation == "Scan")) {
              // DynamoDB charges a query or scan that reads nothing its
              // minimum (dynalite reports 0).
              units = w.body.find("\"ConsistentRead\":true") != std::string::npos ? 1 : 0.5;
            }
            metrics_.consumed(operation, units);
          }
          std::optional<FollowUp> follow_up =
              on_answer ? on_answer(w.index, out.answer) : std::nullopt;
          if (!follow_up) {
            out.ok = true;
            continue;
          }
          w.body = capacity ? with_capacity_report(std::move(follow_up->body))
                            : std::move(follow_up->body);
          if (!follow_up->pause) {
            w.attempts = 0;  // a next page: a new request, not a retry
            w.ready = answered;
            waiting.push_back(std::move(w));
            continue;
          }
          out.answer = rapidjson::Document();
          out.type = "UnprocessedItems";
          out.message = "DynamoDB left part of the request unprocessed";
          out.failure = Failure::kThrottled;
        }
      } else {
        read_error(responses[k], out);
        out.failure = classify(out.status, out.type);
      }
      if (out.failure == Failure::kThrottled) {
        metrics_.throttled(operation);
      } else {
        metrics_.error(operation);
      }
      if (!is_retried(out.failure) || w.attempts >= attempt_cap) continue;
      if (out.failure == Failure::kRefreshCredentials && !renewed_since(w.generation) &&
          patience == Patience::kCaller) {
        continue;
      }
      again_later();
    }
  }
  return outcomes;
}

rapidjson::Document RequestEngine::call(std::string_view operation, std::string_view body) {
  std::vector<std::string> bodies;
  bodies.emplace_back(body);
  std::vector<Outcome> outcomes = run(operation, std::move(bodies));
  if (!outcomes.front().ok) throw error(operation, outcomes.front());
  return std::move(outcomes.front().answer);
}

bool RequestEngine::renewed_since(std::uint64_t generation) {
  {
    std::shared_lock lock(credentials_mu_);
    if (generation_ != generation) return true;
  }
  if (options_.refresh_credentials) options_.refresh_credentials();
  std::shared_lock lock(credentials_mu_);
  return generation_ != generation;
}

void RequestEngine::set_credentials(const Credentials& credentials) {
  std::unique_lock lock(credentials_mu_);
  ++generation_;
  config_.credentials = credentials;
  signer_.set_credentials(credentials);
}

Credentials RequestEngine::credentials() const {
  std::shared_lock lock(credentials_mu_);
  return config_.credentials;
}

void RequestEngine::run_conditional(std::string_view operation, std::vector<std::string> bodies,
                                    std::string_view what) {
  for (const Outcome& o : run(operation, std::move(bodies))) {
    if (!o.ok && o.failure != Failure::kConditionFailed) throw error(what, o);
  }
}

RequestError RequestEngine::error(std::string_view operation, const Outcome& outcome) const {
  std::string what = std::string(operation) + " on " + where_ + " failed";
  if (outcome.attempts > 1) what += " after " + std::to_string(outcome.attempts) + " attempts";
  what += ": " + outcome.type;
  if (!outcome.message.empty()) what += ": " + outcome.message;
  if (outcome.failure == Failure::kRefreshCredentials || outcome.type == "AccessDeniedException") {
    const Credentials used = credentials();
    what += " (credentials from " + used.source + ", access key " +
            redact_key_id(used.access_key_id) + ")";
  } else if (outcome.status == 0) {
    what += " (is the endpoint, from " + config_.endpoint_source + ", right and reachable?)";
  }
  return RequestError(what, outcome.type, outcome.message, outcome.failure);
}

}  // namespace cctv::store::dynamodb
