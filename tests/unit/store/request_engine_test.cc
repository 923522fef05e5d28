// The request engine's policy against a scripted transport: what it
// retries, how often, what it gives up on, what it sends again of a
// partial answer, and what it counts.
#include "store/dynamodb/request_engine.h"

#include <gtest/gtest.h>

#include <deque>
#include <mutex>

namespace cctv::store::dynamodb {
namespace {

using std::chrono::milliseconds;

// A request as the transport saw it.
struct Sent {
  std::string operation;  // from X-Amz-Target
  std::string body;
  std::vector<std::string> headers;
};

HttpResponse answer(long status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse error(long status, const std::string& type, const std::string& message = "no") {
  return answer(status, R"({"__type":"com.amazonaws.dynamodb.v20120810#)" + type +
                            R"(","message":")" + message + R"("})");
}

HttpResponse lost(const std::string& why = "connection reset by peer") {
  HttpResponse r;
  r.transport_error = why;
  return r;
}

// Answers each request with the next scripted response (or `otherwise`
// once they run out), and keeps what was sent.
class ScriptedTransport final : public Transport {
 public:
  struct Log {
    std::mutex mu;
    std::vector<Sent> sent;
    std::vector<std::size_t> round_sizes;
    std::vector<int> concurrency;
  };

  ScriptedTransport(std::shared_ptr<Log> log, std::deque<HttpResponse> script,
                    HttpResponse otherwise)
      : log_(std::move(log)), script_(std::move(script)), otherwise_(std::move(otherwise)) {}

  void perform_all(std::span<const HttpRequest> requests, std::span<HttpResponse> responses,
                   int concurrency) override {
    std::lock_guard lock(log_->mu);
    log_->round_sizes.push_back(requests.size());
    log_->concurrency.push_back(concurrency);
    for (std::size_t i = 0; i < requests.size(); ++i) {
      Sent sent{"", std::string(requests[i].body), requests[i].headers};
      for (const std::string& h : requests[i].headers) {
        if (h.starts_with("x-amz-target: DynamoDB_20120810.")) sent.operation = h.substr(32);
      }
      log_->sent.push_back(std::move(sent));
      if (script_.empty()) {
        responses[i] = otherwise_;
      } else {
        responses[i] = std::move(script_.front());
        script_.pop_front();
      }
    }
  }

 private:
  std::shared_ptr<Log> log_;
  std::deque<HttpResponse> script_;
  HttpResponse otherwise_;
};

AwsConfig test_config() {
  AwsConfig config;
  config.region = "us-east-1";
  config.endpoint = "http://127.0.0.1:1";
  config.endpoint_source = "a test";
  config.credentials = Credentials{"AKIDEXAMPLE", "secret", "OLD-TOKEN", "a test"};
  return config;
}

class RequestEngineTest : public ::testing::Test {
 protected:
  // An engine whose transport plays `script`, then answers `otherwise`.
  RequestEngine& engine(std::deque<HttpResponse> script,
                        HttpResponse otherwise = answer(200, "{}")) {
    options_.policy.backoff_base = milliseconds(1);
    options_.policy.backoff_cap = milliseconds(4);
    engine_ = std::make_unique<RequestEngine>(
        test_config(), options_,
        std::make_unique<ScriptedTransport>(log_, std::move(script), std::move(otherwise)));
    return *engine_;
  }
  const StoreRequestMetrics& metrics(const std::string& operation) {
    snapshot_ = engine_->metrics();
    for (const auto& m : snapshot_) {
      if (m.operation == operation) return m;
    }
    static const StoreRequestMetrics none;
    return none;
  }
  std::vector<Sent> sent() {
    std::lock_guard lock(log_->mu);
    return log_->sent;
  }

