// Counts, distinct actors, top targets and retention on both stores -- a
// real RocksDB and a real dynalite -- checked against brute-force counts of
// the activities recorded.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "cctv/cctv.h"
#include "support/stores.h"

namespace cctv {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

const Timestamp kT0 = parse_time("2026-11-01T00:00:00Z");

struct Recorded {
  std::string actor;
  std::string target;
  Timestamp time;
};

// A random workload over three days: 12 targets of very different
// popularity, 300 actors, times anywhere (not in order).
std::vector<Recorded> workload(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Recorded> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto target = static_cast<int>(std::min<std::uint64_t>(rng() % 64, rng() % 64) % 12);
    out.push_back(Recorded{
        "actor" + std::to_string(rng() % 300), "/t/" + std::to_string(target),
        kT0 + Microseconds(static_cast<std::int64_t>(rng() % (72ULL * 3600 * 1'000'000)))});
  }
  return out;
}

// Brute force: the activities of `target` ("" = all) in [start, start + width).
std::int64_t brute_count(const std::vector<Recorded>& all, const std::string& target,
                         Timestamp start, Microseconds width) {
  std::int64_t n = 0;
  for (const auto& r : all) {
    if ((target.empty() || r.target == target) && r.time >= start && r.time < start + width) ++n;
  }
  return n;
}

Microseconds width_of(Bucket b) {
  switch (b) {
    case Bucket::kMinute:
      return minutes(1);
    case Bucket::kHour:
      return hours(1);
    case Bucket::kDay:
      return hours(24);
  }
  return hours(24);
}

void expect_series_matches(const Tracker& t, const std::vector<Recorded>& all,
                           const std::string& target, const TimeRange& range, Bucket bucket,
                           minutes offset = minutes(0)) {
  const Series s = target.empty() ? t.count_activity(range, bucket, {offset})
                                  : t.count_activity(target, range, bucket, {offset});
  ASSERT_FALSE(s.empty());
  // The series covers the range whole, bucket after bucket.
  EXPECT_LE(s.front().start, range.from);
  EXPECT_GT(s.front().start + width_of(bucket), range.from);
  EXPECT_LT(s.back().start, range.to);
  EXPECT_GE(s.back().start + width_of(bucket), range.to);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i > 0) {
      ASSERT_EQ(s[i].start - s[i - 1].start, width_of(bucket));
    }
    ASSERT_EQ(s[i].count, brute_count(all, target, s[i].start, width_of(bucket)))
        << "target '" << target << "' bucket " << bucket_name(bucket) << " at "
        << format_time(s[i].start) << " offset " << offset.count();
  }
}

void record_all(Tracker& t, const std::vector<Recorded>& all, std::size_t from, std::size_t to,
                int threads) {
  std::vector<std::thread> workers;
  for (int w = 0; w < threads; ++w) {
    workers.emplace_back([&, w] {
      for (std::size_t i = from + static_cast<std::size_t>(w); i < to;
           i += static_cast<std::size_t>(threads)) {
        t.record_activity(all[i].actor, all[i].target, {}, all[i].time);
      }
    });
  }
  for (auto& w : workers) w.join();
}

// Runs each test on the embedded store, on DynamoDB (dynalite), and on a
// cctv server (tests/support/stores.h).
class CountsTest : public ::testing::TestWithParam<std::string> {
 protected:
  CountsTest() { store_.set_table_prefix("c-"); }
  bool dynamo() const { return store_.dynamo(); }
  // The store's URI, with `parameter` ("counts=off") if given.
  std::string store(const std::string& parameter = "") { return store_.uri(parameter); }
  // A workload size: dynalite, an engine for tests, writes hundreds of
  // times slower than RocksDB, so DynamoDB runs get an eighth.
  std::size_t scaled(std::size_t n) const { return dynamo() ? n / 8 : n; }

  testing::StoreUnderTest store_{GetParam()};
};

INSTANTIATE_TEST_SUITE_P(Stores, CountsTest, testing::kEveryStore, testing::store_name);

