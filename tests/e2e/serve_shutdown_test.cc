// `cctv serve` under stress: a graceful stop loses nothing it answered
// 202, and a store that cannot keep up gets 503 with Retry-After.
#include <signal.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>

#include "e2e/serve.h"

namespace cctv::testing {
namespace {

TEST_F(ServeTest, SigtermLosesNoAcceptedActivity) {
  auto server = serve();
  const int port = server->port();
  constexpr int kWriters = 4;
  std::mutex mu;
  std::set<std::string> acknowledged;
  std::atomic<int> batches{0};
  std::vector<std::string> ended;  // how writers' connections ended; guarded by mu
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      try {
        HttpConnection c(port);
        for (int b = 0;; ++b) {
          std::string ndjson;
          for (int i = 0; i < 50; ++i) {
            ndjson += "{\"actor\":\"u" + std::to_string(i) + "\",\"target\":\"/w" +
                      std::to_string(w) + "\"}\n";
          }
          const HttpReply r = c.request("POST", "/v1/stress/activities", ndjson,
                                        {{"Content-Type", "application/x-ndjson"}});
          if (r.status != 202) {
            ADD_FAILURE() << "writer " << w << ": " << r.status << " " << r.body;
            break;
          }
          const Value reply = value_from_json(r.body);
          std::lock_guard lock(mu);
          for (const auto& id : reply.find("ids")->as_list()) acknowledged.insert(id.as_string());
          ++batches;
          if (!r.keep_alive) break;  // the server is stopping
        }
      } catch (const std::exception& e) {
        // The connection went away with the server: expected, once it stops.
        std::lock_guard lock(mu);
        ended.push_back(e.what());
      }
    });
  }
  for (int i = 0; i < 2000 && batches < 40; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (batches < 40) {
    for (auto& t : writers) t.join();
    FAIL() << "the writers stopped early: " << (ended.empty() ? "" : ended.front());
  }
  // Two signals, as an impatient operator sends them: the second must not
  // cut the final write short.
  kill(server->pid(), SIGTERM);
  std::string said;
  const int status = server->terminate(&said);
  for (auto& t : writers) t.join();
  EXPECT_EQ(status, 0) << said;
  EXPECT_NE(said.find("stopped"), std::string::npos) << said;

  // Everything answered 202 is in the store.
  ClientOptions read_only;
  read_only.read_only = true;
  Client client = Client::open(store_, read_only);
  Tracker tracker = client.tracker("stress");
  std::set<std::string> stored;
  for (int w = 0; w < kWriters; ++w) {
    ViewOptions options;
    options.limit = kMaxViewLimit;
    do {
      Page page = tracker.view_activity("/w" + std::to_string(w), TimeRange::all(), options);
      for (const auto& a : page.activities) stored.insert(format_id(a.id));
      options.cursor = page.next_cursor;
    } while (!options.cursor.empty());
  }
  ASSERT_GE(acknowledged.size(), 40u * 50);
  std::size_t missing = 0;
  for (const auto& id : acknowledged) missing += stored.count(id) == 0 ? 1 : 0;
  EXPECT_EQ(missing, 0u) << "of " << acknowledged.size() << " acknowledged";
  // And nothing was recorded that was not answered 202.
  EXPECT_EQ(stored.size(), acknowledged.size());
}

