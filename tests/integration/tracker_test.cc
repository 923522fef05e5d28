// The public API on a real RocksDB in a temporary directory.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "cctv/cctv.h"
#include "support/temp_dir.h"

namespace cctv {
namespace {

using std::chrono::seconds;

const Timestamp kT0 = parse_time("2026-11-01T10:00:00Z");

std::size_t count_all(const Tracker& t) {
  std::size_t n = 0;
  t.for_each_activity(TimeRange::all(), [&n](const Activity&) { ++n; });
  return n;
}

TEST(Tracker, OriginalReadmeExample) {
  testing::TempDir dir;
  Client client = Client::open(dir.store());
  Tracker pageviews = client.tracker("store-pageviews");
  const Timestamp when = parse_time("1411702475");
  const ActivityId id = pageviews.record_activity(
      "bob", "/store/products/organic-goji-berries",
      {{"customer_status", "VIP"}, {"referred_by", "AdWords"}, {"browser", "Chrome"}}, when);
  pageviews.flush();

  const Page page = pageviews.view_activity("/store/products/organic-goji-berries");
  ASSERT_EQ(page.activities.size(), 1u);
  const Activity& a = page.activities[0];
  EXPECT_EQ(a.actor, "bob");
  EXPECT_EQ(a.target, "/store/products/organic-goji-berries");
  EXPECT_EQ(a.time, when);
  EXPECT_EQ(a.id, id);
  EXPECT_EQ(
      a.attributes,
      (Attributes{{"customer_status", "VIP"}, {"referred_by", "AdWords"}, {"browser", "Chrome"}}));
  EXPECT_TRUE(page.next_cursor.empty());

  const Page by_bob = pageviews.view_actor_activity("bob");
  ASSERT_EQ(by_bob.activities.size(), 1u);
  EXPECT_EQ(by_bob.activities[0], a);
}

TEST(Tracker, AttributesRoundTripExactlyAcrossReopen) {
  testing::TempDir dir;
  const Attributes attributes = {
      {"s", "caf\xc3\xa9"},
      {"i", INT64_MIN},
      {"d", 1.0},
      {"neg0", -0.0},
      {"b", false},
      {"n", nullptr},
      {"l", List{1, "x", List{}}},
      {"m", Map{{"z", 1}, {"a", Map{{"deep", true}}}}},
  };
  {
    Client client = Client::open(dir.store());
    client.tracker("events").record_activity("alice", "/x", attributes, kT0);
  }  // closing flushes
  Client client = Client::open(dir.store());
  const Page page = client.tracker("events").view_activity("/x");
  ASSERT_EQ(page.activities.size(), 1u);
  EXPECT_EQ(page.activities[0].attributes, attributes);
  EXPECT_TRUE(find(page.activities[0].attributes, "d")->is_double());
}

TEST(Tracker, TenThousandActivitiesInOneMicrosecondAreAllKept) {
  // The 2014 gem keyed items by (target, second) and kept one of these.
  testing::TempDir dir;
  Client client = Client::open(dir.store());
  Tracker t = client.tracker("store-pageviews");
  for (int i = 0; i < 10'000; ++i) {
    t.record_activity("user" + std::to_string(i), "/store", {{"n", i}}, kT0);
  }
  t.flush();
  ViewOptions options;
  options.limit = 10'000;
  const Page page = t.view_activity("/store", TimeRange::all(), options);
  ASSERT_EQ(page.activities.size(), 10'000u);
  EXPECT_TRUE(page.next_cursor.empty());
  std::vector<std::int64_t> seen;
  for (const auto& a : page.activities) {
    EXPECT_EQ(a.time, kT0);
    seen.push_back(find(a.attributes, "n")->as_int());
  }
  std::sort(seen.begin(), seen.end());
  for (int i = 0; i < 10'000; ++i) ASSERT_EQ(seen[static_cast<std::size_t>(i)], i);
  // Recorded by one thread: the same microsecond keeps recording order.
  EXPECT_EQ(find(page.activities.front().attributes, "n")->as_int(), 9999);
  EXPECT_EQ(find(page.activities.back().attributes, "n")->as_int(), 0);
}

TEST(Tracker, RecordingTheSameActivityTwiceStoresItOnce) {
  testing::TempDir dir;
  Client client = Client::open(dir.store());
  Tracker t = client.tracker("events");
  Activity a{"bob", "/store", kT0, 0x1234, {{"browser", "Chrome"}}};
  EXPECT_EQ(t.record(a), 0x1234u);
  EXPECT_EQ(t.record(a), 0x1234u);
  t.flush();
  EXPECT_EQ(t.record(a), 0x1234u);  // also after it was written
  t.flush();
  EXPECT_EQ(count_all(t), 1u);
  EXPECT_EQ(t.view_actor_activity("bob").activities.size(), 1u);
  a.id = kNoId;  // no id: a new activity
  EXPECT_NE(t.record(a), 0x1234u);
  t.flush();
  EXPECT_EQ(count_all(t), 2u);
}

// What a client recorded is in its views once wait_visible() returns,
// whether or not the writer thread had reached it.
TEST(Tracker, WaitVisibleShowsEverythingRecordedBeforeIt) {
  testing::TempDir dir;
  Client client = Client::open(dir.store());
  Tracker tracker = client.tracker("visible");
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 2000; ++i) tracker.record_activity("amy", "/page");
    tracker.wait_visible();
    ViewOptions options;
    options.limit = 10'000;
    EXPECT_EQ(tracker.view_activity("/page", {}, options).activities.size(), 2000u * (round + 1));
  }
  tracker.wait_visible();  // nothing queued: returns at once
}

// A series without a start or an end runs up to now and back the bucket's
// default span, as `cctv count` and the HTTP API do.
TEST(Tracker, ASeriesWithOpenEndsCoversTheBucketsDefaultSpanUpToNow) {
  testing::TempDir dir;
  Client client = Client::open(dir.store());
  Tracker tracker = client.tracker("series");
  tracker.record_activity("amy", "/now");
  tracker.flush();
  const Series hours = tracker.count_activity("/now", {}, Bucket::kHour);
  ASSERT_GE(hours.size(), 24u);
  ASSERT_LE(hours.size(), 25u);
  EXPECT_EQ(hours.back().count, 1);
  const Series days =
      tracker.count_unique_actors(TimeRange::since(now() - std::chrono::hours(1)), Bucket::kDay);
  ASSERT_FALSE(days.empty());
  EXPECT_EQ(days.back().count, 1);
  const Series month =
      tracker.count_activity(TimeRange{kMinTime, now() + std::chrono::hours(1)}, Bucket::kDay);
  EXPECT_GE(month.size(), 30u);
  EXPECT_LE(month.size(), 31u);
}

TEST(Tracker, RangesAreHalfOpen) {
  testing::TempDir dir;
  Client client = Client::open(dir.store());
  Tracker t = client.tracker("events");
  for (int s = 0; s < 10; ++s) t.record_activity("bob", "/x", {}, kT0 + seconds(s));
  t.flush();
  const Page page = t.view_activity("/x", TimeRange::between(kT0 + seconds(2), kT0 + seconds(5)));
  ASSERT_EQ(page.activities.size(), 3u);
  EXPECT_EQ(page.activities[0].time, kT0 + seconds(4));
  EXPECT_EQ(page.activities[2].time, kT0 + seconds(2));
  EXPECT_EQ(t.view_actor_activity("bob", TimeRange::since(kT0 + seconds(9))).activities.size(), 1u);
}

TEST(Tracker, TargetsAndActorsDoNotBleedIntoEachOther) {
  testing::TempDir dir;
  Client client = Client::open(dir.store());
  Tracker t = client.tracker("events");
  // "a" is a prefix of "ab"; both must stay separate.
  t.record_activity("u1", "a", {}, kT0);
  t.record_activity("u1", "ab", {}, kT0);
  t.record_activity("u12", "a", {}, kT0);
  t.flush();
  EXPECT_EQ(t.view_activity("a").activities.size(), 2u);
  EXPECT_EQ(t.view_activity("ab").activities.size(), 1u);
  EXPECT_EQ(t.view_activity("abc").activities.size(), 0u);
  EXPECT_EQ(t.view_actor_activity("u1").activities.size(), 2u);
  EXPECT_EQ(t.view_actor_activity("u12").activities.size(), 1u);
}

TEST(Tracker, ForEachActivityMatchesBruteForce) {
  testing::TempDir dir;
  Client client = Client::open(dir.store());
  Tracker t = client.tracker("events");
  std::mt19937 rng(3);
  std::vector<Activity> recorded;
  for (int i = 0; i < 3000; ++i) {
    Activity a{"u" + std::to_string(rng() % 50),
               "/t" + std::to_string(rng() % 40),
               kT0 + seconds(rng() % 1000),
               kNoId,
               {}};
    a.id = t.record(a);
    recorded.push_back(a);
  }
  t.flush();
  const TimeRange range = TimeRange::between(kT0 + seconds(250), kT0 + seconds(600));
  std::vector<ActivityId> expected, got;
  for (const auto& a : recorded) {
    if (range.contains(a.time)) expected.push_back(a.id);
  }
  // Each target's activities come together, newest first.
  std::set<std::string> finished_targets;
  const Activity* last = nullptr;
  Activity previous;
  t.for_each_activity(range, [&](const Activity& a) {
    EXPECT_TRUE(range.contains(a.time));
    if (last != nullptr && previous.target != a.target) {
      EXPECT_TRUE(finished_targets.insert(previous.target).second);
    } else if (last != nullptr) {
      EXPECT_GE(previous.time, a.time);
    }
    EXPECT_EQ(finished_targets.count(a.target), 0u) << a.target << " came in two runs";
    previous = a;
    last = &previous;
    got.push_back(a.id);
  });
  std::sort(expected.begin(), expected.end());
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, expected);
}

void expect_invalid(const std::function<void()>& fn, const std::string& field) {
  try {
    fn();
    FAIL() << "accepted; expected an error about " << field;
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(e.field(), field) << e.what();
  }
}

TEST(Tracker, BadInputIsRefusedAndNothingIsWritten) {
  testing::TempDir dir;
  Client client = Client::open(dir.store());
  Tracker t = client.tracker("events");
  expect_invalid([&] { t.record_activity("", "/x"); }, "actor");
  expect_invalid([&] { t.record_activity("bob", ""); }, "target");
  expect_invalid([&] { t.record_activity("bob", std::string(1025, 'x')); }, "target");
  expect_invalid([&] { t.record_activity(std::string(1025, 'x'), "/x"); }, "actor");
  expect_invalid([&] { t.record_activity("bob\xff", "/x"); }, "actor");
  expect_invalid([&] { t.record_activity("bob", "/x\xc0\xaf"); }, "target");
  for (const char* reserved : {"actor", "target", "timestamp", "id", "expires_at"}) {
    expect_invalid(
        [&] {
          t.record_activity("bob", "/x", {{reserved, 1}});
        },
        std::string("attribute '") + reserved + "'");
  }
  expect_invalid([&] { t.record_activity("bob", "/x", {{"a", 1}, {"a", 2}}); }, "attribute 'a'");
  expect_invalid(
      [&] {
        t.record_activity("bob", "/x", {{"big", std::string(400 * 1024, 'x')}});
      },
      "activity");
  expect_invalid([&] { t.record_activity("bob", "/x", {}, kMaxTime); }, "time");
  expect_invalid([&] { t.record_activity("bob", "/x", {}, kMinTime - Microseconds(1)); }, "time");
  expect_invalid([&] { client.tracker("no"); }, "table name");
  expect_invalid([&] { client.tracker("has space"); }, "table name");
  // Just under the item limit is fine.
  t.record_activity("bob", "/x", {{"big", std::string(400 * 1024 - 200, 'x')}});
  t.flush();
  EXPECT_EQ(count_all(t), 1u);
}

TEST(Tracker, ViewArgumentsAreChecked) {
  testing::TempDir dir;
  Client client = Client::open(dir.store());
  Tracker t = client.tracker("events");
  ViewOptions options;
  options.limit = 0;
  expect_invalid([&] { t.view_activity("/x", {}, options); }, "limit");
  options.limit = 10'001;
  expect_invalid([&] { t.view_activity("/x", {}, options); }, "limit");
  expect_invalid([&] { t.view_activity(""); }, "target");
  expect_invalid([&] { t.view_actor_activity(""); }, "actor");
  expect_invalid([&] { t.view_activity("/x", TimeRange::between(kT0, kT0)); }, "time range");
  options.limit = 10;
  options.cursor = "not-a-cursor";
  expect_invalid([&] { t.view_activity("/x", {}, options); }, "cursor");
}

TEST(Tracker, DataSurvivesCloseAndReopen) {
  testing::TempDir dir;
  std::vector<ActivityId> ids;
  {
    Client client = Client::open(dir.store());
    Tracker t = client.tracker("events");
    for (int i = 0; i < 1000; ++i)
      ids.push_back(t.record_activity("bob", "/x", {{"i", i}}, kT0 + seconds(i)));
    client.close();
    EXPECT_THROW(t.record_activity("bob", "/x"), Error);
    EXPECT_THROW(t.view_activity("/x"), Error);
    client.close();  // again: nothing happens
  }
  Client client = Client::open(dir.store());
  EXPECT_EQ(client.tables(), std::vector<std::string>{"events"});
  ViewOptions options;
  options.limit = 1000;
  options.order = Order::kOldestFirst;
  const Page page = client.tracker("events").view_activity("/x", {}, options);
  ASSERT_EQ(page.activities.size(), 1000u);
  for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(page.activities[i].id, ids[i]);
}

TEST(Tracker, ReadOnlyClientReadsButNeverWrites) {
  testing::TempDir dir;
  {
    Client client = Client::open(dir.store());
    client.tracker("events").record_activity("bob", "/x", {}, kT0);
  }
  ClientOptions read_only;
  read_only.read_only = true;
  Client reader = Client::open(dir.store(), read_only);
  Tracker t = reader.tracker("events");
  EXPECT_EQ(t.view_activity("/x").activities.size(), 1u);
  EXPECT_THROW(t.record_activity("bob", "/x"), Error);
  EXPECT_THROW(reader.tracker("missing-table"), NotFound);
  EXPECT_THROW(reader.create_table("new-table"), StoreError);
  EXPECT_THROW(Client::open(dir.store("nothing-here"), read_only), NotFound);
}

TEST(Tracker, ReadOnlyClientWorksBesideAWriter) {
  testing::TempDir dir;
  Client writer = Client::open(dir.store());
  writer.tracker("events").record_activity("bob", "/x", {}, kT0);
  writer.flush();
  // A second writer is refused with a message that says why...
  try {
    Client::open(dir.store());
    FAIL() << "two writers opened one store";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("already open for writing"), std::string::npos)
        << e.what();
  }
  // ...but a reader opens and sees what was flushed.
  ClientOptions read_only;
  read_only.read_only = true;
  Client reader = Client::open(dir.store(), read_only);
  EXPECT_EQ(reader.tracker("events").view_activity("/x").activities.size(), 1u);
}

TEST(Tracker, UnknownStoreSchemeIsAClearError) {
  try {
    Client::open("postgres://localhost/x");
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(e.field(), "store URI");
    EXPECT_NE(std::string(e.what()).find("unknown scheme 'postgres'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("rocksdb:"), std::string::npos);
  }
  EXPECT_THROW(Client::open("no-scheme"), InvalidArgument);
  EXPECT_THROW(Client::open("rocksdb:"), InvalidArgument);
}

}  // namespace
}  // namespace cctv