TEST_P(CountsTest, EqualBruteForceAcrossBucketsRangesThreadsAndARestart) {
  const std::vector<Recorded> all = workload(scaled(40'000), 7);
  {
    Client client = Client::open(store());
    Tracker t = client.tracker("pageviews");
    record_all(t, all, 0, all.size() / 2, 4);
  }  // closed: the second half goes through a reopened store
  Client client = Client::open(store());
  Tracker t = client.tracker("pageviews");
  record_all(t, all, all.size() / 2, all.size(), 4);
  t.flush();

  std::mt19937_64 rng(11);
  const TimeRange three_days{kT0, kT0 + hours(72)};
  for (const std::string target : {"", "/t/0", "/t/5", "/t/11", "/t/never"}) {
    if (target == "/t/never") {
      for (const auto& p : t.count_activity(target, three_days, Bucket::kHour))
        EXPECT_EQ(p.count, 0);
      continue;
    }
    expect_series_matches(t, all, target, three_days, Bucket::kHour);
    expect_series_matches(t, all, target, three_days, Bucket::kDay);
    expect_series_matches(t, all, target, three_days, Bucket::kDay, minutes(330));   // +05:30
    expect_series_matches(t, all, target, three_days, Bucket::kDay, minutes(-300));  // -05:00
    // Ranges that start and end inside buckets.
    for (int k = 0; k < 3; ++k) {
      const Timestamp from =
          kT0 + Microseconds(static_cast<std::int64_t>(rng() % (60ULL * 3600 * 1'000'000)));
      const Timestamp to =
          from + Microseconds(static_cast<std::int64_t>(1 + rng() % (10ULL * 3600 * 1'000'000)));
      expect_series_matches(t, all, target, {from, to}, Bucket::kMinute);
      expect_series_matches(t, all, target, {from, to}, Bucket::kHour);
    }
  }
}

TEST_P(CountsTest, RecordingTheSameActivityAgainDoesNotCountItTwice) {
  const TimeRange day{kT0, kT0 + hours(24)};
  std::vector<Activity> recorded;
  {
    Client client = Client::open(store());
    Tracker t = client.tracker("pageviews");
    for (int i = 0; i < 500; ++i) {
      Activity a{"actor" + std::to_string(i % 50),
                 "/t/" + std::to_string(i % 3),
                 kT0 + minutes(i),
                 kNoId,
                 {}};
      a.id = t.record(a);
      recorded.push_back(a);
    }
    // A retry by the caller, in the same batch or a later one: same ids.
    for (int i = 0; i < 100; ++i) t.record(recorded[static_cast<std::size_t>(i)]);
    t.flush();
    for (int i = 0; i < 100; ++i) t.record(recorded[static_cast<std::size_t>(i)]);
    t.flush();
    EXPECT_EQ(t.count_activity(day, Bucket::kDay)[0].count, 500);
  }
  // A re-import in a later process, twice over, from several threads.
  Client client = Client::open(store());
  Tracker t = client.tracker("pageviews");
  std::vector<std::thread> workers;
  for (int w = 0; w < 3; ++w) {
    workers.emplace_back([&] {
      for (const auto& a : recorded) t.record(a);
    });
  }
  for (auto& w : workers) w.join();
  t.flush();
  EXPECT_EQ(t.count_activity(day, Bucket::kDay)[0].count, 500);
  EXPECT_EQ(t.count_activity("/t/0", day, Bucket::kDay)[0].count, 167);
  // A new activity with a supplied id still counts.
  t.record(Activity{"zed", "/t/0", kT0 + hours(2), 0x1234, {}});
  t.flush();
  EXPECT_EQ(t.count_activity("/t/0", day, Bucket::kDay)[0].count, 168);
}

TEST_P(CountsTest, UniqueActorsPerBucketAndOverAWeek) {
  Client client = Client::open(store());
  Tracker t = client.tracker("visits");
  // Seven days; day d sees actors [d * A/2, d * A/2 + A): each day A
  // distinct, 4A over the week; every actor twice a day, 7 s apart (42 s
  // on DynamoDB, so a day's visits span the same 11.7 hours).
  const int per_day = dynamo() ? 1000 : 6000;
  const std::int64_t spacing_us = (dynamo() ? 42 : 7) * 1'000'000LL;
  std::vector<Recorded> all;
  for (int d = 0; d < 7; ++d) {
    for (int rep = 0; rep < 2; ++rep) {
      for (int i = 0; i < per_day; ++i) {
        all.push_back(Recorded{"visitor" + std::to_string(d * per_day / 2 + i), "/home",
                               kT0 + hours(24 * d) + Microseconds(i * spacing_us + rep)});
      }
    }
  }
  all.push_back(Recorded{"loner", "/about", kT0 + hours(30)});
  for (const auto& r : all) t.record_activity(r.actor, r.target, {}, r.time);
  t.flush();
  auto distinct = [&](const std::string& target, Timestamp from, Timestamp to) {
    std::set<std::string> actors;
    for (const auto& r : all) {
      if ((target.empty() || r.target == target) && r.time >= from && r.time < to)
        actors.insert(r.actor);
    }
    return static_cast<double>(actors.size());
  };
  const TimeRange week{kT0, kT0 + hours(24 * 7)};
  const Series days = t.count_unique_actors("/home", week, Bucket::kDay);
  ASSERT_EQ(days.size(), 7u);
  for (const auto& p : days)
    EXPECT_NEAR(static_cast<double>(p.count), per_day, per_day * 0.02) << format_time(p.start);
  EXPECT_NEAR(static_cast<double>(t.unique_actors("/home", week)), 4 * per_day, 4 * per_day * 0.02);
  EXPECT_NEAR(static_cast<double>(t.unique_actors(week)), 4 * per_day + 1,
              (4 * per_day + 1) * 0.02);
  EXPECT_EQ(t.unique_actors("/about", week), 1);
  // Hours and a range that is not whole days agree with brute force.
  const Series hours_of_day1 =
      t.count_unique_actors("/home", {kT0 + hours(24), kT0 + hours(48)}, Bucket::kHour);
  ASSERT_EQ(hours_of_day1.size(), 24u);
  for (const auto& p : hours_of_day1) {
    const double truth = distinct("/home", p.start, p.start + hours(1));
    EXPECT_NEAR(static_cast<double>(p.count), truth, std::max(2.0, truth * 0.03))
        << format_time(p.start);
  }
  EXPECT_EQ(hours_of_day1[23].count, 0);
  const Timestamp from = kT0 + hours(30) + minutes(17);
  const Timestamp to = kT0 + hours(75) + minutes(3);
  EXPECT_NEAR(static_cast<double>(t.unique_actors("/home", {from, to})),
              distinct("/home", from, to), distinct("/home", from, to) * 0.02);
  // Day buckets in another time zone are unions of hours: at -10:00 the
  // local day 1 runs from 10:00 UTC on day 0 to 10:00 on day 1.
  const Series shifted = t.count_unique_actors("/home", week, Bucket::kDay, {minutes(-600)});
  ASSERT_EQ(shifted.size(), 8u);
  EXPECT_EQ(shifted.front().start, kT0 - hours(14));
  const double local_day1 = distinct("/home", kT0 + hours(10), kT0 + hours(34));
  EXPECT_NEAR(static_cast<double>(shifted[1].count), local_day1, local_day1 * 0.02);
}

TEST_P(CountsTest, TopTargetsAreExact) {
  const std::vector<Recorded> all = workload(scaled(20'000), 3);
  Client client = Client::open(store());
  Tracker t = client.tracker("pageviews");
  record_all(t, all, 0, all.size(), 2);
  t.flush();
  std::mt19937_64 rng(5);
  for (int k = 0; k < 6; ++k) {
    // Minute-aligned ranges crossing hour and day edges, up to three days.
    const std::int64_t a = static_cast<std::int64_t>(rng() % (72 * 60));
    const std::int64_t b = static_cast<std::int64_t>(rng() % (72 * 60));
    const Timestamp from = kT0 + minutes(std::min(a, b));
    const Timestamp to = kT0 + minutes(std::max(a, b) + 1);
    std::map<std::string, std::int64_t> truth;
    for (const auto& r : all) {
      if (r.time >= from && r.time < to) ++truth[r.target];
    }
    std::vector<TargetCount> expected;
    for (const auto& [target, n] : truth) expected.push_back({target, n});
    std::sort(expected.begin(), expected.end(), [](const auto& x, const auto& y) {
      return x.count != y.count ? x.count > y.count : x.target < y.target;
    });
    if (expected.size() > 5) expected.resize(5);
    EXPECT_EQ(t.top_targets({from, to}, 5), expected)
        << format_time(from) << " .. " << format_time(to);
  }
  EXPECT_TRUE(t.top_targets({kT0 - hours(48), kT0 - hours(24)}).empty());
  EXPECT_THROW(t.top_targets({kT0, kT0 + hours(1)}, 0), InvalidArgument);
}

TEST_P(CountsTest, TopTargetsOverAQuarterAreExact) {
  // Longer than a month: DynamoDB answers from one pass over the counts
  // table instead of a query per hour.
  Client client = Client::open(store());
  Tracker t = client.tracker("pageviews");
  std::map<std::string, std::int64_t> truth;
  for (int d = 0; d < 90; d += 3) {
    for (int k = 0; k <= d % 7; ++k) {
      const std::string target = "/q/" + std::to_string((d + k) % 5);
      t.record_activity("a" + std::to_string(k), target, {}, kT0 + hours(24 * d + k));
      ++truth[target];
    }
  }
  t.flush();
  std::vector<TargetCount> expected;
  for (const auto& [target, n] : truth) expected.push_back({target, n});
  std::sort(expected.begin(), expected.end(), [](const auto& x, const auto& y) {
    return x.count != y.count ? x.count > y.count : x.target < y.target;
  });
  EXPECT_EQ(t.top_targets({kT0 - hours(24), kT0 + hours(24 * 95)}, 10), expected);
  // And a range that starts and ends inside hours, over 40 days.
  std::map<std::string, std::int64_t> part;
  for (int d = 0; d < 90; d += 3) {
    for (int k = 0; k <= d % 7; ++k) {
      const Timestamp when = kT0 + hours(24 * d + k);
      if (when >= kT0 + hours(1) + minutes(30) && when < kT0 + hours(24 * 40 + 2) + minutes(1)) {
        ++part["/q/" + std::to_string((d + k) % 5)];
      }
    }
  }
  std::vector<TargetCount> expected_part;
  for (const auto& [target, n] : part) expected_part.push_back({target, n});
  std::sort(expected_part.begin(), expected_part.end(), [](const auto& x, const auto& y) {
    return x.count != y.count ? x.count > y.count : x.target < y.target;
  });
  EXPECT_EQ(
      t.top_targets({kT0 + hours(1) + minutes(30), kT0 + hours(24 * 40 + 2) + minutes(1)}, 10),
      expected_part);
}

TEST_P(CountsTest, TopTargetsReadOnlyTheirOwnRows) {
  // An hour (and a day) whose number ends in byte 0xff: its rows' key range
  // must end at the next number, not run into every later row.
  Client client = Client::open(store());
  Tracker t = client.tracker("pageviews");
  const std::int64_t hour = (kT0.time_since_epoch().count() / 3'600'000'000LL) | 0xff;
  const Timestamp start(Microseconds(hour * 3'600'000'000LL));
  t.record_activity("a", "/inside", {}, start + minutes(10));
  for (int i = 0; i < 5; ++i) t.record_activity("a", "/after", {}, start + hours(1) + minutes(i));
  const std::int64_t day = (kT0.time_since_epoch().count() / 86'400'000'000LL + 300) | 0xff;
  const Timestamp day_start(Microseconds(day * 86'400'000'000LL));
  t.record_activity("a", "/that-day", {}, day_start + hours(3));
  for (int i = 0; i < 5; ++i) t.record_activity("a", "/next-day", {}, day_start + hours(24 + i));
  t.flush();
  EXPECT_EQ(t.top_targets({start + minutes(5), start + minutes(20)}),
            (std::vector<TargetCount>{{"/inside", 1}}));
  EXPECT_EQ(t.top_targets({day_start, day_start + hours(24)}),
            (std::vector<TargetCount>{{"/that-day", 1}}));
}

TEST_P(CountsTest, RebuildCountsWhatTheStoreHolds) {
  const std::vector<Recorded> all = workload(scaled(10'000), 9);
  {
    // Recorded without counts, as a table filled by an older cctv would be.
    Client client = Client::open(store("counts=off"));
    Tracker t = client.tracker("pageviews");
    record_all(t, all, 0, all.size(), 2);
    t.flush();
    try {
      t.count_activity({kT0, kT0 + hours(72)}, Bucket::kDay);
      FAIL() << "counts were answered with counts off";
    } catch (const StoreError& e) {
      EXPECT_NE(std::string(e.what()).find("counts=off"), std::string::npos) << e.what();
    }
  }
  Client client = Client::open(store());
  Tracker t = client.tracker("pageviews");
  const TimeRange three_days{kT0, kT0 + hours(72)};
  for (const auto& p : t.count_activity(three_days, Bucket::kDay)) EXPECT_EQ(p.count, 0);
  t.rebuild_counts(three_days);
  expect_series_matches(t, all, "", three_days, Bucket::kHour);
  expect_series_matches(t, all, "/t/3", three_days, Bucket::kHour);
  const Series uniques = t.count_unique_actors(three_days, Bucket::kDay);
  for (const auto& p : uniques) {
    std::set<std::string> actors;
    for (const auto& r : all) {
      if (r.time >= p.start && r.time < p.start + hours(24)) actors.insert(r.actor);
    }
    EXPECT_NEAR(static_cast<double>(p.count), static_cast<double>(actors.size()),
                actors.size() * 0.02);
  }
  // Rebuilding again, or rebuilding correct counts, changes nothing; a
  // rebuild of one day leaves the others alone.
  t.rebuild_counts({kT0 + hours(30), kT0 + hours(31)});
  t.rebuild_counts(three_days);
  expect_series_matches(t, all, "", three_days, Bucket::kHour);
  EXPECT_EQ(t.count_unique_actors(three_days, Bucket::kDay), uniques);
}

TEST_P(CountsTest, BadRequestsSayWhatIsWrong) {
  Client client = Client::open(store());
  Tracker t = client.tracker("pageviews");
  try {
    t.count_activity("/x", {kT0, kT0 + hours(24 * 365)}, Bucket::kMinute);
    FAIL() << "a year of minutes is too many points";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("525600 minute buckets"), std::string::npos) << e.what();
  }
  EXPECT_THROW(t.count_activity("", {kT0, kT0 + hours(1)}, Bucket::kHour), InvalidArgument);
  EXPECT_THROW(t.count_activity({kT0, kT0}, Bucket::kHour), InvalidArgument);
  EXPECT_THROW(t.count_activity({kT0, kT0 + hours(1)}, Bucket::kDay, {minutes(15 * 60)}),
               InvalidArgument);
  EXPECT_THROW(parse_bucket("week"), InvalidArgument);
  EXPECT_EQ(parse_bucket("hour"), Bucket::kHour);
}

TEST_P(CountsTest, ActivitiesExpireWhileTheirCountsStay) {
  if (store_.server()) GTEST_SKIP() << "a cctv server keeps its own clock; this test sets the store's";
  const Timestamp t0 = parse_time("2026-06-01T00:00:00Z");
  std::atomic<std::int64_t> clock_us{
      (t0 + std::chrono::hours(24 * 100)).time_since_epoch().count()};
  ClientOptions options;
  options.clock = [&] { return Timestamp(Microseconds(clock_us.load())); };
  Client client = Client::open(store(), options);
  TableOptions table_options;
  table_options.retention = std::chrono::hours(24 * 30);
  table_options.counts_retention = std::chrono::hours(24 * 60);
  client.create_table("events", table_options);
  EXPECT_EQ(client.describe_table("events").options, table_options);
  Tracker t = client.tracker("events");
  // One activity a day at noon for 100 days; "now" is the end of day 99.
  for (int d = 0; d < 100; ++d) {
    t.record_activity("actor" + std::to_string(d), "/x", {}, t0 + std::chrono::hours(24 * d + 12));
  }
  t.flush();
  const TimeRange all{t0, t0 + std::chrono::hours(24 * 100)};
  auto visible = [&] {
    ViewOptions v;
    v.limit = 1000;
    return t.view_activity("/x", all, v).activities.size();
  };
  auto days_counted = [&] {
    std::size_t n = 0;
    for (const auto& p : t.count_activity("/x", all, Bucket::kDay)) n += p.count == 1 ? 1 : 0;
    return n;
  };
  // Views never show what retention has expired, removed yet or not.
  EXPECT_EQ(visible(), 30u);
  std::size_t exported = 0;
  t.for_each_activity(all, [&](const Activity&) { ++exported; });
  EXPECT_EQ(exported, 30u);
  EXPECT_EQ(days_counted(), 60u);
  EXPECT_EQ(t.top_targets(all).at(0).count, 60);

  // Removing them for real: with retention lifted afterwards, only what
  // the compaction kept comes back.
  client.apply_retention("events");
  client.alter_table("events", TableOptions{});
  EXPECT_EQ(visible(), 30u) << "expired activities were not removed";
  EXPECT_EQ(days_counted(), 60u) << "expired counts were not removed, or kept counts were";

  // Ten days on, with retention back: ten more days expire.
  client.alter_table("events", table_options);
  clock_us += std::chrono::duration_cast<Microseconds>(std::chrono::hours(24 * 10)).count();
  EXPECT_EQ(visible(), 20u);
  EXPECT_EQ(days_counted(), 50u);
  // The settings survive a reopen.
  client.close();
  Client again = Client::open(store(), options);
  EXPECT_EQ(again.describe_table("events").options, table_options);
  EXPECT_THROW(again.alter_table("events", TableOptions{std::chrono::seconds(-1), {}}),
               InvalidArgument);
}

// More new targets than the counts budget holds at once: writers wait for
// the counts to be written instead of gathering without end, a round is
// written in several batches, and every count is exact.
TEST(CountsBudget, NewTargetsBeyondTheBudgetAreCountedExactly) {
  testing::TempDir dir;
  Client client = Client::open(dir.store() + "?counts_mb=2");
  Tracker t = client.tracker("pages");
  const Timestamp when = parse_time("2026-11-01T10:00:00Z");
  constexpr int kTargets = 120'000;
  for (int i = 0; i < kTargets; ++i) {
    t.record_activity("u" + std::to_string(i % 100), "/new/" + std::to_string(i), {},
                      when + Microseconds(i));
  }
  client.flush();
  const TimeRange day{parse_time("2026-11-01"), parse_time("2026-11-02")};
  std::int64_t total = 0;
  for (const auto& p : t.count_activity(day, Bucket::kHour)) total += p.count;
  EXPECT_EQ(total, kTargets);
  for (int i : {0, 1, 65'535, 65'536, kTargets - 1}) {
    std::int64_t n = 0;
    for (const auto& p : t.count_activity("/new/" + std::to_string(i), day, Bucket::kHour))
      n += p.count;
    EXPECT_EQ(n, 1) << i;
  }
  const auto top = t.top_targets(day, 3);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].count, 1);
}

}  // namespace
}  // namespace cctv