TEST(ServeDynamoTest, MetricsShowTheStoresRequestsAndCapacityByOperation) {
  Dynalite dynalite;
  ServerProcess server(
      {CCTV_BINARY, "--store", dynalite.store("pm-"), "serve", "--listen", "127.0.0.1:0"});
  HttpConnection c(server.port());
  ASSERT_EQ(
      c.request("POST", "/v1/met/activities?sync=true", R"({"actor":"a","target":"/x"})").status,
      202);
  const std::string m = c.request("GET", "/metrics").body;
  EXPECT_NE(m.find("# TYPE cctv_store_write_units_total counter"), std::string::npos) << m;
  // One item, under 1 KB: one unit, and one for its copy in the actor index.
  EXPECT_NE(m.find("cctv_store_write_units_total{operation=\"BatchWriteItem\"} 2\n"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("cctv_store_requests_total{operation=\"CreateTable\"} "), std::string::npos)
      << m;
  EXPECT_NE(m.find("cctv_store_request_throttles_total{operation=\"BatchWriteItem\"} 0\n"),
            std::string::npos)
      << m;
}

TEST(ServeDynamoTest, AStoreThatCannotKeepUpGets503WithRetryAfter) {
  Dynalite dynalite;
  // Every batch write is throttled: nothing is ever confirmed, the queue
  // fills and stays full.
  FaultProxy proxy(dynalite.port(), {"--reject", "ProvisionedThroughputExceededException",
                                     "--reject-op", "BatchWriteItem"});
  const std::string store = proxy.store("bp");
  {
    Client client = Client::open(store);
    client.create_table("slow");
  }
  ServerProcess server({CCTV_BINARY, "--store", store, "serve", "--listen", "127.0.0.1:0",
                        "--max-queued", "20", "--enqueue-timeout-ms", "0", "--ack-timeout", "2"});
  HttpConnection c(server.port());
  // A 202 means stored: none comes. The activities that went into the
  // queue are listed for sending again, with their ids, and the rest say
  // the queue was full.
  std::string ndjson;
  for (int i = 0; i < 50; ++i)
    ndjson += "{\"actor\":\"a\",\"target\":\"/t" + std::to_string(i) + "\"}\n";
  const auto start = std::chrono::steady_clock::now();
  HttpReply r =
      c.request("POST", "/v1/slow/activities", ndjson, {{"Content-Type", "application/x-ndjson"}});
  EXPECT_GE(std::chrono::steady_clock::now() - start,
            std::chrono::seconds(1));  // waited for the store
  ASSERT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.header("retry-after"), "1");
  Value v = value_from_json(r.body);
  EXPECT_EQ(v.find("accepted")->as_int(), 0);
  EXPECT_EQ(v.find("resume_from")->as_int(), 0);
  const List& resend = v.find("resend")->as_list();
  ASSERT_GT(resend.size(), 0u);
  ASSERT_LE(resend.size(), 50u);
  for (std::size_t i = 0; i < resend.size(); ++i) {
    EXPECT_EQ(resend[i].find("index")->as_int(), static_cast<std::int64_t>(i));
    EXPECT_EQ(resend[i].find("id")->as_string().size(), 16u);
  }
  EXPECT_NE(v.find("error")->as_string().find("--ack-timeout"), std::string::npos) << r.body;
  if (resend.size() < 50) {
    EXPECT_NE(
        v.find("error")->as_string().find("items " + std::to_string(resend.size()) + " and later"),
        std::string::npos)
        << r.body;
    EXPECT_NE(v.find("error")->as_string().find("--max-queued"), std::string::npos) << r.body;
  }
  // Once every writer holds a batch it keeps retrying, nothing drains: a
  // request meets the full queue at once and is refused, accepting nothing
  // (until then, some still go into the queue and wait as above).
  for (int attempt = 0; attempt < 30; ++attempt) {
    r = c.request("POST", "/v1/slow/activities", ndjson,
                  {{"Content-Type", "application/x-ndjson"}});
    ASSERT_EQ(r.status, 503) << r.body;
    v = value_from_json(r.body);
    if (v.find("resend") == nullptr) break;
  }
  EXPECT_EQ(v.find("resend"), nullptr) << r.body;
  EXPECT_EQ(v.find("accepted")->as_int(), 0);
  EXPECT_EQ(v.find("resume_from")->as_int(), 0);
  EXPECT_NE(v.find("error")->as_string().find("items 0 and later"), std::string::npos) << r.body;
  HttpReply one = c.request("POST", "/v1/slow/activities", R"({"actor":"b","target":"/x"})");
  EXPECT_EQ(one.status, 503) << one.body;
  EXPECT_EQ(one.header("retry-after"), "1");
  EXPECT_NE(one.body.find("the activity was not recorded"), std::string::npos) << one.body;
  EXPECT_EQ(c.request("GET", "/healthz").status, 200);
  const HttpReply metrics = c.request("GET", "/metrics");
  EXPECT_NE(metrics.body.find("cctv_ingest_queue_depth "), std::string::npos);
  EXPECT_NE(metrics.body.find(
                "cctv_http_requests_total{route=\"POST /v1/{table}/activities\",status=\"503\"} "),
            std::string::npos)
      << metrics.body;
}

// DynamoDB (dynalite behind a fault proxy) refusing its first `throttled`
// batch writes as throttled, with `table` made in it.
struct ThrottledStore {
  ThrottledStore(int throttled, const std::string& prefix, const std::string& table)
      : proxy(dynalite.port(), {"--reject", "ProvisionedThroughputExceededException", "--reject-op",
                                "BatchWriteItem", "--reject-count", std::to_string(throttled)}),
        uri(proxy.store(prefix)) {
    Client::open(uri).create_table(table);
  }
  Dynalite dynalite;
  FaultProxy proxy;
  std::string uri;
};

