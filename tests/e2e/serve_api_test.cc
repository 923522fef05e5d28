// `cctv serve`'s routes over real loopback HTTP: what each answers, and
// that bad input gets a 4xx that says what is wrong, never a 500.
#include <set>

#include "cctv/json.h"
#include "e2e/serve.h"

namespace cctv::testing {
namespace {

TEST_F(ServeTest, RecordsOneActivityAnArrayAndNdjsonAndViewsThem) {
  auto server = serve();
  HttpConnection c(server->port());

  HttpReply r = c.request("POST", "/v1/pageviews/activities",
                          R"({"actor":"bob","target":"/store","time":"2026-11-01T10:00:00Z","attributes":{"browser":"Chrome"}})",
                          {{"Content-Type", "application/json"}});
  ASSERT_EQ(r.status, 202) << r.body;
  Value v = body(r);
  EXPECT_EQ(v.find("accepted")->as_int(), 1);
  ASSERT_EQ(v.find("ids")->as_list().size(), 1u);
  const std::string first_id = v.find("ids")->as_list()[0].as_string();

  r = c.request("POST", "/v1/pageviews/activities",
                R"([{"actor":"amy","target":"/store","time":"2026-11-01T10:01:00Z"},
                    {"actor":"bob","target":"/cart","time":"2026-11-01T10:02:00Z"}])");
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(body(r).find("accepted")->as_int(), 2);

  r = c.request("POST", "/v1/pageviews/activities",
                "{\"actor\":\"cy\",\"target\":\"/store\",\"time\":\"2026-11-01T10:03:00Z\"}\n\n"
                "{\"actor\":\"bob\",\"target\":\"/store\",\"time\":\"2026-11-01T10:04:00Z\"}\n",
                {{"Content-Type", "application/x-ndjson"}});
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(body(r).find("accepted")->as_int(), 2);

  // The view shape is `cctv view --format json`'s, newest first.
  const List store = wait_for_activities(server->port(), "pageviews", "target=/store", 4);
  ASSERT_EQ(store.size(), 4u);
  EXPECT_EQ(store[0].find("actor")->as_string(), "bob");
  EXPECT_EQ(store[0].find("time")->as_string(), "2026-11-01T10:04:00.000000Z");
  EXPECT_EQ(store[3].find("id")->as_string(), first_id);
  EXPECT_EQ(store[3].find("attributes")->find("browser")->as_string(), "Chrome");

  const List bob = wait_for_activities(server->port(), "pageviews", "actor=bob", 3);
  ASSERT_EQ(bob.size(), 3u);
  EXPECT_EQ(bob[1].find("target")->as_string(), "/cart");

  // Paging: limit, order and the cursor walk every activity once.
  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    r = c.request("GET", "/v1/pageviews/activities?target=%2Fstore&limit=3&order=oldest" +
                             (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(r.status, 200) << r.body;
    v = body(r);
    for (const auto& a : v.find("activities")->as_list()) EXPECT_TRUE(seen.insert(a.find("id")->as_string()).second);
    cursor = v.find("next_cursor")->is_null() ? "" : v.find("next_cursor")->as_string();
    ++pages;
  } while (!cursor.empty());
  EXPECT_EQ(seen.size(), 4u);
  EXPECT_EQ(pages, 2);

  // A time range.
  r = c.request("GET", "/v1/pageviews/activities?target=/store&from=2026-11-01T10:01:00Z&to=2026-11-01T10:04:00Z");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(body(r).find("activities")->as_list().size(), 2u);
}

TEST_F(ServeTest, SomeInvalidItemsAreReportedByIndexAndAtomicRecordsNone) {
  auto server = serve();
  HttpConnection c(server->port());
  HttpReply r = c.request("POST", "/v1/things/activities",
                          R"([{"actor":"a","target":"/ok1"},{"actor":"","target":"/x"},{"target":"/y"},
                              {"actor":"b","target":"/ok2","attributes":{"actor":"reserved"}},{"actor":"c","target":"/ok3"}, 7])");
  ASSERT_EQ(r.status, 400) << r.body;
  Value v = body(r);
  EXPECT_EQ(v.find("accepted")->as_int(), 2);
  EXPECT_EQ(v.find("ids")->as_list().size(), 2u);
  const List& errors = v.find("errors")->as_list();
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_EQ(errors[0].find("index")->as_int(), 1);
  EXPECT_NE(errors[0].find("error")->as_string().find("actor"), std::string::npos);
  EXPECT_EQ(errors[1].find("index")->as_int(), 2);
  EXPECT_NE(errors[1].find("error")->as_string().find("actor"), std::string::npos);
  EXPECT_EQ(errors[2].find("index")->as_int(), 3);
  EXPECT_NE(errors[2].find("error")->as_string().find("reserved"), std::string::npos);
  EXPECT_EQ(errors[3].find("index")->as_int(), 5);
  EXPECT_EQ(wait_for_activities(server->port(), "things", "target=/ok1", 1).size(), 1u);
  EXPECT_EQ(wait_for_activities(server->port(), "things", "target=/ok3", 1).size(), 1u);

