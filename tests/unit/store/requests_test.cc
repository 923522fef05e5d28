#include "store/dynamodb/requests.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

namespace cctv::store::dynamodb {
namespace {

rapidjson::Document parsed(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  EXPECT_FALSE(doc.HasParseError()) << body;
  return doc;
}

TEST(Requests, AQueryNamesItsPartsAndEscapesItsValues) {
  QueryRequest q;
  q.table = "t-events";
  q.index = "actor-index";
  q.key_condition = {
      "#k = :k AND #ts BETWEEN :lo AND :hi",
      {{"#k", "actor"}, {"#ts", "timestamp"}},
      {{":k", Attr::s("bob \"the\" \\ builder\n")}, {":lo", Attr::s("0")}, {":hi", Attr::s("9")}}};
  q.forward = false;
  q.limit = 101;
  const std::string start = R"({"timestamp":{"S":"5"},"actor":{"S":"bob"},"target":{"S":"/x"}})";
  q.start_after = start;
  const rapidjson::Document doc = parsed(q.body());
  EXPECT_STREQ(doc["TableName"].GetString(), "t-events");
  EXPECT_STREQ(doc["IndexName"].GetString(), "actor-index");
  EXPECT_FALSE(doc.HasMember("ConsistentRead"));  // an index cannot be read consistently
  EXPECT_FALSE(doc["ScanIndexForward"].GetBool());
  EXPECT_EQ(doc["Limit"].GetUint64(), 101u);
  EXPECT_STREQ(doc["ExpressionAttributeNames"]["#k"].GetString(), "actor");
  EXPECT_STREQ(doc["ExpressionAttributeValues"][":k"]["S"].GetString(), "bob \"the\" \\ builder\n");
  EXPECT_STREQ(doc["ExclusiveStartKey"]["target"]["S"].GetString(), "/x");
}

TEST(Requests, AnUpdateSharesOnePlaceholderListBetweenItsExpressions) {
  UpdateItemRequest u;
  u.table = "c";
  u.key = {{"key", Attr::s("h#/x")}, {"start", Attr::n(3600)}};
  u.update = {"SET #e = :e", {{"#e", "expires_at"}}, {{":e", Attr::n(99)}}};
  u.condition = {"attribute_exists(#k) AND #e < :e", {{"#k", "key"}, {"#e", "expires_at"}}, {}};
  EXPECT_EQ(
      u.body(),
      R"({"TableName":"c","Key":{"key":{"S":"h#/x"},"start":{"N":"3600"}},)"
      R"("UpdateExpression":"SET #e = :e","ConditionExpression":"attribute_exists(#k) AND #e < :e",)"
      R"("ExpressionAttributeNames":{"#e":"expires_at","#k":"key"},)"
      R"("ExpressionAttributeValues":{":e":{"N":"99"}}})");
}

TEST(Requests, AConditionalDeleteNamesItsKeyAndCondition) {
  DeleteItemRequest d;
  d.table = "c";
  d.key = {{"key", Attr::s("z#")}, {"start", Attr::n(64)}};
  d.condition = {"attribute_not_exists(#w) OR #w <= :w", {{"#w", "w"}}, {{":w", Attr::n(7)}}};
  EXPECT_EQ(d.body(), R"({"TableName":"c","Key":{"key":{"S":"z#"},"start":{"N":"64"}},)"
                      R"("ConditionExpression":"attribute_not_exists(#w) OR #w <= :w",)"
                      R"("ExpressionAttributeNames":{"#w":"w"},)"
                      R"("ExpressionAttributeValues":{":w":{"N":"7"}}})");
}

TEST(Requests, ABatchWriteGroupsItsWritesByTableInOrder) {
  BatchWriteRequest b;
  b.writes = {{"a", R"({"k":{"S":"1"}})", {}},
              {"b", R"({"k":{"S":"2"}})", {}},
              {"a", {}, R"({"k":{"S":"3"}})"}};
  EXPECT_EQ(b.body(), R"({"RequestItems":{"a":[{"PutRequest":{"Item":{"k":{"S":"1"}}}},)"
                      R"({"DeleteRequest":{"Key":{"k":{"S":"3"}}}}],)"
                      R"("b":[{"PutRequest":{"Item":{"k":{"S":"2"}}}}]}})");
  // Runs of one table, the same names in other strings.
  const std::string a1 = "a", a2 = "a", b1 = "b";
  b.writes = {{a1, R"({"k":{"S":"1"}})", {}},
              {a2, R"({"k":{"S":"2"}})", {}},
              {b1, R"({"k":{"S":"3"}})", {}},
              {a1, R"({"k":{"S":"4"}})", {}}};
  EXPECT_EQ(b.body(), R"({"RequestItems":{"a":[{"PutRequest":{"Item":{"k":{"S":"1"}}}},)"
                      R"({"PutRequest":{"Item":{"k":{"S":"2"}}}},)"
                      R"({"PutRequest":{"Item":{"k":{"S":"4"}}}}],)"
                      R"("b":[{"PutRequest":{"Item":{"k":{"S":"3"}}}}]}})");
}

TEST(Requests, ACreatedTableHasItsKeysIndexAndBilling) {
  CreateTableRequest c;
  c.table = "t";
  c.key = {"target", "timestamp"};
  c.attributes = {{"target", 'S'}, {"timestamp", 'S'}, {"actor", 'S'}};
  c.index = {"actor-index", KeySchema{"actor", "timestamp"}};
  c.provisioned = true;
  c.read_capacity = 5;
  c.write_capacity = 7;
  const rapidjson::Document doc = parsed(c.body());
  EXPECT_STREQ(doc["KeySchema"][0]["AttributeName"].GetString(), "target");
  EXPECT_STREQ(doc["KeySchema"][1]["KeyType"].GetString(), "RANGE");
  EXPECT_EQ(doc["AttributeDefinitions"].Size(), 3u);
  EXPECT_STREQ(doc["GlobalSecondaryIndexes"][0]["Projection"]["ProjectionType"].GetString(), "ALL");
  EXPECT_EQ(
      doc["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]["WriteCapacityUnits"].GetInt(), 7);
  EXPECT_STREQ(doc["BillingMode"].GetString(), "PROVISIONED");
  c.provisioned = false;
  const rapidjson::Document on_demand = parsed(c.body());
  EXPECT_STREQ(on_demand["BillingMode"].GetString(), "PAY_PER_REQUEST");
  EXPECT_FALSE(on_demand.HasMember("ProvisionedThroughput"));
}

TEST(Requests, ABatchGetNamesItsTableKeysAndConsistency) {
  BatchGetRequest get{"c", {{{"key", Attr::s("o#1#2")}, {"start", Attr::n(0)}}}, false};
  EXPECT_EQ(get.body(),
            R"({"RequestItems":{"c":{"Keys":[{"key":{"S":"o#1#2"},"start":{"N":"0"}}]}}})");
  get.consistent = true;
  EXPECT_NE(get.body().find(R"("ConsistentRead":true)"), std::string::npos);
  EXPECT_EQ((attrs_json({{"b", Attr::b(std::string("\0\xff", 2))}, {"ns", Attr::ns({3, -1})}})),
            R"({"b":{"B":"AP8="},"ns":{"NS":["3","-1"]}})");
}

TEST(Requests, SmallRequests) {
  EXPECT_EQ(TableRequest{"t"}.body(), R"({"TableName":"t"})");
  EXPECT_EQ(ListTablesRequest{}.body(), "{}");
  EXPECT_EQ(ListTablesRequest{"t9"}.body(), R"({"ExclusiveStartTableName":"t9"})");
  EXPECT_EQ((UpdateTimeToLiveRequest{"t", "expires_at"}.body()),
            R"({"TableName":"t","TimeToLiveSpecification":)"
            R"({"AttributeName":"expires_at","Enabled":true}})");
  EXPECT_EQ(
      (GetItemRequest{"c", {{"key", Attr::s("meta")}, {"start", Attr::n(0)}}, true}.body()),
      R"({"TableName":"c","Key":{"key":{"S":"meta"},"start":{"N":"0"}},"ConsistentRead":true})");
  EXPECT_EQ((PutItemRequest{"c", R"({"k":{"S":"1"}})", {}}.body()),
            R"({"TableName":"c","Item":{"k":{"S":"1"}}})");
}

}  // namespace
}  // namespace cctv::store::dynamodb