// A stop that cannot wait for a slow store any longer (--drain-timeout)
// answers the POSTs still waiting with what they would get at
// --ack-timeout -- what to send again -- rather than closing on them.
TEST(ServeDynamoTest, AStopPastItsDrainTimeAnswersWaitingPosts) {
  const ThrottledStore throttled(9, "st", "stop");
  const std::string& store = throttled.uri;
  ServerProcess server({CCTV_BINARY, "--store", store, "serve", "--listen", "127.0.0.1:0",
                        "--drain-timeout", "1", "--ack-timeout", "60"});
  HttpConnection c(server.port());
  c.send_raw(
      "POST /v1/stop/activities HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 28\r\n\r\n"
      R"({"actor":"a","target":"/xy"})");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // it waits for the store
  ASSERT_EQ(kill(server.pid(), SIGTERM), 0);
  const HttpReply r = c.read_reply(std::chrono::seconds(20));
  EXPECT_EQ(r.status, 503) << r.body;
  const Value v = value_from_json(r.body);
  ASSERT_NE(v.find("resend"), nullptr) << r.body;
  EXPECT_EQ(v.find("resend")->as_list().size(), 1u);
  std::string said;
  EXPECT_EQ(server.terminate(&said), 0) << said;  // and what it queued is written
  Client client = Client::open(store);
  std::size_t n = 0;
  client.tracker("stop").for_each_activity(TimeRange::all(), [&](const Activity&) { ++n; });
  EXPECT_EQ(n, 1u);
}

// A client whose store is the server (http://) sends again what a 503
// says was not stored -- from resume_from, each item with its id and time
// -- until the server takes it: every activity ends up stored, once,
// though the server's store was throttled and its queue full.
TEST(ServeDynamoTest, ARemoteStoreSendsAgainWhatA503ListsAndStoresItOnce) {
  const ThrottledStore throttled(12, "rr", "resent");
  ServerProcess server({CCTV_BINARY, "--store", throttled.uri, "serve", "--listen", "127.0.0.1:0",
                        "--max-queued", "40", "--enqueue-timeout-ms", "0", "--ack-timeout", "1"});
  constexpr int kActivities = 300;
  {
    Client client = Client::open(server.url());
    Tracker t = client.tracker("resent");
    for (int i = 0; i < kActivities; ++i)
      t.record_activity("a", "/t" + std::to_string(i % 9), {{"i", i}});
    t.flush();
  }
  const std::string metrics = http_request(server.port(), "GET", "/metrics").body;
  EXPECT_NE(metrics.find("route=\"POST /v1/{table}/activities\",status=\"503\""), std::string::npos)
      << "the server never answered 503: nothing was sent again";
  std::string said;
  EXPECT_EQ(server.terminate(&said), 0) << said;
  Client direct = Client::open(throttled.uri);
  std::set<std::int64_t> seen;
  std::size_t twice = 0;
  direct.tracker("resent").for_each_activity(TimeRange::all(), [&](const Activity& a) {
    if (!seen.insert(find(a.attributes, "i")->as_int()).second) ++twice;
  });
  EXPECT_EQ(twice, 0u);
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kActivities));
}

// Items a 503 lists in "resend", sent again with the id and time they were
// given there, are stored once, although the first ones were written too
// once the store recovered.
TEST(ServeDynamoTest, ItemsSentAgainFromResendAreStoredOnce) {
  // The first writes are throttled, then the store recovers.
  const ThrottledStore throttled(12, "rs", "resend");
  const std::string& store = throttled.uri;
  ServerProcess server(
      {CCTV_BINARY, "--store", store, "serve", "--listen", "127.0.0.1:0", "--ack-timeout", "1"});
  HttpConnection c(server.port());
  std::string ndjson;
  for (int i = 0; i < 20; ++i)
    ndjson += R"({"actor":"a","target":"/t)" + std::to_string(i) +
              R"("})"
              "\n";
  const HttpReply first = c.request("POST", "/v1/resend/activities", ndjson,
                                    {{"Content-Type", "application/x-ndjson"}});
  ASSERT_EQ(first.status, 503) << first.body;
  const Value answer = value_from_json(first.body);
  const List& resend = answer.find("resend")->as_list();
  ASSERT_EQ(resend.size(), 20u) << first.body;
  std::string again;
  for (const Value& r : resend) {
    const std::int64_t i = r.find("index")->as_int();
    again += R"({"actor":"a","target":"/t)" + std::to_string(i) + R"(","id":")" +
             r.find("id")->as_string() + R"(","time":")" + r.find("time")->as_string() + R"("})" +
             "\n";
  }
  HttpReply r;
  for (int attempt = 0; attempt < 30; ++attempt) {
    r = c.request("POST", "/v1/resend/activities", again,
                  {{"Content-Type", "application/x-ndjson"}});
    if (r.status == 202) break;
  }
  ASSERT_EQ(r.status, 202) << r.body;
  std::string said;
  EXPECT_EQ(server.terminate(&said), 0) << said;
  Client client = Client::open(store);
  std::map<std::string, int> stored;
  client.tracker("resend").for_each_activity(TimeRange::all(),
                                             [&](const Activity& a) { ++stored[a.target]; });
  EXPECT_EQ(stored.size(), 20u);
  for (const auto& [target, n] : stored) EXPECT_EQ(n, 1) << target << " stored " << n << " times";
}

}  // namespace
}  // namespace cctv::testing