  r = c.request("POST", "/v1/things/activities?atomic=true",
                R"([{"actor":"a","target":"/atomic"},{"actor":"b","target":""}])");
  ASSERT_EQ(r.status, 400) << r.body;
  v = body(r);
  EXPECT_EQ(v.find("accepted")->as_int(), 0);
  EXPECT_EQ(v.find("errors")->as_list()[0].find("index")->as_int(), 1);
  // What a valid write after it shows is in place: the atomic batch left nothing.
  r = c.request("POST", "/v1/things/activities", R"({"actor":"z","target":"/after"})");
  ASSERT_EQ(r.status, 202);
  EXPECT_EQ(wait_for_activities(server->port(), "things", "target=/after", 1).size(), 1u);
  r = c.request("GET", "/v1/things/activities?target=/atomic");
  EXPECT_EQ(body(r).find("activities")->as_list().size(), 0u);

  // A request that records nothing makes no table.
  r = c.request("POST", "/v1/never-made/activities", R"([{"actor":"","target":"/x"}])");
  EXPECT_EQ(r.status, 400);
  r = c.request("POST", "/v1/never-made/activities?atomic=true", R"([{"actor":"a","target":"/x"},{"actor":""}])");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(c.request("GET", "/v1/tables").body, R"({"tables":["things"]})" "\n");
}

TEST_F(ServeTest, BadInputGetsAClear400) {
  auto server = serve();
  HttpConnection c(server->port());
  ASSERT_EQ(c.request("POST", "/v1/things/activities", R"({"actor":"a","target":"/x"})").status, 202);
  const std::vector<std::pair<std::string, std::string>> bad_posts = {
      {"", "empty"},
      {"[]", "empty array"},
      {"{\"actor\":\"a\",\"target\":\"/x\"", "ends inside"},
      {"[{\"actor\":\"a\",\"target\":\"/x\"} {\"actor\":\"b\"}]", "comma"},
      {"{\"actor\":\"a\",\"target\":\"/x\"} trailing", "more than one"},
  };
  for (const auto& [payload, expected] : bad_posts) {
    const HttpReply r = c.request("POST", "/v1/things/activities", payload);
    EXPECT_EQ(r.status, 400) << payload;
    EXPECT_NE(body(r).find("error")->as_string().find(expected), std::string::npos) << r.body;
  }
  // A single malformed object is one bad item.
  HttpReply r = c.request("POST", "/v1/things/activities", "{\"actor\":1,\"target\":\"/x\"}");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(body(r).find("errors")->as_list()[0].find("index")->as_int(), 0);

  const std::vector<std::pair<std::string, std::string>> bad_gets = {
      {"/v1/things/activities?order=oldest", "order"},
      {"/v1/things/activities?target=/x&actor=a", "target"},
      {"/v1/things/activities?target=/x&limit=0", "limit"},
      {"/v1/things/activities?target=/x&limit=10001", "limit"},
      {"/v1/things/activities?target=/x&order=sideways", "order"},
      {"/v1/things/activities?target=/x&from=2026-11-02&to=2026-11-01", "from"},
      {"/v1/things/activities?target=/x&from=yesterday-ish", "from"},
      {"/v1/things/activities?target=/x&cursor=garbage", "cursor"},
      {"/v1/things/activities?target=/x&colour=red", "colour"},
      {"/v1/things/activities?target=/x&target=/y", "twice"},
      {"/v1/things/activities?target=%zz", "escape"},
      {"/v1/things/counts?bucket=week", "bucket"},
      {"/v1/things/counts?bucket=day&utc_offset=+25:00", "utc_offset"},
      {"/v1/things/counts?bucket=minute&from=2000-01-01", "range"},
      {"/v1/things/top?limit=none", "limit"},
      {"/v1/bad%20name/activities?target=/x", "table name"},
  };
  for (const auto& [target, expected] : bad_gets) {
    r = c.request("GET", target);
    EXPECT_EQ(r.status, 400) << target << " -> " << r.body;
    EXPECT_NE(r.body.find(expected), std::string::npos) << target << " -> " << r.body;
  }
  r = c.request("POST", "/v1/tables", "{\"name\":\"ok-name\",\"retention\":\"ninety days\"}");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("retention"), std::string::npos);
  r = c.request("POST", "/v1/tables", "{\"name\":\"no\"}");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("table name"), std::string::npos) << r.body;
  r = c.request("POST", "/v1/tables", "[1]");
  EXPECT_EQ(r.status, 400);
  // Still serving.
  EXPECT_EQ(c.request("GET", "/healthz").status, 200);
}

