// The one road every DynamoDB request takes: DynamoDB's JSON 1.0 protocol
// (signed POSTs of one operation each), many requests in flight, every
// error sorted once into what to do about it (Failure), retries with capped
// exponential backoff and full jitter, credentials looked for again when
// DynamoDB refuses them, a time limit on each request, follow-up requests
// for what an answer left undone (unprocessed items, the next page), and
// the capacity each request consumed (request_metrics.h).
//
// Thread-safe.
#ifndef CCTV_STORE_DYNAMODB_REQUEST_ENGINE_H_
#define CCTV_STORE_DYNAMODB_REQUEST_ENGINE_H_

#include <rapidjson/document.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cctv/error.h"
#include "store/dynamodb/aws_config.h"
#include "store/dynamodb/request_metrics.h"
#include "store/dynamodb/sigv4.h"
#include "store/http/http_client.h"

namespace cctv::store::dynamodb {

// What to do about a request that failed. Decided in one place, classify().
enum class Failure : std::uint8_t {
  kNone,                // it did not fail
  kRetry,               // 5xx, a broken connection, no answer in time: send it again
  kThrottled,           // DynamoDB asks to slow down: send it again, later
  kRefreshCredentials,  // refused credentials that may have been renewed (an expired
                        // token): look for them again, then send it again
  kTableMissing,        // the table does not exist: for the caller to decide
  kConditionFailed,     // a ConditionExpression did not hold: for the caller to decide
  kGiveUp,              // the request itself is wrong, or forbidden: report it
};

// The outcome of one request, after every retry the engine made.
struct Outcome {
  bool ok = false;
  rapidjson::Document answer;  // the response (a JSON object) when ok
  long status = 0;             // HTTP status, 0 when no response arrived
  std::string type;            // error type without its namespace, e.g. "ResourceNotFoundException"
  std::string message;         // DynamoDB's message, or the transport's
  Failure failure = Failure::kNone;
  int attempts = 0;  // requests sent for it, follow-ups included
};

// Sorts a failed answer. Pure; exposed for tests.
Failure classify(long status, std::string_view type);

// Whether the engine sends a request that failed so again (until the
// attempt cap): then its outcome, once it gives up, is unknown -- it may
// have been applied.
inline bool is_retried(Failure f) {
  return f == Failure::kRetry || f == Failure::kThrottled || f == Failure::kRefreshCredentials;
}

// A request DynamoDB refused, or that kept failing. what() says which
// operation, what DynamoDB said and, for credential errors, where the
// credentials came from.
class RequestError : public StoreError {
 public:
  RequestError(const std::string& what, std::string type, std::string message, Failure failure)
      : StoreError(what), type_(std::move(type)), message_(std::move(message)), failure_(failure) {}
  const std::string& type() const { return type_; }
  // DynamoDB's own words (or the transport's).
  const std::string& message() const { return message_; }
  Failure failure() const { return failure_; }