  std::shared_ptr<ScriptedTransport::Log> log_ = std::make_shared<ScriptedTransport::Log>();
  RequestEngine::Options options_;
  std::unique_ptr<RequestEngine> engine_;
  std::vector<StoreRequestMetrics> snapshot_;
};

TEST(Classify, SortsEveryErrorOnce) {
  EXPECT_EQ(classify(200, ""), Failure::kNone);
  EXPECT_EQ(classify(0, "TransportError"), Failure::kRetry);
  EXPECT_EQ(classify(500, "InternalServerError"), Failure::kRetry);
  EXPECT_EQ(classify(503, "HTTP 503"), Failure::kRetry);
  EXPECT_EQ(classify(400, "ProvisionedThroughputExceededException"), Failure::kThrottled);
  EXPECT_EQ(classify(400, "ThrottlingException"), Failure::kThrottled);
  EXPECT_EQ(classify(400, "RequestLimitExceeded"), Failure::kThrottled);
  EXPECT_EQ(classify(400, "ExpiredTokenException"), Failure::kRefreshCredentials);
  EXPECT_EQ(classify(400, "UnrecognizedClientException"), Failure::kRefreshCredentials);
  EXPECT_EQ(classify(403, "InvalidSignatureException"), Failure::kRefreshCredentials);
  EXPECT_EQ(classify(400, "AccessDeniedException"), Failure::kGiveUp);
  EXPECT_EQ(classify(400, "ValidationException"), Failure::kGiveUp);
  EXPECT_EQ(classify(400, "SerializationException"), Failure::kGiveUp);
  EXPECT_EQ(classify(400, "ResourceNotFoundException"), Failure::kTableMissing);
  EXPECT_EQ(classify(400, "ConditionalCheckFailedException"), Failure::kConditionFailed);
}

TEST(Backoff, IsJitteredBelowADoublingCeilingAndCapped) {
  RetryPolicy policy;
  policy.backoff_base = milliseconds(10);
  policy.backoff_cap = milliseconds(1000);
  for (int attempt : {1, 3, 6, 30}) {
    const long long ceiling = std::min<long long>(1000, 10LL << attempt);
    long long low = ceiling;
    long long high = 0;
    for (int i = 0; i < 2000; ++i) {
      const long long d = backoff_delay(policy, attempt).count();
      ASSERT_GE(d, 0);
      ASSERT_LE(d, ceiling) << "attempt " << attempt;
      low = std::min(low, d);
      high = std::max(high, d);
    }
    // Full jitter: the whole range is used, not a fixed delay.
    EXPECT_LT(low, ceiling / 4 + 1) << "attempt " << attempt;
    EXPECT_GT(high, ceiling * 3 / 4) << "attempt " << attempt;
  }
}

TEST_F(RequestEngineTest, ThrottledRequestsAreRetriedUntilAnswered) {
  RequestEngine& e = engine({error(400, "ProvisionedThroughputExceededException"),
                             error(400, "ThrottlingException"), error(400, "RequestLimitExceeded"),
                             answer(200, R"({"Item":{}})")});
  const rapidjson::Document doc = e.call("GetItem", R"({"TableName":"t"})");
  EXPECT_TRUE(doc.HasMember("Item"));
  EXPECT_EQ(sent().size(), 4u);
  EXPECT_EQ(metrics("GetItem").requests, 4u);
  EXPECT_EQ(metrics("GetItem").retries, 3u);
  EXPECT_EQ(metrics("GetItem").throttles, 3u);
  EXPECT_EQ(metrics("GetItem").errors, 0u);
}

TEST_F(RequestEngineTest, ServerErrorsLostAnswersAndStallsAreRetried) {
  RequestEngine& e =
      engine({error(500, "InternalServerError"), answer(503, "Service Unavailable"), lost(),
              lost("no response within 10000 ms"), answer(200, "{\"x\"")  // cut short
              ,
              answer(200, "{}")});
  std::vector<std::string> bodies{R"({"TableName":"t"})"};
  const std::vector<Outcome> outcomes = e.run("PutItem", bodies);
  ASSERT_TRUE(outcomes[0].ok) << outcomes[0].type << ": " << outcomes[0].message;
  EXPECT_EQ(outcomes[0].attempts, 6);
  EXPECT_EQ(metrics("PutItem").errors, 5u);
  // Every try sent the same request.
  for (const Sent& s : sent()) EXPECT_EQ(s.body, sent().front().body);
}

TEST_F(RequestEngineTest, GivesUpAtTheAttemptCapAndSaysSo) {
  options_.policy.max_attempts = 5;
  RequestEngine& e = engine({}, error(500, "InternalServerError", "try later"));
  try {
    e.call("Query", R"({"TableName":"t"})");
    FAIL() << "no error";
  } catch (const RequestError& err) {
    EXPECT_EQ(err.failure(), Failure::kRetry);
    EXPECT_EQ(err.type(), "InternalServerError");
    const std::string what = err.what();
    EXPECT_NE(what.find("Query"), std::string::npos) << what;
    EXPECT_NE(what.find("after 5 attempts"), std::string::npos) << what;
    EXPECT_NE(what.find("try later"), std::string::npos) << what;
  }
  EXPECT_EQ(sent().size(), 5u);
}

TEST_F(RequestEngineTest, ARequestDynamoDbCallsWrongIsSentOnce) {
  RequestEngine& e = engine({error(400, "ValidationException", "One or more parameter values")});
  std::vector<std::string> bodies{R"({"TableName":"t"})"};
  const std::vector<Outcome> outcomes = e.run("PutItem", bodies);
  EXPECT_FALSE(outcomes[0].ok);
  EXPECT_EQ(outcomes[0].failure, Failure::kGiveUp);
  EXPECT_EQ(outcomes[0].attempts, 1);
  EXPECT_EQ(sent().size(), 1u);
}

TEST_F(RequestEngineTest, ConditionsAndMissingTablesGoBackToTheCallerAtOnce) {
  RequestEngine& e = engine(
      {error(400, "ConditionalCheckFailedException"), error(400, "ResourceNotFoundException")});
  std::vector<std::string> bodies{R"({"TableName":"a"})", R"({"TableName":"b"})"};
  const std::vector<Outcome> outcomes = e.run("PutItem", bodies);
  EXPECT_EQ(outcomes[0].failure, Failure::kConditionFailed);
  EXPECT_EQ(outcomes[1].failure, Failure::kTableMissing);
  EXPECT_EQ(sent().size(), 2u);
}

TEST_F(RequestEngineTest, AnExpiredTokenIsRenewedAndTheRequestSentAgain) {
  int refreshes = 0;
  options_.refresh_credentials = [&] {
    ++refreshes;
    engine_->set_credentials(Credentials{"AKIDEXAMPLE", "secret", "NEW-TOKEN", "renewed"});
  };
  RequestEngine& e = engine({error(400, "ExpiredTokenException", "The security token expired")});
  std::vector<std::string> bodies{R"({"TableName":"t"})"};
  const std::vector<Outcome> outcomes = e.run("BatchWriteItem", bodies);
  EXPECT_TRUE(outcomes[0].ok);
  EXPECT_EQ(refreshes, 1);
  const std::vector<Sent> all = sent();
  ASSERT_EQ(all.size(), 2u);
  auto token = [](const Sent& s) {
    for (const std::string& h : s.headers) {
      if (h.starts_with("x-amz-security-token: ")) return h.substr(22);
    }
    return std::string();
  };
  EXPECT_EQ(token(all[0]), "OLD-TOKEN");
  EXPECT_EQ(token(all[1]), "NEW-TOKEN");
}

TEST_F(RequestEngineTest, RefusedCredentialsThatStayTheSameFailAtOnceNamingTheirSource) {
  int refreshes = 0;
  options_.refresh_credentials = [&] { ++refreshes; };  // finds nothing new
  RequestEngine& e = engine({}, error(400, "UnrecognizedClientException", "bad key"));
  try {
    e.call("Query", "{}");
    FAIL() << "no error";
  } catch (const RequestError& err) {
    EXPECT_EQ(err.failure(), Failure::kRefreshCredentials);
    const std::string what = err.what();
    EXPECT_NE(what.find("credentials from a test"), std::string::npos) << what;
    EXPECT_EQ(what.find("secret"), std::string::npos) << what;
  }
  EXPECT_EQ(refreshes, 1);
  EXPECT_EQ(sent().size(), 1u);
}

TEST_F(RequestEngineTest, BackgroundWorkWaitsForRefusedCredentialsToBeRenewed) {
  int refreshes = 0;
  options_.refresh_credentials = [&] {
    // Renewed on the third look, as a rotated key file would be.
    if (++refreshes == 3) {
      engine_->set_credentials(Credentials{"AKIDNEW", "secret2", "", "renewed"});
    }
  };
  RequestEngine& e =
      engine({error(400, "ExpiredTokenException"), error(400, "ExpiredTokenException"),
              error(400, "ExpiredTokenException")});
  std::vector<std::string> bodies{R"({"RequestItems":{}})"};
  const std::vector<Outcome> outcomes = e.run("BatchWriteItem", bodies, {}, Patience::kBackground);
  EXPECT_TRUE(outcomes[0].ok);
  EXPECT_EQ(refreshes, 3);
  EXPECT_EQ(outcomes[0].attempts, 4);
}

TEST_F(RequestEngineTest, UnprocessedItemsAreSentAgainUntilWritten) {
  const std::string unprocessed =
      R"({"UnprocessedItems":{"t":[{"PutRequest":{"Item":{"target":{"S":"b"}}}}]}})";
  RequestEngine& e = engine({answer(200, unprocessed), answer(200, unprocessed),
                             answer(200, R"({"UnprocessedItems":{}})")});
  std::vector<std::string> bodies{
      R"({"RequestItems":{"t":[{"PutRequest":{"Item":{"target":{"S":"a"}}}},)"
      R"({"PutRequest":{"Item":{"target":{"S":"b"}}}}]}})"};
  const std::vector<Outcome> outcomes =
      e.run("BatchWriteItem", bodies, [](std::size_t, const rapidjson::Document& a) {
        return resend_unprocessed(a, "BatchWriteItem");
      });
  EXPECT_TRUE(outcomes[0].ok);
  const std::vector<Sent> all = sent();
  ASSERT_EQ(all.size(), 3u);
  // What is sent again is only what was left: item b, not item a.
  for (std::size_t i = 1; i < 3; ++i) {
    EXPECT_EQ(all[i].body.find(R"({"S":"a"})"), std::string::npos) << all[i].body;
    EXPECT_NE(all[i].body.find(R"({"S":"b"})"), std::string::npos) << all[i].body;
  }
  EXPECT_EQ(metrics("BatchWriteItem").retries, 2u);
}

TEST_F(RequestEngineTest, ItemsLeftUnprocessedForeverEndTheWorkAsThrottled) {
  options_.policy.max_attempts = 4;
  RequestEngine& e = engine(
      {}, answer(200, R"({"UnprocessedItems":{"t":[{"PutRequest":{"Item":{"k":{"S":"b"}}}}]}})"));
  std::vector<std::string> bodies{R"({"RequestItems":{}})"};
  const std::vector<Outcome> outcomes =
      e.run("BatchWriteItem", bodies, [](std::size_t, const rapidjson::Document& a) {
        return resend_unprocessed(a, "BatchWriteItem");
      });
  EXPECT_FALSE(outcomes[0].ok);
  EXPECT_EQ(outcomes[0].failure, Failure::kThrottled);
  EXPECT_EQ(outcomes[0].type, "UnprocessedItems");
  EXPECT_EQ(sent().size(), 4u);
}

TEST_F(RequestEngineTest, PagesFollowAtOnceAndAreNotRetries) {
  RequestEngine& e = engine({answer(200, R"({"Items":[1],"LastEvaluatedKey":{"k":{"S":"1"}}})"),
                             error(400, "ThrottlingException"),
                             answer(200, R"({"Items":[2],"LastEvaluatedKey":{"k":{"S":"2"}}})"),
                             answer(200, R"({"Items":[3]})")});
  int pages = 0;
  std::vector<std::string> bodies{R"({"TableName":"t"})"};
  const std::vector<Outcome> outcomes = e.run(
      "Query", bodies, [&](std::size_t, const rapidjson::Document& a) -> std::optional<FollowUp> {
        ++pages;
        auto lek = a.FindMember("LastEvaluatedKey");
        if (lek == a.MemberEnd()) return std::nullopt;
        return FollowUp{std::string(R"({"TableName":"t","ExclusiveStartKey":")") +
                            lek->value["k"]["S"].GetString() + "\"}",
                        false};
      });
  EXPECT_TRUE(outcomes[0].ok);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(metrics("Query").requests, 4u);
  EXPECT_EQ(metrics("Query").retries, 1u);  // only the throttled page
  EXPECT_NE(sent()[3].body.find(R"("ExclusiveStartKey":"2")"), std::string::npos);
}

TEST_F(RequestEngineTest, ManyRequestsGoOutTogetherUpToTheConcurrency) {
  options_.concurrency = 7;
  RequestEngine& e = engine({});
  std::vector<std::string> bodies(40, R"({"TableName":"t"})");
  const std::vector<Outcome> outcomes = e.run("PutItem", bodies);
  for (const Outcome& o : outcomes) EXPECT_TRUE(o.ok);
  std::lock_guard lock(log_->mu);
  EXPECT_EQ(log_->round_sizes, std::vector<std::size_t>{40});
  EXPECT_EQ(log_->concurrency, std::vector<int>{7});
}

TEST_F(RequestEngineTest, AFailingRequestDoesNotHoldUpTheOthers) {
  // The first request fails twice; the rest are answered at once and are
  // not sent again.
  RequestEngine& e = engine({error(500, "InternalServerError"), answer(200, "{}"),
                             answer(200, "{}"), error(500, "InternalServerError")});
  std::vector<std::string> bodies{R"({"n":0})", R"({"n":1})", R"({"n":2})"};
  const std::vector<Outcome> outcomes = e.run("PutItem", bodies);
  for (const Outcome& o : outcomes) EXPECT_TRUE(o.ok);
  EXPECT_EQ(outcomes[0].attempts, 3);
  EXPECT_EQ(outcomes[1].attempts, 1);
  EXPECT_EQ(outcomes[2].attempts, 1);
  EXPECT_EQ(sent().size(), 5u);
}

TEST_F(RequestEngineTest, ItemRequestsAskForTheCapacityTheyConsumeTableRequestsDoNot) {
  RequestEngine& e = engine({});
  e.call("PutItem", R"({"TableName":"t"})");
  e.call("Query", "{}");
  e.call("DescribeTable", R"({"TableName":"t"})");
  const std::vector<Sent> all = sent();
  EXPECT_EQ(all[0].body, R"({"ReturnConsumedCapacity":"INDEXES","TableName":"t"})");
  EXPECT_EQ(all[1].body, R"({"ReturnConsumedCapacity":"INDEXES"})");
  EXPECT_EQ(all[2].body, R"({"TableName":"t"})");
}

TEST_F(RequestEngineTest, CapacityIsCountedByOperationWithUnreportedIndexUnitsAdded) {
  options_.indexes_of = [](std::string_view table) { return table == "activities" ? 1 : 0; };
  RequestEngine& e = engine({
      // dynalite: a batch over two tables, no index units reported.
      answer(200, R"({"ConsumedCapacity":[{"TableName":"activities","CapacityUnits":"25",)"
                  R"("Table":{"CapacityUnits":"25"}},{"TableName":"activities.counts",)"
                  R"("CapacityUnits":"3","Table":{"CapacityUnits":"3"}}]})"),
      // DynamoDB: index units reported, and in the total.
      answer(200, R"({"ConsumedCapacity":{"TableName":"activities","CapacityUnits":4,)"
                  R"("Table":{"CapacityUnits":2},"GlobalSecondaryIndexes":{"actor-index":)"
                  R"({"CapacityUnits":2}}}})"),
      answer(200, R"({"ConsumedCapacity":{"TableName":"activities","CapacityUnits":1.5}})"),
      // A query that read nothing, consistently: DynamoDB's minimum.
      answer(200,
             R"({"Items":[],"ConsumedCapacity":{"TableName":"activities","CapacityUnits":0}})"),
      // One through an index (never consistent), on an engine that reports nothing.
      answer(200, R"({"Items":[]})"),
  });
  e.call("BatchWriteItem", "{}");
  e.call("PutItem", "{}");
  e.call("Query", "{}");
  e.call("Query", R"({"ConsistentRead":true})");
  e.call("Query", R"({"IndexName":"actor-index"})");
  EXPECT_DOUBLE_EQ(metrics("BatchWriteItem").write_units, 25 + 25 + 3);
  EXPECT_DOUBLE_EQ(metrics("PutItem").write_units, 4);
  EXPECT_DOUBLE_EQ(metrics("Query").read_units, 1.5 + 1 + 0.5);
  EXPECT_DOUBLE_EQ(metrics("Query").write_units, 0);
}

}  // namespace
}  // namespace cctv::store::dynamodb