// The numbers that crashed the server through its JSON parser, and keys
// given twice: answered item by item, and the server keeps serving.
TEST_F(ServeTest, HostileNumbersAndRepeatedKeysAreAnsweredNotCrashed) {
  auto server = serve();
  HttpConnection c(server->port());
  const std::string zeros = "0." + std::string(400, '0');
  const std::string body =
      R"({"actor":"a","target":"/u","attributes":{"x":)" + zeros + "}}\n" +
      R"({"actor":"a","target":"/u","time":)" + zeros + "}\n" +
      R"({"actor":"a","target":"/u","other":)" + zeros + "}\n" +
      R"({"actor":"a","target":"/u","attributes":{"n":99999999999999999999999999}})"
      "\n" +
      R"({"actor":"a","target":"/u","attributes":{"n":-9223372036854775809}})"
      "\n" +
      R"({"actor":"a","actor":"b","target":"/u"})"
      "\n" +
      R"({"actor":"a","target":"/u","attributes":{"e":0.0000000001e-2147483639}})";
  const HttpReply r =
      c.request("POST", "/v1/things/activities", body, {{"Content-Type", "application/x-ndjson"}});
  ASSERT_EQ(r.status, 400) << r.body;
  const Value answer = ServeTest::body(r);
  EXPECT_EQ(answer.find("accepted")->as_int(), 2);  // the zeros in an attribute and in time
  const List& errors = answer.find("errors")->as_list();
  ASSERT_EQ(errors.size(), 5u) << r.body;
  std::vector<std::int64_t> indexes;
  for (const Value& e : errors) indexes.push_back(e.find("index")->as_int());
  EXPECT_EQ(indexes, (std::vector<std::int64_t>{2, 3, 4, 5, 6}));
  EXPECT_NE(errors[1].find("error")->as_string().find("64-bit signed range"), std::string::npos);
  EXPECT_NE(errors[2].find("error")->as_string().find("64-bit signed range"), std::string::npos);
  EXPECT_NE(errors[3].find("error")->as_string().find("'actor' appears more than once"),
            std::string::npos);
  EXPECT_EQ(c.request("GET", "/healthz").status, 200);
  const List stored = wait_for_activities(server->port(), "things", "target=/u", 2);
  ASSERT_EQ(stored.size(), 2u);
}

TEST_F(ServeTest, UnknownRoutesAre404AndWrongMethods405) {
  auto server = serve();
  HttpConnection c(server->port());
  HttpReply r = c.request("GET", "/v2/anything");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(body(r).find("error")->as_string().find("/v2/anything"), std::string::npos);
  r = c.request("PUT", "/v1/things/activities", "{}");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("allow"), "POST, GET");
  r = c.request("PATCH", "/v1/tables");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("allow"), "GET, POST");
  // Two routes match this path (a table named "tables", or table "activities"): each method once.
  r = c.request("PUT", "/v1/tables/activities");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("allow"), "POST, GET, PATCH, DELETE");
  r = c.request("GET", "/v1/missing-table/activities?target=/x");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("missing-table"), std::string::npos);
  r = c.request("GET", "/v1/missing-table/counts");
  EXPECT_EQ(r.status, 404);
  // Reading never creates a table.
  r = c.request("GET", "/v1/tables");
  EXPECT_EQ(body(r).find("tables")->as_list().size(), 0u);
}

