// Writes and reads through a proxy that injects what DynamoDB does under
// load -- UnprocessedItems, throttling, 500 and 503, connections dropped
// before and after the request was applied -- lose and duplicate nothing.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "cctv/cctv.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

namespace cctv {
namespace {

using std::chrono::seconds;

const Timestamp kT0 = parse_time("2026-11-01T10:00:00Z");

std::int64_t stat(const testing::FaultProxy& proxy, const char* name) {
  rapidjson::Document doc;
  doc.Parse(proxy.stats().c_str());
  return doc[name].GetInt64();
}

// Records `n` activities through `proxy` (store URI parameters `more`,
// "&name=value..."), then checks directly on dynalite that exactly those
// are stored, once each.
void record_through(const testing::Dynalite& dynalite, const testing::FaultProxy& proxy, int n,
                    const std::string& more = "") {
  std::set<ActivityId> accepted;
  {
    Client client = Client::open(proxy.store("f-") + more);
    Tracker t = client.tracker("events");
    for (int i = 0; i < n; ++i) {
      accepted.insert(t.record_activity("user" + std::to_string(i % 37),
                                        "/page/" + std::to_string(i % 11), {{"i", i}},
                                        kT0 + Microseconds(i)));
    }
    t.flush();
    // Views through the faults retry too.
    ViewOptions options;
    options.limit = 50;
    for (int k = 0; k < 20; ++k) {
      EXPECT_EQ(t.view_activity("/page/" + std::to_string(k % 11), {}, options).activities.size(),
                50u);
    }
  }
  Client direct = Client::open(dynalite.store("f-"));
  std::multiset<ActivityId> stored;
  direct.tracker("events").for_each_activity({}, [&](const Activity& a) { stored.insert(a.id); });
  EXPECT_EQ(stored.size(), accepted.size()) << "lost or duplicated activities";
  EXPECT_EQ(std::set<ActivityId>(stored.begin(), stored.end()), accepted);
}

TEST(DynamoFaults, UnprocessedItemsAreResent) {
  testing::Dynalite dynalite;
  testing::FaultProxy proxy(dynalite.port(), {"--unprocessed", "0.6", "--seed", "1"});
  record_through(dynalite, proxy, 3000);
  EXPECT_GT(stat(proxy, "unprocessed_items"), 100);
}

TEST(DynamoFaults, ThrottlingIsRetried) {
  testing::Dynalite dynalite;
  testing::FaultProxy proxy(dynalite.port(), {"--throttle", "0.3", "--seed", "2"});
  record_through(dynalite, proxy, 3000);
  EXPECT_GT(stat(proxy, "throttle"), 10);
}

TEST(DynamoFaults, StalledRequestsAreAbandonedAndSentAgain) {
  // A request that is never answered costs its time limit, then goes again;
  // without the limit the first stall would hang the write for good.
  testing::Dynalite dynalite;
  testing::FaultProxy proxy(dynalite.port(), {"--stall", "0.03", "--seed", "6"});
  record_through(dynalite, proxy, 2000, "&timeout_ms=300");
  EXPECT_GT(stat(proxy, "stall"), 2);
}

TEST(DynamoFaults, ServerErrorsAreRetried) {
  testing::Dynalite dynalite;
  testing::FaultProxy proxy(dynalite.port(),
                            {"--http500", "0.15", "--http503", "0.15", "--seed", "3"});
  record_through(dynalite, proxy, 3000);
  EXPECT_GT(stat(proxy, "http500"), 5);
  EXPECT_GT(stat(proxy, "http503"), 5);
}

TEST(DynamoFaults, DroppedConnectionsAreRetriedWithoutDuplicates) {
  testing::Dynalite dynalite;
  testing::FaultProxy proxy(dynalite.port(),
                            {"--drop-before", "0.15", "--drop-after", "0.15", "--seed", "4"});
  record_through(dynalite, proxy, 3000);
  EXPECT_GT(stat(proxy, "drop_before"), 5);
  EXPECT_GT(stat(proxy, "drop_after"), 5);  // applied, unanswered, sent again
}

TEST(DynamoFaults, CountsStayExactWhenAnswersAreLost) {
  // A count update applied whose answer was lost is sent again: it must
  // not add twice. Nor may throttling or 500s lose an update.
  testing::Dynalite dynalite;
  testing::FaultProxy proxy(dynalite.port(), {"--drop-after", "0.2", "--throttle", "0.1",
                                              "--http500", "0.05", "--seed", "8"});
  const TimeRange day{kT0 - std::chrono::hours(10), kT0 + std::chrono::hours(14)};
  std::map<std::string, std::int64_t> truth;
  {
    Client client = Client::open(proxy.store("c-"));
    Tracker t = client.tracker("events");
    for (int i = 0; i < 2000; ++i) {
      const std::string target = "/page/" + std::to_string(i % 7);
      t.record_activity("user" + std::to_string(i % 101), target, {}, kT0 + seconds(i * 7));
      ++truth[target];
    }
    t.flush();
  }
  EXPECT_GT(stat(proxy, "drop_after"), 5);
  Client direct = Client::open(dynalite.store("c-"));
  Tracker t = direct.tracker("events");
  EXPECT_EQ(t.count_activity(day, Bucket::kDay).at(0).count, 2000);
  for (const auto& [target, n] : truth) {
    std::int64_t sum = 0;
    for (const auto& p : t.count_activity(target, day, Bucket::kHour)) sum += p.count;
    EXPECT_EQ(sum, n) << target;
  }
  EXPECT_EQ(t.count_unique_actors(day, Bucket::kDay).at(0).count, 101);
  EXPECT_EQ(t.top_targets(day, 1).at(0), (TargetCount{"/page/0", truth["/page/0"]}));
}

TEST(DynamoFaults, CountsOfActivitiesWithIdsStayExactWhenAnswersAreLostAndOnReimport) {
  // An activity that comes with its id (an import, the HTTP API) may be
  // stored already, so it is written conditionally and counted only if it
  // was new. A conditional write applied whose answer was lost must still
  // count once when it is sent again; the same activities imported again
  // must count nothing.
  testing::Dynalite dynalite;
  testing::FaultProxy proxy(dynalite.port(),
                            {"--drop-after", "0.2", "--http500", "0.05", "--seed", "9"});
  const TimeRange day{kT0 - std::chrono::hours(10), kT0 + std::chrono::hours(14)};
  std::vector<Activity> activities;
  for (int i = 0; i < 1500; ++i) {
    activities.push_back(Activity{"user" + std::to_string(i % 101), "/page/" + std::to_string(i % 7),
                                  kT0 + seconds(i * 7), static_cast<ActivityId>(1'000'000 + i), {}});
  }
  for (int round = 0; round < 2; ++round) {
    Client client = Client::open(proxy.store("i-"));
    Tracker t = client.tracker("events");
    for (const Activity& a : activities) t.record(a);
    t.flush();
  }
  EXPECT_GT(stat(proxy, "drop_after"), 5);
  Client direct = Client::open(dynalite.store("i-"));
  Tracker t = direct.tracker("events");
  std::size_t stored = 0;
  t.for_each_activity({}, [&](const Activity&) { ++stored; });
  EXPECT_EQ(stored, activities.size());
  EXPECT_EQ(t.count_activity(day, Bucket::kDay).at(0).count, 1500);
  EXPECT_EQ(t.view_activity("/page/3").activities.at(0).attributes, Attributes{})
      << "cctv's own marks are no attributes of the activity";
}

TEST(DynamoFaults, RefusedCredentialsLoseNoActivity) {
  // Credentials that expire mid-stream (and are renewed): the writes DynamoDB
  // refused for them are sent again, not dropped.
  testing::Dynalite dynalite;
  testing::FaultProxy proxy(dynalite.port(), {"--reject", "ExpiredTokenException", "--reject-op",
                                              "BatchWriteItem", "--reject-count", "4"});
  std::set<ActivityId> accepted;
  {
    Client client = Client::open(proxy.store("e-"));
    Tracker t = client.tracker("events");
    for (int i = 0; i < 300; ++i) {
      accepted.insert(
          t.record_activity("user" + std::to_string(i % 7), "/p", {}, kT0 + Microseconds(i)));
    }
    t.flush();
    EXPECT_EQ(t.count_activity({kT0, kT0 + seconds(60)}, Bucket::kMinute).at(0).count, 300);
  }
  EXPECT_EQ(stat(proxy, "rejected"), 4);
  Client direct = Client::open(dynalite.store("e-"));
  std::set<ActivityId> stored;
  direct.tracker("events").for_each_activity({}, [&](const Activity& a) { stored.insert(a.id); });
  EXPECT_EQ(stored, accepted);
}

TEST(DynamoFaults, RenewedCredentialsArePickedUpWithoutARestart) {
  // Keys in the shared credentials file expire and are replaced while a
  // tracker writes: it finds the new ones and loses nothing.
  testing::TempDir dir;
  const std::string file = dir.file("credentials");
  auto write_keys = [&](const std::string& key_id) {
    std::ofstream(file) << "[default]\naws_access_key_id = " << key_id
                        << "\naws_secret_access_key = secret-of-" << key_id << "\n";
  };
  write_keys("AKIAOLDOLDOLDOLDOLD1");
  ::setenv("AWS_SHARED_CREDENTIALS_FILE", file.c_str(), 1);
  testing::Dynalite dynalite;
  testing::FaultProxy proxy(dynalite.port(),
                            {"--reject", "ExpiredTokenException", "--reject-op", "BatchWriteItem",
                             "--reject-key", "AKIAOLDOLDOLDOLDOLD1"});
  std::set<ActivityId> accepted;
  {
    Client client = Client::open(proxy.store("r-"));
    Tracker t = client.tracker("events");
    for (int i = 0; i < 100; ++i)
      accepted.insert(t.record_activity("u", "/p", {}, kT0 + Microseconds(i)));
    std::thread renew([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      write_keys("AKIANEWNEWNEWNEWNEW2");
    });
    t.flush();
    renew.join();
  }
  ::unsetenv("AWS_SHARED_CREDENTIALS_FILE");
  EXPECT_GT(stat(proxy, "rejected"), 0);
  Client direct = Client::open(dynalite.store("r-"));
  std::set<ActivityId> stored;
  direct.tracker("events").for_each_activity({}, [&](const Activity& a) { stored.insert(a.id); });
  EXPECT_EQ(stored, accepted);
}

TEST(DynamoFaults, EverythingAtOnce) {
  testing::Dynalite dynalite;
  testing::FaultProxy proxy(
      dynalite.port(),
      {"--unprocessed", "0.2", "--throttle", "0.1", "--http500", "0.05", "--http503", "0.05",
       "--drop-before", "0.05", "--drop-after", "0.05", "--seed", "5"});
  record_through(dynalite, proxy, 5000);
  // Each fault met at least once, so the activities above came through all
  // of them together.
  for (const char* fault :
       {"unprocessed", "throttle", "http500", "http503", "drop_before", "drop_after"}) {
    EXPECT_GT(stat(proxy, fault), 0) << fault;
  }
}

// DeleteTable is not idempotent: its retry, after an answer lost once the
// table was deleted, finds nothing to delete -- which is what was asked.
TEST(DynamoFaults, ADropWhoseAnswerWasLostSucceeds) {
  testing::Dynalite dynalite;
  testing::FaultProxy proxy(
      dynalite.port(), {"--fault-op", "DeleteTable", "--drop-after", "1", "--fault-count", "1"});
  Client client = Client::open(proxy.store("f-"));
  Tracker t = client.tracker("gone");
  t.record_activity("ann", "/a", {}, kT0);
  t.flush();
  EXPECT_NO_THROW(client.drop_table("gone"));
  EXPECT_EQ(stat(proxy, "drop_after"), 1) << "no answer was lost";
  EXPECT_TRUE(client.tables().empty());
  EXPECT_THROW(client.drop_table("gone"), NotFound) << "a table that is not there is still said";
}

TEST(DynamoFaults, ValidationErrorsAreNotRetried) {
  testing::Dynalite dynalite;
  testing::FaultProxy proxy(dynalite.port(), {"--reject", "ValidationException"});
  Client client = Client::open(proxy.store("f-"));
  try {
    client.tables();
    FAIL();
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("ListTables"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("ValidationException: injected"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(stat(proxy, "requests"), 1);
}

TEST(DynamoFaults, CredentialErrorsSayWhereTheCredentialsCameFrom) {
  testing::Dynalite dynalite;
  testing::FaultProxy proxy(dynalite.port(), {"--reject", "UnrecognizedClientException"});
  DynamoOptions options;
  options.endpoint = proxy.url();
  options.access_key_id = "AKIAIOSFODNN7EXAMPLE";
  options.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  Client client = Client::open(options);
  try {
    client.tracker("events");
    FAIL();
  } catch (const StoreError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("UnrecognizedClientException"), std::string::npos) << what;
    EXPECT_NE(what.find("credentials from DynamoOptions"), std::string::npos) << what;
    EXPECT_NE(what.find("AKIA...MPLE"), std::string::npos) << what;
    EXPECT_EQ(what.find("wJalrXUtnFEMI"), std::string::npos) << "a secret in a message: " << what;
    EXPECT_EQ(what.find("AKIAIOSFODNN7EXAMPLE"), std::string::npos) << what;
  }
  EXPECT_EQ(stat(proxy, "requests"), 1);
}

}  // namespace
}  // namespace cctv

namespace cctv {
namespace {

TEST(DynamoFaults, ARefusedItemIsReportedAndItsNeighboursAreWritten) {
  testing::Dynalite dynalite;
  testing::FaultProxy proxy(dynalite.port(), {"--reject-marker", "POISON"});
  Client client = Client::open(proxy.store("f-"));
  Tracker t = client.tracker("events");
  for (int i = 0; i < 100; ++i) {
    t.record_activity("bob", "/x", {{"i", i}, {"note", i == 42 ? "POISON" : "fine"}},
                      parse_time("2026-11-01T10:00:00Z") + Microseconds(i));
  }
  try {
    t.flush();
    FAIL() << "a refused activity went unreported";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("1 activities were not written: the store refused them"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("ValidationException"), std::string::npos) << e.what();
  }
  t.flush();  // reported once; nothing else outstanding
  std::set<std::int64_t> stored;
  Client::open(dynalite.store("f-"))
      .tracker("events")
      .for_each_activity(
          {}, [&](const Activity& a) { stored.insert(find(a.attributes, "i")->as_int()); });
  EXPECT_EQ(stored.size(), 99u);
  EXPECT_EQ(stored.count(42), 0u);
  // Four requests of 25, then the refused one's 25 one by one: no retries.
  EXPECT_LE(stat(proxy, "rejected"), 2);
}

TEST(DynamoFaults, RefusedWritesFailAFlushAtOnce) {
  testing::Dynalite dynalite;
  Client setup = Client::open(dynalite.store("f-"));
  setup.create_table("events");
  testing::FaultProxy proxy(dynalite.port(), {"--reject-marker", "RequestItems"});
  Client client = Client::open(proxy.store("f-"));
  Tracker t = client.tracker("events");
  for (int i = 0; i < 10; ++i) t.record_activity("bob", "/x");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(t.flush(), StoreError);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30))
      << "a refused write was retried as if it could succeed";
}

}  // namespace
}  // namespace cctv
