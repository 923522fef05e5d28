// The signer against AWS's published SigV4 test suite, and against the AWS
// SDK for JavaScript's signer on DynamoDB-shaped requests. (Local engines
// accept any signature, so the integration tests cannot catch a bad one.)
#include "store/dynamodb/sigv4.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fstream>
#include <sstream>

#include "support/run.h"
#include "support/server_process.h"

namespace cctv::store::dynamodb {
namespace {

rapidjson::Document load_suite() {
  std::ifstream in(CCTV_TEST_DATA "/sigv4_suite.json");
  std::stringstream text;
  text << in.rdbuf();
  rapidjson::Document doc;
  doc.Parse(text.str().c_str());
  return doc;
}

std::vector<std::pair<std::string, std::string>> pairs(const rapidjson::Value& array) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& p : array.GetArray()) out.emplace_back(p[0].GetString(), p[1].GetString());
  return out;
}

TEST(SigV4, PublishedTestSuite) {
  const rapidjson::Document suite = load_suite();
  ASSERT_TRUE(suite.IsObject());
  const Credentials credentials{suite["credentials"]["access_key_id"].GetString(),
                                suite["credentials"]["secret_access_key"].GetString(), "", "test"};
  Signer signer(credentials, suite["region"].GetString(), suite["service"].GetString());
  int checked = 0;
  for (const auto& c : suite["cases"].GetArray()) {
    SignableRequest request;
    request.method = c["method"].GetString();
    request.path = c["path"].GetString();
    request.query = pairs(c["query"]);
    request.headers = pairs(c["headers"]);
    request.body = c["body"].GetString();
    EXPECT_EQ(signer.authorization(request), c["authorization"].GetString()) << c["name"].GetString();
    ++checked;
  }
  EXPECT_EQ(checked, 24);
}

TEST(SigV4, CanonicalRequestOfTheVanillaCase) {
  SignableRequest request;
  request.method = "GET";
  request.path = "/";
  request.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  std::string signed_headers;
  EXPECT_EQ(canonical_request(request, &signed_headers),
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(signed_headers, "host;x-amz-date");
}

// Signs `body` both ways and compares.
void expect_same_as_sdk(const std::string& body, const std::string& session_token,
                        const std::string& target) {
  const std::string date = "20261128T101500Z";
  const Credentials credentials{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                                session_token, "test"};
  Signer signer(credentials, "eu-west-1", "dynamodb");
  SignableRequest request;
  request.method = "POST";
  request.path = "/";
  request.headers = {{"host", "dynamodb.eu-west-1.amazonaws.com"},
                     {"content-type", "application/x-amz-json-1.0"},
                     {"x-amz-date", date},
                     {"x-amz-target", target}};
  if (!session_token.empty()) request.headers.emplace_back("x-amz-security-token", session_token);
  request.body = body;
  const std::string ours = signer.authorization(request);

  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  auto put = [&w](const char* k, const std::string& v) {
    w.Key(k);
    w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
  };
  put("method", "POST");
  put("host", "dynamodb.eu-west-1.amazonaws.com");
  put("path", "/");
  w.Key("headers");
  w.StartObject();
  for (std::size_t i = 1; i < request.headers.size(); ++i) put(request.headers[i].first.c_str(), request.headers[i].second);
  w.EndObject();
  put("body", body);
  put("region", "eu-west-1");
  put("service", "dynamodb");
  put("date", date);
  put("access_key_id", credentials.access_key_id);
  put("secret_access_key", credentials.secret_access_key);
  put("session_token", session_token);
  w.EndObject();
  testing::RunOptions options;
  options.stdin_data = buffer.GetString();
  const testing::RunResult sdk =
      testing::run({"/usr/bin/env", "node", testing::dynamo_harness_dir() + "/sign.js"}, options);
  ASSERT_EQ(sdk.exit_code, 0) << sdk.err;
  EXPECT_EQ(ours + "\n", sdk.out) << "body: " << body.substr(0, 200);
}

TEST(SigV4, MatchesTheAwsSdkOnDynamoRequests) {
  expect_same_as_sdk(R"({"TableName":"store-pageviews"})", "", "DynamoDB_20120810.DescribeTable");
  expect_same_as_sdk(
      R"({"RequestItems":{"store-pageviews":[{"PutRequest":{"Item":{"target":{"S":"/store/caf)"
      "\xc3\xa9"
      R"("},"timestamp":{"S":"1790000000.000000#00c0ffee00c0ffee"},"actor":{"S":"bob"}}}}]}})",
      "", "DynamoDB_20120810.BatchWriteItem");
  expect_same_as_sdk(R"({"TableName":"t","KeyConditionExpression":"#k = :k"})",
                     "FQoGZXIvYXdzEJr//////////wEaDOExampleSessionToken+/=", "DynamoDB_20120810.Query");
  expect_same_as_sdk(std::string(100'000, 'x'), "", "DynamoDB_20120810.BatchWriteItem");
}

}  // namespace
}  // namespace cctv::store::dynamodb