TEST_F(ServeTest, TablesAreListedCreatedDescribedAndDropped) {
  auto server = serve();
  HttpConnection c(server->port());
  HttpReply r = c.request("POST", "/v1/tables", R"({"name":"logins","retention":"90d","counts_retention":"1y"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(body(r).find("name")->as_string(), "logins");
  EXPECT_EQ(body(r).find("retention_s")->as_int(), 90 * 86400);
  EXPECT_EQ(c.request("POST", "/v1/tables", R"({"name":"logins"})").status, 409);
  ASSERT_EQ(c.request("POST", "/v1/pageviews/activities", R"({"actor":"a","target":"/x"})").status, 202);
  r = c.request("GET", "/v1/tables");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"tables":["logins","pageviews"]})" "\n");
  r = c.request("GET", "/v1/tables/logins");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(body(r).find("counts_retention_s")->as_int(), 365 * 86400);
  EXPECT_EQ(c.request("GET", "/v1/tables/nope-table").status, 404);
  r = c.request("DELETE", "/v1/tables/pageviews");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(c.request("GET", "/v1/tables/pageviews").status, 404);
  EXPECT_EQ(c.request("DELETE", "/v1/tables/pageviews").status, 404);
  EXPECT_EQ(c.request("GET", "/v1/tables").body, R"({"tables":["logins"]})" "\n");
  // Written to again, it is made again, empty.
  ASSERT_EQ(c.request("POST", "/v1/pageviews/activities", R"({"actor":"b","target":"/y"})").status, 202);
  EXPECT_EQ(wait_for_activities(server->port(), "pageviews", "target=/y", 1).size(), 1u);
  EXPECT_EQ(c.request("GET", "/v1/pageviews/activities?target=/x").body, R"({"activities":[],"next_cursor":null})" "\n");
}

// A table's retention changes over PATCH (the settings not given stay), and
// ?apply=true removes what it expired at once.
TEST_F(ServeTest, TablesChangeTheirRetention) {
  auto server = serve();
  HttpConnection c(server->port());
  ASSERT_EQ(c.request("POST", "/v1/tables", R"({"name":"logins","counts_retention":"1y"})").status, 201);
  ASSERT_EQ(c.request("POST", "/v1/logins/activities",
                      R"([{"actor":"a","target":"/old","time":"-60d"},{"actor":"b","target":"/new"}])")
                .status,
            202);
  HttpReply r = c.request("PATCH", "/v1/tables/logins?apply=true", R"({"retention":"30d"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body(r).find("retention_s")->as_int(), 30 * 86400);
  EXPECT_EQ(body(r).find("counts_retention_s")->as_int(), 365 * 86400) << "changed, not given";
  EXPECT_EQ(c.request("GET", "/v1/logins/activities?target=/old").body,
            R"({"activities":[],"next_cursor":null})" "\n");
  EXPECT_EQ(c.request("PATCH", "/v1/tables/logins", R"({"retention":"forever"})").status, 200);
  EXPECT_EQ(body(c.request("GET", "/v1/tables/logins")).find("retention_s")->as_int(), 0);
  r = c.request("PATCH", "/v1/tables/logins", R"({"name":"other"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("name: is not a setting that changes"), std::string::npos) << r.body;
  EXPECT_EQ(c.request("PATCH", "/v1/tables/logins", R"({"retention":"soon"})").status, 400);
  EXPECT_EQ(c.request("PATCH", "/v1/tables/logins", "[]").status, 400);
  EXPECT_EQ(c.request("PATCH", "/v1/tables/nope-table", R"({"retention":"1d"})").status, 404);
}

// Without target or actor, a view pages through the whole table, target by
// target; /unique counts distinct actors over a range; counts rebuild.
TEST_F(ServeTest, WholeTableViewsUniqueActorsAndRebuild) {
  auto server = serve();
  HttpConnection c(server->port());
  std::string ndjson;
  for (int i = 0; i < 250; ++i) {
    ndjson += R"({"actor":"u)" + std::to_string(i % 9) + R"(","target":"/t)" + std::to_string(i % 7) +
              R"(","time":"2026-11-01T10:00:00Z","attributes":{"i":)" + std::to_string(i) + "}}\n";
  }
  ASSERT_EQ(c.request("POST", "/v1/pvs/activities", ndjson, {{"Content-Type", "application/x-ndjson"}})
                .status,
            202);
  std::set<std::int64_t> seen;
  std::string cursor;
  int pages = 0;
  do {
    const HttpReply r = c.request("GET", "/v1/pvs/activities?limit=40" +
                                             (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(r.status, 200) << r.body;
    const Value page = body(r);
    for (const Value& a : page.find("activities")->as_list())
      EXPECT_TRUE(seen.insert(a.find("attributes")->find("i")->as_int()).second);
    cursor = page.find("next_cursor")->is_null() ? "" : page.find("next_cursor")->as_string();
    ASSERT_LT(++pages, 50);
  } while (!cursor.empty());
  EXPECT_EQ(seen.size(), 250u);
  EXPECT_EQ(c.request("GET", "/v1/pvs/activities?order=oldest").status, 400);
  EXPECT_EQ(c.request("GET", "/v1/pvs/activities?target=/t1&actor=u1").status, 400);

  const std::string day = "from=2026-11-01&to=2026-11-02";
  HttpReply r = c.request("GET", "/v1/pvs/unique?" + day);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body(r).find("unique_actors")->as_int(), 9);
  EXPECT_EQ(body(c.request("GET", "/v1/pvs/unique?target=/t0&" + day)).find("unique_actors")->as_int(),
            9);
  EXPECT_EQ(c.request("GET", "/v1/nope-table/unique").status, 404);
  EXPECT_EQ(c.request("GET", "/v1/pvs/unique?bucket=hour").status, 400);

  r = c.request("POST", "/v1/pvs/counts/rebuild?" + day);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body(c.request("GET", "/v1/pvs/counts?bucket=day&" + day)).find("series")->as_list()[0]
                .find("count")
                ->as_int(),
            250);
  EXPECT_EQ(c.request("POST", "/v1/pvs/counts/rebuild").status, 400);
}

