// The public API on DynamoDB, against a real dynalite started for the test.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <set>

#include "cctv/cctv.h"
#include "store/dynamodb/aws_config.h"
#include "store/dynamodb/request_engine.h"
#include "support/pages.h"
#include "support/server_process.h"

namespace cctv {
namespace {

using std::chrono::seconds;

const Timestamp kT0 = parse_time("2026-11-01T10:00:00Z");

class DynamoTest : public ::testing::Test {
 protected:
  Client open(const ClientOptions& options = {}) {
    return Client::open(dynalite_.store("t-"), options);
  }

  // Talks to dynalite directly, as another tool (or the 2014 gem) would.
  std::string raw(const std::string& operation, const std::string& body) {
    DynamoOptions o;
    o.endpoint = dynalite_.url();
    store::dynamodb::RequestEngine engine(
        store::dynamodb::resolve_aws_config(o, store::dynamodb::process_environment()), {});
    const rapidjson::Document answer = engine.call(operation, body);
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    answer.Accept(writer);
    return buffer.GetString();
  }

  testing::Dynalite dynalite_;
};

TEST_F(DynamoTest, OriginalReadmeExampleByTargetAndByActor) {
  Client client = open();
  Tracker pageviews = client.tracker("store-pageviews");
  const ActivityId id = pageviews.record_activity(
      "bob", "/store/products/organic-goji-berries",
      {{"customer_status", "VIP"}, {"referred_by", "AdWords"}, {"browser", "Chrome"}}, kT0);
  pageviews.flush();
  const Page page = pageviews.view_activity("/store/products/organic-goji-berries");
  ASSERT_EQ(page.activities.size(), 1u);
  EXPECT_EQ(
      page.activities[0],
      (Activity{"bob",
                "/store/products/organic-goji-berries",
                kT0,
                id,
                {{"customer_status", "VIP"}, {"referred_by", "AdWords"}, {"browser", "Chrome"}}}));
  EXPECT_EQ(pageviews.view_actor_activity("bob").activities, page.activities);
  // Another client (a restart) sees the same.
  client.close();
  Client again = open();
  EXPECT_EQ(again.tracker("store-pageviews")
                .view_activity("/store/products/organic-goji-berries")
                .activities,
            page.activities);
}

TEST_F(DynamoTest, TablesCreateDescribeDrop) {
  Client client = open();
  EXPECT_TRUE(client.tables().empty());
  client.create_table("logins");
  EXPECT_THROW(client.create_table("logins"), AlreadyExists);
  client.tracker("store-pageviews");
  EXPECT_EQ(client.tables(), (std::vector<std::string>{"logins", "store-pageviews"}));
  const TableInfo info = client.describe_table("logins");
  EXPECT_TRUE(info.has_actor_index);
  std::map<std::string, std::string> details(info.details.begin(), info.details.end());
  EXPECT_EQ(details["DynamoDB table"], "t-logins");
  EXPECT_EQ(details["key schema"], "target HASH, timestamp RANGE");
  EXPECT_EQ(details["indexes"], "actor-index (actor HASH, timestamp RANGE, projection ALL)");
  EXPECT_EQ(details["billing"], "PAY_PER_REQUEST");
  EXPECT_FALSE(details["time to live"].empty());
  EXPECT_NE(details["where"].find(dynalite_.url()), std::string::npos);
  client.drop_table("logins");
  EXPECT_EQ(client.tables(), std::vector<std::string>{"store-pageviews"});
  EXPECT_THROW(client.describe_table("logins"), NotFound);
  EXPECT_THROW(client.drop_table("logins"), NotFound);
}

TEST_F(DynamoTest, ProvisionedBilling) {
  Client client = Client::open(dynalite_.store("p-") + "&billing=provisioned&rcu=7&wcu=3");
  client.create_table("events");
  std::map<std::string, std::string> details;
  for (const auto& [k, v] : client.describe_table("events").details) details[k] = v;
  EXPECT_EQ(details["billing"], "PROVISIONED (7 RCU, 3 WCU)");
}

TEST_F(DynamoTest, MissingTableErrorSaysWhereAndHowToCreateIt) {
  ClientOptions options;
  options.create_tables = false;
  Client client = open(options);
  try {
    client.tracker("events");
    FAIL();
  } catch (const NotFound& e) {
    const std::string what = e.what();
    for (const std::string& part :
         {std::string("'events'"), std::string("t-events"), std::string("region local"),
          dynalite_.url(), std::string("tables create events")}) {
      EXPECT_NE(what.find(part), std::string::npos) << part << " missing from: " << what;
    }
  }
}

TEST_F(DynamoTest, TenThousandActivitiesInOneMicrosecondAreAllKept) {
  Client client = open();
  Tracker t = client.tracker("store-pageviews");
  for (int i = 0; i < 10'000; ++i)
    t.record_activity("user" + std::to_string(i), "/store", {{"n", i}}, kT0);
  t.flush();
  ViewOptions options;
  options.limit = 10'000;
  const Page page = t.view_activity("/store", {}, options);
  ASSERT_EQ(page.activities.size(), 10'000u);
  EXPECT_TRUE(page.next_cursor.empty());
  std::set<std::int64_t> seen;
  for (const auto& a : page.activities) seen.insert(find(a.attributes, "n")->as_int());
  EXPECT_EQ(seen.size(), 10'000u);
}

TEST_F(DynamoTest, PagingReturnsEachActivityOnceInOrder) {
  Client client = open();
  Tracker t = client.tracker("events");
  for (int i = 0; i < 3000; ++i) {
    t.record_activity("bob", "/store", {{"i", i}}, kT0 + Microseconds((i / 7) * 1000));
  }
  t.flush();
  for (bool by_actor : {false, true}) {
    for (Order order : {Order::kNewestFirst, Order::kOldestFirst}) {
      const auto got = testing::all_pages(t, by_actor, by_actor ? "bob" : "/store",
                                          testing::pages_of(250, order));
      ASSERT_EQ(got.size(), 3000u);
      std::set<ActivityId> ids;
      for (std::size_t k = 0; k < got.size(); ++k) {
        EXPECT_TRUE(ids.insert(got[k].id).second);
        if (k == 0) continue;
        const auto& a = order == Order::kNewestFirst ? got[k] : got[k - 1];
        const auto& b = order == Order::kNewestFirst ? got[k - 1] : got[k];
        ASSERT_TRUE(a.time < b.time || (a.time == b.time && a.id < b.id))
            << "out of order at " << k;
      }
    }
  }
  // Ranges are half-open, as on the embedded store.
  const TimeRange range =
      TimeRange::between(kT0 + seconds(0) + Microseconds(100'000), kT0 + Microseconds(200'000));
  ViewOptions options;
  options.limit = 10'000;
  EXPECT_EQ(t.view_activity("/store", range, options).activities.size(), 700u);
}

TEST_F(DynamoTest, AttributesRoundTrip) {
  Client client = open();
  Tracker t = client.tracker("events");
  const Attributes attributes = {{"s", "caf\xc3\xa9"},
                                 {"i", INT64_MIN},
                                 {"d", 0.1},
                                 {"b", false},
                                 {"n", nullptr},
                                 {"l", List{1, "x", List{}}},
                                 {"m", Map{{"z", 1}, {"a", Map{{"deep", true}}}}},
                                 {"empty", ""}};
  t.record_activity("alice", "/x", attributes, kT0);
  // What DynamoDB's number type cannot keep apart (documented):
  t.record_activity("alice", "/y", {{"whole", 2.0}}, kT0);
  t.flush();
  EXPECT_EQ(t.view_activity("/x").activities.at(0).attributes, attributes);
  EXPECT_EQ(t.view_activity("/y").activities.at(0).attributes, (Attributes{{"whole", 2}}));
}

TEST_F(DynamoTest, TheGemsTablesStayReadable) {
  // A table as the 2014 gem made it: no actor-index, whole-second
  // timestamps, attributes at the top level.
  raw("CreateTable", R"({"TableName":"t-my-app-pageviews",
      "AttributeDefinitions":[{"AttributeName":"target","AttributeType":"S"},
                              {"AttributeName":"timestamp","AttributeType":"S"}],
      "KeySchema":[{"AttributeName":"target","KeyType":"HASH"},
                   {"AttributeName":"timestamp","KeyType":"RANGE"}],
      "ProvisionedThroughput":{"ReadCapacityUnits":5,"WriteCapacityUnits":5}})");
  raw("PutItem", R"({"TableName":"t-my-app-pageviews","Item":{"target":{"S":"/store"},
      "timestamp":{"S":"1411702475"},"actor":{"S":"bob"},"browser":{"S":"Chrome"}}})");
  raw("PutItem", R"({"TableName":"t-my-app-pageviews","Item":{"target":{"S":"/store"},
      "timestamp":{"S":"1411702476"},"actor":{"S":"alice"},"customer_status":{"S":"VIP"}}})");