 private:
  std::string type_;
  std::string message_;
  Failure failure_;
};

// What carries requests to DynamoDB: HTTP in production, a script in tests.
class Transport {
 public:
  virtual ~Transport() = default;
  // Performs every request, at most `concurrency` at a time; responses[i]
  // answers requests[i]. Returns when all are answered or have failed.
  virtual void perform_all(std::span<const HttpRequest> requests, std::span<HttpResponse> responses,
                           int concurrency) = 0;
};

struct RetryPolicy {
  int max_attempts = 10;  // per request; unprocessed-item follow-ups count too
  std::chrono::milliseconds backoff_base{25};
  std::chrono::milliseconds backoff_cap{5000};
  // How long one request may take, sending to last byte of the answer: a
  // stalled request is abandoned and sent again. DynamoDB answers in
  // milliseconds; a 1 MB page from a busy local engine in well under this.
  std::chrono::milliseconds request_timeout{10'000};
};

// How long to wait before sending a request again after its `attempt`-th
// try (1, 2, ...) failed: a random time up to min(cap, base * 2^attempt)
// ("full jitter"), so that many clients throttled at once spread out.
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt);

// What the caller does with an answer: nothing more (nullopt), or send a
// follow-up request for the same item of work -- the next page, or what
// the answer left unprocessed. A follow-up after `pause` waits a backoff
// and counts as an attempt; one without (a next page) goes at once.
struct FollowUp {
  std::string body;
  bool pause = false;
};
// How long a request waits for refused credentials to be renewed.
enum class Patience : std::uint8_t {
  // Sent again only once the credentials changed: someone waits for the
  // answer (a view, a table change), and keys that are plainly wrong
  // should say so at once.
  kCaller,
  // Sent again, with backoff, up to the attempt cap, looking for renewed
  // credentials before each: work nobody waits on that must not be lost
  // (recording activities and their counts), so a key rotation that
  // takes seconds costs a pause, not a failure.
  kBackground,
};

using OnAnswer =
    std::function<std::optional<FollowUp>(std::size_t index, const rapidjson::Document& answer)>;

// The follow-up for an answer of BatchWriteItem (or BatchGetItem) that left
// items (keys) unprocessed: a request for just those, with a pause. Throws
// StoreError for a malformed answer.
std::optional<FollowUp> resend_unprocessed(const rapidjson::Document& answer,
                                           std::string_view operation);

class RequestEngine {
 public:
  struct Options {
    RetryPolicy policy;
    int concurrency = 16;  // requests in flight at once, per call of run()
    // Called from the calling thread when DynamoDB refuses credentials
    // that have not changed since the request was signed; may renew them
    // with set_credentials(). See Patience for what is sent again.
    std::function<void()> refresh_credentials;
    // How many global secondary indexes the DynamoDB table `name` has, for
    // counting their write units where the engine does not report them.
    std::function<int(std::string_view name)> indexes_of;
  };

  // `transport` empty: HTTP(S) to config.endpoint.
  RequestEngine(AwsConfig config, Options options, std::unique_ptr<Transport> transport = {});

  // "DynamoDB (region eu-west-1, endpoint https://...)", for messages.
  const std::string& where() const { return where_; }

  // Sends `operation` (e.g. "DescribeTable") with JSON `body`, retrying as
  // the policy says. Returns the answer; throws RequestError.
  rapidjson::Document call(std::string_view operation, std::string_view body);

  // Sends one request per body, options.concurrency at a time, each retried
  // as call() retries and followed up as `on_answer` asks. outcomes[i] is
  // how bodies[i]'s work ended: ok (its last answer), or the failure that
  // ended it. Throws only what `on_answer` throws.
  // `max_attempts` > 0 lowers the policy's cap for this call: for work
  // that must end within a deadline.
  std::vector<Outcome> run(std::string_view operation, std::vector<std::string> bodies,
                           const OnAnswer& on_answer = {}, Patience patience = Patience::kCaller,
                           int max_attempts = 0);

  // Signs with `credentials` from now on.
  void set_credentials(const Credentials& credentials);
  Credentials credentials() const;

  // The error to throw for a failed outcome of `operation`.
  RequestError error(std::string_view operation, const Outcome& outcome) const;

  // run() for writes whose condition keeps an older write from replacing
  // a newer one: a failed condition is an outcome like success (a newer
  // write is there); any other failure throws error(`what`, ...).
  void run_conditional(std::string_view operation, std::vector<std::string> bodies,
                       std::string_view what);

  // Requests, retries, throttles, errors and capacity so far, by operation.
  std::vector<StoreRequestMetrics> metrics() const { return metrics_.snapshot(); }

  const RetryPolicy& policy() const { return options_.policy; }

 private:
  // A signed request; `body` must outlive it. `generation` is set to the
  // credentials' generation it was signed with.
  HttpRequest make_request(std::string_view operation, std::string_view body,
                           std::uint64_t& generation);
  // Whether a request signed with credentials of `generation` that DynamoDB
  // refused is worth sending again: the credentials changed since, or
  // looking for them again changed them.
  bool renewed_since(std::uint64_t generation);
  mutable std::shared_mutex credentials_mu_;  // guards config_.credentials against renewal
  AwsConfig config_;
  std::uint64_t generation_ = 0;  // of config_.credentials; guarded by credentials_mu_
  const Options options_;
  const std::string where_;
  std::string host_;  // Host header value, signed
  Signer signer_;
  std::unique_ptr<Transport> transport_;
  RequestMetrics metrics_;
};

}  // namespace cctv::store::dynamodb

#endif  // CCTV_STORE_DYNAMODB_REQUEST_ENGINE_H_