TEST_F(ServeTest, WithoutAutoCreateWritesNeedAnExistingTable) {
  auto server = serve({"--no-auto-create"});
  HttpConnection c(server->port());
  HttpReply r = c.request("POST", "/v1/orders/activities", R"({"actor":"a","target":"/x"})");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("--no-auto-create"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("POST /v1/tables"), std::string::npos) << r.body;
  EXPECT_EQ(c.request("GET", "/v1/tables").body, R"({"tables":[]})" "\n");
  ASSERT_EQ(c.request("POST", "/v1/tables", R"({"name":"orders"})").status, 201);
  r = c.request("POST", "/v1/orders/activities", R"({"actor":"a","target":"/x"})");
  EXPECT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(wait_for_activities(server->port(), "orders", "target=/x", 1).size(), 1u);
}

// A count or top right after a POST's 202 includes its activities, round
// after round, while the counts writer's own rounds come once a second.
TEST_F(ServeTest, CountsAndTopReadTheirWrites) {
  auto server = serve();
  HttpConnection c(server->port());
  for (int round = 1; round <= 30; ++round) {
    ASSERT_EQ(c.request("POST", "/v1/pvs/activities",
                        R"({"actor":"u)" + std::to_string(round) + R"(","target":"/r"})")
                  .status,
              202);
    const Value counts = value_from_json(
        c.request("GET", "/v1/pvs/counts?target=/r&bucket=day&from=-1d&to=%2B1d&unique=true").body);
    std::int64_t counted = 0, unique = 0;
    for (const Value& bucket : counts.find("series")->as_list()) {
      counted += bucket.find("count")->as_int();
      unique = std::max(unique, bucket.find("unique_actors")->as_int());
    }
    ASSERT_EQ(counted, round) << "a count after the 202 missed activities";
    ASSERT_NEAR(unique, round, 1);  // an estimate, exact or nearly at this size
    const Value top = value_from_json(c.request("GET", "/v1/pvs/top?from=-1h&to=%2B1h").body);
    ASSERT_EQ(top.find("targets")->as_list().at(0).find("count")->as_int(), round);
  }
}