  Client client = open();
  Tracker t = client.tracker("my-app-pageviews");
  // New activities go in beside the old ones and sort with them by time.
  t.record_activity("carol", "/store", {}, parse_time("1411702475") + Microseconds(500'000));
  t.flush();
  const Page page = t.view_activity("/store");
  ASSERT_EQ(page.activities.size(), 3u);
  EXPECT_EQ(page.activities[0].actor, "alice");
  EXPECT_EQ(page.activities[0].time, parse_time("1411702476"));
  EXPECT_EQ(page.activities[0].attributes, (Attributes{{"customer_status", "VIP"}}));
  EXPECT_EQ(page.activities[1].actor, "carol");
  EXPECT_EQ(page.activities[2].actor, "bob");
  EXPECT_EQ(page.activities[2].attributes, (Attributes{{"browser", "Chrome"}}));
  // Old items get ids derived from their key: the same on every read.
  EXPECT_EQ(t.view_activity("/store").activities[2].id, page.activities[2].id);
  // Paging works across both forms.
  std::vector<std::string> actors;
  for (const auto& a : testing::all_pages(t, false, "/store", testing::pages_of(1)))
    actors.push_back(a.actor);
  EXPECT_EQ(actors, (std::vector<std::string>{"alice", "carol", "bob"}));
  // No actor-index: a clear error that says how to add it.
  try {
    t.view_actor_activity("bob");
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("has no actor-index"), std::string::npos) << e.what();
    EXPECT_NE(
        std::string(e.what()).find("aws dynamodb update-table --table-name t-my-app-pageviews"),
        std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(client.describe_table("my-app-pageviews").has_actor_index);

  // Counts: the gem kept none. Recording makes the counts table; a rebuild
  // counts what the gem wrote.
  const TimeRange day{parse_time("2014-09-26T00:00:00Z"), parse_time("2014-09-27T00:00:00Z")};
  EXPECT_EQ(t.count_activity("/store", day, Bucket::kDay).at(0).count, 1);  // carol
  t.rebuild_counts(day);
  EXPECT_EQ(t.count_activity("/store", day, Bucket::kDay).at(0).count, 3);
  EXPECT_EQ(t.top_targets(day), (std::vector<TargetCount>{{"/store", 3}}));
}

TEST_F(DynamoTest, RetentionWritesExpiresAtAndHidesWhatExpired) {
  const Timestamp t0 = parse_time("2026-06-01T00:00:00Z");
  ClientOptions options;
  options.clock = [&] { return t0 + std::chrono::hours(24 * 10); };
  Client client = open(options);
  TableOptions kept;
  kept.retention = std::chrono::hours(24 * 7);
  client.create_table("events", kept);
  Tracker t = client.tracker("events");
  for (int d = 0; d < 10; ++d)
    t.record_activity("a", "/x", {}, t0 + std::chrono::hours(24 * d + 1));
  t.flush();
  // DynamoDB's TTL attribute: the activity's time plus the retention.
  rapidjson::Document doc;
  doc.Parse(raw("Scan", R"({"TableName":"t-events"})").c_str());
  ASSERT_EQ(doc["Items"].Size(), 10u);
  for (const auto& item : doc["Items"].GetArray()) {
    const std::string timestamp = item["timestamp"]["S"].GetString();
    const std::int64_t time_s = std::stoll(timestamp.substr(0, 10));
    EXPECT_EQ(std::stoll(item["expires_at"]["N"].GetString()), time_s + 7 * 86400) << timestamp;
  }
  // Views hide what expired although dynalite (no TTL) still holds it.
  EXPECT_EQ(t.view_activity("/x", {t0, t0 + std::chrono::hours(240)}).activities.size(), 7u);
  // The activities read back without expires_at among their attributes.
  EXPECT_TRUE(t.view_activity("/x").activities.at(0).attributes.empty());
  const auto details = client.describe_table("events").details;
  EXPECT_NE(std::find(details.begin(), details.end(),
                      std::pair<std::string, std::string>{"activities kept", "7 days"}),
            details.end());
  // Applying retention deletes what expired.
  client.apply_retention("events");
  doc.Parse(raw("Scan", R"({"TableName":"t-events"})").c_str());
  EXPECT_EQ(doc["Items"].Size(), 7u);
  // A table named like a counts table is refused.
  EXPECT_THROW(client.create_table("events.counts"), InvalidArgument);
  EXPECT_EQ(client.tables(), (std::vector<std::string>{"events"}));
}

TEST_F(DynamoTest, ATableWithAnotherKeySchemaIsRefused) {
  raw("CreateTable", R"({"TableName":"t-users",
      "AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],
      "KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"})");
  Client client = open();
  try {
    client.tracker("users");
    FAIL();
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("has the key schema (id HASH), not cctv's"),
              std::string::npos)
        << e.what();
  }
  const std::string scan = raw("Scan", R"({"TableName":"t-users"})");
  EXPECT_NE(scan.find("\"Items\":[]"), std::string::npos) << scan;
}

TEST_F(DynamoTest, RecordingTheSameActivityTwiceStoresItOnce) {
  Client client = open();
  Tracker t = client.tracker("events");
  const Activity a{"bob", "/store", kT0, 0x1234, {{"browser", "Chrome"}}};
  t.record(a);
  t.record(a);  // in the same batch: BatchWriteItem refuses duplicate keys
  t.flush();
  t.record(a);
  t.flush();
  std::size_t n = 0;
  t.for_each_activity({}, [&n](const Activity&) { ++n; });
  EXPECT_EQ(n, 1u);
}

TEST_F(DynamoTest, ATrackerOutlivingADropCreatesItsTableAgain) {
  Client client = open();
  Tracker t = client.tracker("events");
  t.record_activity("bob", "/x");
  t.flush();
  client.drop_table("events");
  EXPECT_THROW(t.view_activity("/x"), NotFound);
  t.record_activity("bob", "/x");
  t.flush();
  EXPECT_EQ(t.view_activity("/x").activities.size(), 1u);
  // Counted in the counts table made again (the writer declares into it).
  std::int64_t counted = 0;
  for (const BucketCount& b :
       t.count_activity("/x", TimeRange::last(std::chrono::hours(48)), Bucket::kDay))
    counted += b.count;
  EXPECT_EQ(counted, 1);
}

TEST_F(DynamoTest, ForEachActivityFiltersByTime) {
  Client client = open();
  Tracker t = client.tracker("events");
  for (int s = 0; s < 100; ++s)
    t.record_activity("u" + std::to_string(s % 7), "/t" + std::to_string(s % 9), {},
                      kT0 + seconds(s));
  t.flush();
  std::size_t n = 0;
  t.for_each_activity(TimeRange::between(kT0 + seconds(10), kT0 + seconds(30)),
                      [&n](const Activity& a) {
                        EXPECT_GE(a.time, kT0 + seconds(10));
                        EXPECT_LT(a.time, kT0 + seconds(30));
                        ++n;
                      });
  EXPECT_EQ(n, 20u);
}

TEST_F(DynamoTest, AnUnreachableEndpointIsAClearError) {
  Client client = Client::open("dynamodb://local?endpoint=http://127.0.0.1:1");
  try {
    client.tables();
    FAIL();
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("http://127.0.0.1:1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("right and reachable"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cctv

namespace cctv {
namespace {

const StoreRequestMetrics* operation(const Metrics& m, const std::string& name) {
  for (const StoreRequestMetrics& r : m.store_requests) {
    if (r.operation == name) return &r;
  }
  return nullptr;
}

TEST(DynamoMetrics, RequestsAndCapacityAreCountedByOperation) {
  testing::Dynalite dynalite;
  // Counts per target: their writes are UpdateItems, so that
  // BatchWriteItem holds the activities alone.
  Client client = Client::open(dynalite.store("m-") + "&counts_layout=per_target");
  Tracker t = client.tracker("events");
  for (int i = 0; i < 100; ++i) {
    t.record_activity("bob", "/p" + std::to_string(i % 10), {{"i", i}},
                      parse_time("2026-11-01T10:00:00Z") + Microseconds(i));
  }
  t.flush();
  EXPECT_EQ(t.view_activity("/p1").activities.size(), 10u);
  const Metrics m = client.metrics();
  const StoreRequestMetrics* writes = operation(m, "BatchWriteItem");
  ASSERT_NE(writes, nullptr);
  EXPECT_GE(writes->requests, 4u);  // 25 items a request
  // Each item is under 1 KB: one unit, and one more for its copy in the
  // actor index (which dynalite does not report, so cctv counts it).
  EXPECT_DOUBLE_EQ(writes->write_units, 200);
  EXPECT_EQ(writes->read_units, 0);
  const StoreRequestMetrics* queries = operation(m, "Query");
  ASSERT_NE(queries, nullptr);
  EXPECT_GE(queries->requests, 1u);
  EXPECT_GT(queries->read_units, 0);
  ASSERT_NE(operation(m, "DescribeTable"), nullptr);
  EXPECT_EQ(operation(m, "DescribeTable")->read_units + operation(m, "DescribeTable")->write_units,
            0);
  // Counts are written to their own table and counted as such.
  ASSERT_NE(operation(m, "UpdateItem"), nullptr);
  EXPECT_GT(operation(m, "UpdateItem")->write_units, 0);
}

}  // namespace
}  // namespace cctv