TEST_F(ServeTest, CountsAndTopAnswerFromTheCounts) {
  auto server = serve();
  HttpConnection c(server->port());
  std::string ndjson;
  // 10:00-10:59: /a five times (three actors), /b twice; 11:00: /a once.
  const char* actors[] = {"u1", "u2", "u3", "u1", "u2"};
  for (int i = 0; i < 5; ++i) {
    ndjson += std::string("{\"actor\":\"") + actors[i] + "\",\"target\":\"/a\",\"time\":\"2026-11-01T10:0" +
              std::to_string(i) + ":00Z\"}\n";
  }
  ndjson += "{\"actor\":\"u9\",\"target\":\"/b\",\"time\":\"2026-11-01T10:30:00Z\"}\n";
  ndjson += "{\"actor\":\"u9\",\"target\":\"/b\",\"time\":\"2026-11-01T10:31:00Z\"}\n";
  ndjson += "{\"actor\":\"u1\",\"target\":\"/a\",\"time\":\"2026-11-01T11:00:00Z\"}\n";
  ASSERT_EQ(c.request("POST", "/v1/pvs/activities", ndjson, {{"Content-Type", "application/x-ndjson"}}).status, 202);
  // Counts read their writes: what was acknowledged is counted at once.
  const std::string range = "&from=2026-11-01T10:00:00Z&to=2026-11-01T12:00:00Z";
  HttpReply r = c.request("GET", "/v1/pvs/counts?target=/a&bucket=hour&unique=true" + range);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body,
            R"({"bucket":"hour","series":[{"start":"2026-11-01T10:00:00Z","count":5,"unique_actors":3},)"
            R"({"start":"2026-11-01T11:00:00Z","count":1,"unique_actors":1}]})" "\n");
  r = c.request("GET", "/v1/pvs/counts?bucket=day" + range);
  EXPECT_EQ(r.body, R"({"bucket":"day","series":[{"start":"2026-11-01T00:00:00Z","count":8}]})" "\n");
  r = c.request("GET", "/v1/pvs/top?from=2026-11-01T10:00:00Z&to=2026-11-01T11:00:00Z&limit=5");
  EXPECT_EQ(r.body, R"({"targets":[{"target":"/a","count":5},{"target":"/b","count":2}]})" "\n");
  r = c.request("GET", "/v1/pvs/top?from=2026-11-01T10:00:00Z&to=2026-11-01T12:00:00Z&limit=1");
  EXPECT_EQ(r.body, R"({"targets":[{"target":"/a","count":6}]})" "\n");
}

TEST_F(ServeTest, HealthAndMetrics) {
  auto server = serve();
  HttpConnection c(server->port());
  const HttpReply health = c.request("GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  const Value h = body(health);
  EXPECT_EQ(h.find("status")->as_string(), "ok");
  EXPECT_GT(h.find("free_bytes")->as_int(), 0);
  EXPECT_GT(h.find("free_bytes_floor")->as_int(), 0);
  EXPECT_EQ(h.find("problem"), nullptr);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(c.request("POST", "/v1/met/activities", R"({"actor":"a","target":"/x"})").status, 202);
  }
  ASSERT_EQ(c.request("POST", "/v1/met/activities", R"({"actor":"","target":"/x"})").status, 400);
  wait_for_activities(server->port(), "met", "target=/x", 3);
  const HttpReply r = c.request("GET", "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.header("content-type").find("text/plain"), std::string::npos);
  const std::string& m = r.body;
  EXPECT_NE(
      m.find("cctv_http_requests_total{route=\"POST /v1/{table}/activities\",status=\"202\"} 3\n"),
      std::string::npos)
      << m;
  EXPECT_NE(
      m.find("cctv_http_requests_total{route=\"POST /v1/{table}/activities\",status=\"400\"} 1\n"),
      std::string::npos);
  EXPECT_NE(m.find("cctv_http_request_duration_seconds_bucket{route=\"POST "
                   "/v1/{table}/activities\",le=\"+Inf\"} 4\n"),
            std::string::npos);
  EXPECT_NE(m.find("cctv_activities_accepted_total 3\n"), std::string::npos);
  EXPECT_NE(m.find("cctv_activities_written_total 3\n"), std::string::npos);
  EXPECT_NE(m.find("cctv_activities_failed_total 0\n"), std::string::npos);
  EXPECT_NE(m.find("cctv_ingest_queue_depth 0\n"), std::string::npos);
  EXPECT_NE(m.find("cctv_store_writable 1\n"), std::string::npos) << m;
  EXPECT_NE(m.find("cctv_store_free_bytes "), std::string::npos) << m;
  EXPECT_NE(m.find("cctv_store_free_bytes_floor "), std::string::npos) << m;
  EXPECT_NE(m.find("\ncctv_http_connections "), std::string::npos);
  EXPECT_NE(m.find("# TYPE cctv_store_batch_duration_seconds histogram"), std::string::npos);
  // The embedded store sends no requests to count.
  EXPECT_EQ(m.find("cctv_store_requests_total"), std::string::npos);
}

}  // namespace
}  // namespace cctv::testing
