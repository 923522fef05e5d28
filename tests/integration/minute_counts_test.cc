// Counts by the minute on dynalite, through the compactor's life: written
// and not folded, folded into open hours, closed, folded into again by
// activities recorded late, and closed again. At every step counts, distinct
// actors and top targets equal brute force. The clock is the test's, so
// that hours pass in seconds; a second store runs the compactor.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <random>
#include <thread>

#include "cctv/cctv.h"
#include "core/attribute_codec.h"
#include "core/hyperloglog.h"
#include "core/record_batch.h"
#include "store/dynamodb/bulk_requests.h"
#include "store/dynamodb/count_items.h"
#include "store/dynamodb/dynamo_store.h"
#include "store/dynamodb/dynamo_uri.h"
#include "store/dynamodb/item_codec.h"
#include "store/dynamodb/requests.h"
#include "support/server_process.h"

namespace cctv {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

struct Recorded {
  std::string actor;
  std::string target;
  Timestamp time;
};

class MinuteCountsTest : public ::testing::Test {
 protected:
  MinuteCountsTest() {
    ClientOptions options;
    options.clock = [this] { return now(); };
    client_.emplace(Client::open(uri(), options));
    DynamoOptions dynamo = store::dynamodb::parse_dynamo_uri(uri());
    compactor_ = store::dynamodb::DynamoStore::open(
        dynamo, uri(), false, store::dynamodb::process_environment(), [this] { return now(); });
  }

  std::string uri() const { return dynalite_.store("mc-") + "&counts_layout=minutes"; }
  Timestamp now() const { return Timestamp(Microseconds(clock_us_.load())); }
  void advance(Microseconds d) { clock_us_ += d.count(); }

  // Moves the clock on by `span`, `step` at a time, giving the compactor
  // a round each step (more time when another process holds the lease).
  // The tracker's writer commits each step, as its heartbeat would every
  // 30 s: the compactor folds a minute once live writers committed it.
  void pass(Microseconds span, Microseconds step = minutes(1)) {
    for (Microseconds gone{0}; gone < span; gone += step) {
      advance(step);
      client_->flush();
      for (int tries = 0; !compactor_->compact_counts_now("events"); ++tries) {
        ASSERT_LT(tries, 5) << "the lease was never free";
        advance(seconds(31));
      }
    }
  }

  void record(Tracker& t, const std::vector<Recorded>& batch) {
    for (const Recorded& r : batch) {
      t.record_activity(r.actor, r.target, {}, r.time);
      all_.push_back(r);
    }
    t.flush();
  }

  std::vector<Recorded> some(std::size_t n, Timestamp from, Microseconds span, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<Recorded> out;
    for (std::size_t i = 0; i < n; ++i) {
      const int target = static_cast<int>(std::min(rng() % 9, rng() % 9));
      out.push_back(Recorded{"actor" + std::to_string(rng() % 200), "/t/" + std::to_string(target),
                             from + Microseconds(static_cast<std::int64_t>(
                                        rng() % static_cast<std::uint64_t>(span.count())))});
    }
    return out;
  }

  // Records `batch` through a process of its own that does not count.
  void record_uncounted(const std::vector<Recorded>& batch) {
    ClientOptions options;
    options.clock = [this] { return now(); };
    Client uncounted = Client::open(uri() + "&counts=off", options);
    Tracker u = uncounted.tracker("events");
    record(u, batch);
  }

  // Rebuilds `range` inside the first of the compactor's rounds to reach
  // `stage`, moving the clock `step` (shorter than the lease) at a time,
  // so that the compactor keeps the lease and the round is this test's;
  // the store's own task, which would share its lease, is paused. False
  // when no round reached `stage`.
  bool rebuild_at(store::dynamodb::MinuteCounts::RoundStage stage, Tracker& t, TimeRange range,
                  Microseconds step) {
    compactor_->pause_counts_task();
    std::atomic<bool> rebuilt{false};
    compactor_->on_compactor_stage([&](store::dynamodb::MinuteCounts::RoundStage reached) {
      if (reached != stage || rebuilt.exchange(true)) return;
      t.rebuild_counts(range);
    });
    for (int i = 0; i < 200 && !rebuilt; ++i) pass(step, step);
    compactor_->on_compactor_stage({});
    return rebuilt;
  }

  // Rebuilds `day` at the first round to reach `stage` (rebuild_at()):
  // counts equal brute force then -- by the minute over the four hours
  // from `minutes_from` -- and once the hours are closed again.
  void expect_rebuilt_at(store::dynamodb::MinuteCounts::RoundStage stage, Tracker& t, Timestamp day,
                         Timestamp minutes_from, Microseconds step) {
    ASSERT_TRUE(rebuild_at(stage, t, {day, day + hours(24)}, step))
        << "no compactor round reached the stage";
    expect_exact(t, day, day + hours(24), "rebuilt during the round");
    expect_exact(t, minutes_from, minutes_from + hours(4), "the same, by the minute");
    pass(minutes(5), step);
    expect_exact(t, day, day + hours(24), "and closed again");
  }

  // Everything the tracker says about [from, to) equals brute force.
  void expect_exact(Tracker& t, Timestamp from, Timestamp to, const std::string& when) {
    SCOPED_TRACE(when);
    const TimeRange range{from, to};
    for (const std::string target : {"", "/t/0", "/t/1", "/t/4", "/t/8"}) {
      for (Bucket bucket : {Bucket::kMinute, Bucket::kHour, Bucket::kDay}) {
        if (bucket == Bucket::kMinute && to - from > hours(6)) continue;
        const Series s = target.empty() ? t.count_activity(range, bucket)
                                        : t.count_activity(target, range, bucket);
        // Every wrong bucket of the series is reported, not just the
        // first: where counts go missing tells a lost page (spread out)
        // from a lost item (one bucket).
        std::string wrong;
        std::int64_t wrong_buckets = 0;
        for (const BucketCount& p : s) {
          const Timestamp end = p.start + (bucket == Bucket::kMinute ? Microseconds(minutes(1))
                                           : bucket == Bucket::kHour ? Microseconds(hours(1))
                                                                     : Microseconds(hours(24)));
          std::int64_t n = 0;
          for (const Recorded& r : all_) {
            if ((target.empty() || r.target == target) && r.time >= p.start && r.time < end) ++n;
          }
          if (p.count == n) continue;
          if (++wrong_buckets <= 20) {
            wrong += "\n  at " + format_time(p.start) + ": counted " + std::to_string(p.count) +
                     ", stored " + std::to_string(n);
          }
        }
        if (wrong_buckets > 0) {
          FAIL() << "target '" << target << "' by " << bucket_name(bucket) << ": " << wrong_buckets
                 << " buckets wrong (the first 20 listed)" << wrong;
        }
      }
      // Distinct actors: the same sketch brute force would build.
      const Series u = target.empty() ? t.count_unique_actors(range, Bucket::kHour)
                                      : t.count_unique_actors(target, range, Bucket::kHour);
      for (const BucketCount& p : u) {
        core::HyperLogLog truth;
        for (const Recorded& r : all_) {
          if ((target.empty() || r.target == target) && r.time >= p.start &&
              r.time < p.start + hours(1))
            truth.add(r.actor);
        }
        ASSERT_EQ(p.count, truth.estimate())
            << "distinct actors of '" << target << "' at " << format_time(p.start);
      }
    }
    std::map<std::string, std::int64_t> per_target;
    for (const Recorded& r : all_) {
      if (r.time >= from && r.time < to) ++per_target[r.target];
    }
    std::vector<TargetCount> expected;
    for (const auto& [target, n] : per_target) expected.push_back(TargetCount{target, n});
    std::sort(expected.begin(), expected.end(), [](const TargetCount& a, const TargetCount& b) {
      return a.count != b.count ? a.count > b.count : a.target < b.target;
    });
    if (expected.size() > 5) expected.resize(5);
    EXPECT_EQ(t.top_targets(range, 5), expected);
  }

  // A request engine of the test's own, for requests behind the store's
  // back.
  store::dynamodb::RequestEngine& raw() {
    if (!raw_) {
      DynamoOptions o;
      o.endpoint = dynalite_.url();
      raw_ = std::make_unique<store::dynamodb::RequestEngine>(
          store::dynamodb::resolve_aws_config(o, store::dynamodb::process_environment()),
          store::dynamodb::RequestEngine::Options{});
    }
    return *raw_;
  }

  // How many items of the counts table have keys starting with `prefix`
  // (and, if named, attribute `having`).
  int items(const std::string& prefix, const std::string& having = "") {
    store::dynamodb::RequestEngine& engine = raw();
    int n = 0;
    store::dynamodb::each_page(
        engine, "Scan",
        [&](std::string_view start_after) {
          store::dynamodb::ScanRequest scan;
          scan.table = "mc-events.counts";
          scan.consistent = true;
          scan.filter = {
              "begins_with(#k, :p)", {{"#k", "key"}}, {{":p", store::dynamodb::Attr::s(prefix)}}};
          if (!having.empty()) {
            scan.filter.text += " AND attribute_exists(#h)";
            scan.filter.names.emplace_back("#h", having);
          }
          scan.start_after = start_after;
          return scan.body();
        },
        [&](const rapidjson::Document& doc) { n += static_cast<int>(doc["Items"].Size()); });
    return n;
  }

  // The tracker of a table that keeps counts 30 days, with its last half
  // hour recorded and its hours closed: what comes later is late.
  Tracker keeping_counts_30_days() {
    TableOptions options;
    options.counts_retention = hours(24 * 30);
    client_->create_table("events", options);
    Tracker t = client_->tracker("events");
    record(t, some(200, now() - minutes(30), minutes(30), 1));
    pass(hours(2));
    return t;
  }

  // Sends one request to dynalite behind the store's back.
  rapidjson::Document send_raw(std::string_view operation, const std::string& body) {
    return raw().call(operation, body);
  }

  // The progress item's `dirty` flag: whether readers look for hours
  // waiting to be closed again.
  bool progress_dirty() {
    using store::dynamodb::Attr;
    const rapidjson::Document doc = send_raw(
        "GetItem",
        store::dynamodb::GetItemRequest{
            "mc-events.counts",
            {{"key", Attr::s(std::string(store::dynamodb::kProgressKey))}, {"start", Attr::n(0)}},
            true}
            .body());
    const auto& item = doc["Item"];
    return !item.HasMember("dirty") || std::string_view(item["dirty"]["N"].GetString()) != "0";
  }

  // Deletes every stored activity of `target` behind the store's back, as
  // if they had expired: their counts stay until a rebuild.
  void erase_target(const std::string& target) {
    store::dynamodb::RequestEngine& engine = raw();
    std::vector<std::string> keys;
    store::dynamodb::ScanRequest scan;
    scan.table = "mc-events";
    scan.consistent = true;
    scan.filter = {"#t = :t", {{"#t", "target"}}, {{":t", store::dynamodb::Attr::s(target)}}};
    store::dynamodb::each_page(engine, scan, [&](const rapidjson::Document& doc) {
      for (const auto& item : doc["Items"].GetArray()) {
        keys.push_back(store::dynamodb::attrs_json(
            {{"target", store::dynamodb::Attr::s(item["target"]["S"].GetString())},
             {"timestamp", store::dynamodb::Attr::s(item["timestamp"]["S"].GetString())}}));
      }
    });
    const auto before = all_.size();
    std::erase_if(all_, [&](const Recorded& r) { return r.target == target; });
    ASSERT_EQ(keys.size(), before - all_.size());
    store::dynamodb::delete_items(engine, "mc-events", keys);
  }

  // A writer process of its own, on the test's clock, that takes a writer
  // for dead after `dead_after`.
  std::unique_ptr<store::dynamodb::DynamoStore> writer(std::chrono::seconds dead_after) {
    const std::string u = uri() + "&writer_timeout=" + std::to_string(dead_after.count());
    return store::dynamodb::DynamoStore::open(store::dynamodb::parse_dynamo_uri(u), u, false,
                                              store::dynamodb::process_environment(),
                                              [this] { return now(); });
  }

  // Writes `batch` through `store` as its pipeline would (ids of its own).
  // `supplied`: as activities that came with ids of their own.
  void write(store::dynamodb::DynamoStore& store, const std::vector<Recorded>& batch,
             bool supplied = false) {
    const auto table = store.find_table("events");
    ASSERT_TRUE(table.has_value());
    core::RecordBatch records;
    std::string no_attributes;
    core::encode_attributes({}, no_attributes);
    for (const Recorded& r : batch) {
      records.append(*table, r.time.time_since_epoch().count(), next_id_++, r.actor, r.target,
                     no_attributes, supplied);
      all_.push_back(r);
    }
    store.write(records, false);
  }

  // Activity items of the events table carrying the counts tag.
  int tagged_activities() {
    int n = 0;
    store::dynamodb::each_page(
        raw(), "Scan",
        [&](std::string_view start_after) {
          store::dynamodb::ScanRequest scan;
          scan.table = "mc-events";
          scan.consistent = true;
          scan.filter = {
              "attribute_exists(#c)", {{"#c", store::dynamodb::kCountsTagAttribute}}, {}};
          scan.start_after = start_after;
          return scan.body();
        },
        [&](const rapidjson::Document& doc) { n += static_cast<int>(doc["Items"].Size()); });
    return n;
  }

  testing::Dynalite dynalite_;
  std::uint64_t next_id_ = 1;
  std::atomic<std::int64_t> clock_us_{
      parse_time("2026-11-03T10:30:00Z").time_since_epoch().count()};
  std::optional<Client> client_;
  std::unique_ptr<store::dynamodb::DynamoStore> compactor_;
  std::unique_ptr<store::dynamodb::RequestEngine> raw_;  // raw()
  std::vector<Recorded> all_;
};

TEST_F(MinuteCountsTest, EveryStageOfTheCompactorCountsExactly) {
  Tracker t = client_->tracker("events");
  const Timestamp day = parse_time("2026-11-03T00:00:00Z");
  // Activities of the last half hour, as they happen.
  record(t, some(400, now() - minutes(30), minutes(30), 1));
  EXPECT_GT(items("m#"), 0);
  EXPECT_EQ(items("o#"), 0);
  // Kept as long as the counts (forever, here): an import of last month
  // closes its hours again from every minute item that added to them.
  EXPECT_EQ(items("m#", "expires_at"), 0);
  expect_exact(t, day, day + hours(24), "written, none folded");
  expect_exact(t, now() - hours(2), now() + hours(1), "written, none folded, by the minute");
  pass(minutes(10));
  const std::int64_t ten = (day + hours(10)).time_since_epoch().count() / 3'600'000'000;
  EXPECT_GT(items("o#" + std::to_string(ten)), 0) << "nothing folded into the open hour";
  EXPECT_EQ(items("T#"), 0) << "an hour closed too early";
  record(t, some(300, now() - minutes(5), minutes(5), 2));
  expect_exact(t, day, day + hours(24), "folded into the open hour, and newer ones not");
  expect_exact(t, now() - hours(1), now(), "the last hour, by the minute");
  // Two hours on: 10:00 and 11:00 close.
  pass(hours(2));
  EXPECT_GE(items("T#" + std::to_string(ten)), 1) << "10:00 was not ranked";
  EXPECT_GE(items("h2#/t/0"), 1);
  EXPECT_EQ(items("d2#"), 0) << "a day closed too early";
  expect_exact(t, day, day + hours(24), "hours closed");
  expect_exact(t, day + hours(10), day + hours(11), "one closed hour, whole");
  expect_exact(t, day + hours(10) + minutes(17), day + hours(12) + minutes(3),
               "closed hours' edges");
  // An import of last week: late, into hours long closed.
  const Timestamp week_ago = day - hours(24 * 7);
  record(t, some(500, week_ago, hours(30), 3));
  expect_exact(t, week_ago, week_ago + hours(48), "late, not folded");
  // Sealed and folded in the last round, and only partly closed again (a
  // round closes 64 hours and buckets): the rest count from the open
  // hours' totals.
  pass(minutes(2));
  EXPECT_GT(items("z#"), 0) << "nothing waits to be closed again";
  expect_exact(t, week_ago, week_ago + hours(48), "late, folded, partly closed again");
  pass(minutes(5));
  EXPECT_EQ(items("z#"), 0) << "hours folded into after closing were not closed again";
  expect_exact(t, week_ago, week_ago + hours(48), "late, closed again");
  EXPECT_GE(items("d2#/t/0"), 1) << "the days closed again have no day items";
  EXPECT_GE(items("D#"), 1);
  expect_exact(t, week_ago, week_ago + hours(24), "a closed day, whole");
  expect_exact(t, week_ago + hours(3) + minutes(40), week_ago + hours(27),
               "a closed range's edges");
  // Past midnight: the day closes in turn, with its day items and list.
  record(t, some(300, now() - minutes(20), minutes(20), 5));
  pass(hours(12), minutes(10));
  const std::int64_t today = day.time_since_epoch().count() / 86'400'000'000;
  EXPECT_GE(items("D#" + std::to_string(today)), 1) << "the day has no list";
  EXPECT_GE(items("d2#/t/0"), 3) << "the day closed in turn wrote no day items";
  expect_exact(t, day, day + hours(24), "a day closed in turn, whole");
  expect_exact(t, day - hours(30), day + hours(36), "days closed and open, by the day and hour");
}

// Compactors that overlap: the clock runs so fast that every lease runs
// out within a round, so two (three, with the tracker's own) compactors
// fold, close and close again at once, while activities are recorded now
// and late. Counts read during the race and after it equal brute force.
TEST_F(MinuteCountsTest, CompactorsWhoseLeasesRunOutMidRoundCountExactly) {
  Tracker t = client_->tracker("events");
  std::unique_ptr<store::dynamodb::DynamoStore> second = store::dynamodb::DynamoStore::open(
      store::dynamodb::parse_dynamo_uri(uri()), uri(), false,
      store::dynamodb::process_environment(), [this] { return now(); });
  record(t, some(100, now() - minutes(5), minutes(5), 11));
  std::atomic<bool> racing{true};
  // The clock stands still while activities are written: a writer's
  // minute items land within their minute's seal (minute_counts.h),
  // which a clock this fast would otherwise break.
  std::atomic<bool> writing{false};
  std::atomic<int> rounds{0};  // rounds run, whole or stopped by a lost lease
  std::atomic<int> whole{0};
  std::vector<std::thread> threads;
  threads.emplace_back([&] {
    while (racing) {
      if (!writing) advance(seconds(2));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  for (store::dynamodb::DynamoStore* s : {compactor_.get(), second.get()}) {
    threads.emplace_back([&, s] {
      while (racing) {
        try {
          if (s->compact_counts_now("events")) ++whole;
          ++rounds;
        } catch (const StoreError& e) {
          ADD_FAILURE() << e.what();
          return;
        }
      }
    });
  }
  const Timestamp day = parse_time("2026-11-03T00:00:00Z");
  const Timestamp week_ago = day - hours(24 * 7);
  for (std::uint64_t seed = 20; seed < 26; ++seed) {
    writing = true;
    record(t, some(150, now() - minutes(3), minutes(3), seed));
    record(t, some(150, week_ago, hours(30), seed + 100));
    writing = false;
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    expect_exact(t, week_ago, week_ago + hours(48), "late, while compactors race");
    expect_exact(t, week_ago, week_ago + hours(24), "a closed day, late, while compactors race");
  }
  racing = false;
  for (std::thread& th : threads) th.join();
  EXPECT_GT(rounds.load(), 10) << "the compactors hardly ran";
  EXPECT_GT(whole.load(), 0) << "no round ran whole";
  // Settled by one compactor.
  for (int i = 0; i < 20 && items("z#") > 0; ++i) pass(minutes(1));
  EXPECT_EQ(items("z#"), 0) << "hours folded into were never closed again";
  pass(hours(2), minutes(10));
  expect_exact(t, week_ago, week_ago + hours(48), "late, settled");
  expect_exact(t, day, now(), "today, settled");
}

// A reader reads the progress item first, the ranked lists after: a round
// may fold activities recorded late, and close and rank their hours and
// day again, in between. The lists then hold write minutes that the
// progress it read says are not folded, which it must not add again from
// the minute items. Here the progress item is set back behind the store's
// back, to what such a reader read. (Seen as a closed day's top targets
// counted over while compactors raced.)
TEST_F(MinuteCountsTest, ListsNewerThanTheProgressReadAreNotAddedToAgain) {
  Tracker t = client_->tracker("events");
  record(t, some(200, now() - minutes(30), minutes(30), 1));
  pass(hours(2));
  const Timestamp day = parse_time("2026-10-27T00:00:00Z");
  const std::int64_t late_minute = now().time_since_epoch().count() / 60'000'000;
  record(t, some(300, day + hours(6), hours(30), 4));
  pass(minutes(10));
  ASSERT_EQ(items("z#"), 0) << "the late hours were not closed again";
  expect_exact(t, day, day + hours(24), "closed again, read after");

  compactor_->pause_counts_task();  // and the clock stands: nobody takes the lease
  using store::dynamodb::Attr;
  send_raw(
      "UpdateItem",
      store::dynamodb::UpdateItemRequest{
          "mc-events.counts",
          {{"key", Attr::s(std::string(store::dynamodb::kProgressKey))}, {"start", Attr::n(0)}},
          {"SET #t = :t", {{"#t", "to"}}, {{":t", Attr::n(late_minute - 1)}}},
          {}}
          .body());
  expect_exact(t, day, day + hours(24), "the day, its progress read before the round");
  expect_exact(t, day + hours(5), day + hours(40), "hours of two days, the same");
  // More late activities, in a later write minute than the lists hold:
  // those the reader adds.
  record(t, some(100, day + hours(6), hours(30), 5));
  expect_exact(t, day, day + hours(24), "and more, not folded");

  // Lists that do not say what they hold (written before lists said so)
  // are passed over for the hours' totals.
  const std::int64_t first_hour = day.time_since_epoch().count() / 3'600'000'000;
  std::vector<std::string> lists = {"D#" + std::to_string(first_hour / 24)};
  for (std::int64_t hour = first_hour; hour < first_hour + 24; ++hour)
    lists.push_back("T#" + std::to_string(hour));
  std::vector<std::string> removals;
  for (const std::string& list : lists) {
    store::dynamodb::UpdateItemRequest remove{"mc-events.counts",
                                              {{"key", Attr::s(list)}, {"start", Attr::n(0)}},
                                              {"REMOVE #hw", {{"#hw", "hw"}}, {}},
                                              {"attribute_exists(#hw)", {{"#hw", "hw"}}, {}}};
    removals.push_back(remove.body());
  }
  // The day's list first, the hours' next.
  raw().run_conditional("UpdateItem", {removals.front()}, "removing hw");
  expect_exact(t, day, day + hours(24), "a day's list that does not say what it holds");
  removals.erase(removals.begin());
  raw().run_conditional("UpdateItem", std::move(removals), "removing hw");
  for (const std::string& list : lists) ASSERT_EQ(items(list, "hw"), 0) << list;
  expect_exact(t, day, day + hours(24), "lists that do not say what they hold");
}

// A ranked list of more than one page is rewritten page by page: a reader
// that finds pages of two versions, or a page 0 whose other pages are not
// there yet, reads it again, and says so rather than answer from part of
// a list.
TEST_F(MinuteCountsTest, AListReadHalfRewrittenIsReadAgain) {
  Tracker t = client_->tracker("events");
  const Timestamp hour = now() - minutes(30);  // 10:00
  std::vector<Recorded> many;
  for (int i = 0; i < 450; ++i) {
    many.push_back(
        {"actor" + std::to_string(i % 7), "/many/" + std::to_string(i % 300), hour + seconds(i)});
  }
  record(t, many);
  pass(hours(2));
  const std::string list = "T#" + std::to_string(hour.time_since_epoch().count() / 3'600'000'000);
  ASSERT_EQ(items(list), 2) << "300 targets are two pages";
  expect_exact(t, hour, hour + hours(1), "the hour, one version");

  using store::dynamodb::Attr;
  auto bump_page_1 = [&](int by) {
    send_raw(
        "UpdateItem",
        store::dynamodb::UpdateItemRequest{"mc-events.counts",
                                           {{"key", Attr::s(list)}, {"start", Attr::n(1)}},
                                           {"ADD #v :by", {{"#v", "v"}}, {{":by", Attr::n(by)}}},
                                           {}}
            .body());
  };
  bump_page_1(1);  // as if page 1 of the next version landed first
  try {
    t.top_targets({hour, hour + hours(1)}, 5);
    ADD_FAILURE() << "pages of two versions were read as one list";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("'" + list + "'"), std::string::npos) << e.what();
  }
  bump_page_1(-1);
  expect_exact(t, hour, hour + hours(1), "one version again");

  // Page 0 of a longer list landed, page 1 not yet.
  const store::dynamodb::Attrs page_1 = {{"key", Attr::s(list)}, {"start", Attr::n(1)}};
  const rapidjson::Document got =
      send_raw("GetItem", store::dynamodb::GetItemRequest{"mc-events.counts", page_1, true}.body());
  ASSERT_TRUE(got.HasMember("Item"));
  const std::string saved = store::dynamodb::json_text(got["Item"]);
  send_raw("DeleteItem", store::dynamodb::DeleteItemRequest{"mc-events.counts", page_1, {}}.body());
  EXPECT_THROW(t.top_targets({hour, hour + hours(1)}, 5), StoreError)
      << "a list missing a page was read as whole";
  send_raw("PutItem", store::dynamodb::PutItemRequest{"mc-events.counts", saved, {}}.body());
  expect_exact(t, hour, hour + hours(1), "whole again");
}

// A writer killed before it sent its counts -- some of them of activities
// now, some of activities recorded late into closed hours -- is taken for
// dead once it has been silent for its timeout: the compactor fences it
// and recounts its uncommitted activities from the (target, hour)s it
// declared. Counts equal brute force again without a rebuild, and stay
// exact as the hours close.
TEST_F(MinuteCountsTest, AKilledWritersUncountedActivitiesAreRecountedFromWhatItDeclared) {
  Tracker t = client_->tracker("events");
  const Timestamp day = parse_time("2026-11-03T00:00:00Z");
  record(t, some(300, now() - hours(3), hours(3), 51));
  pass(hours(2));  // 12:30; 7:00 .. 11:00 closed
  {
    std::unique_ptr<store::dynamodb::DynamoStore> victim = writer(seconds(60));
    write(*victim, some(100, now() - minutes(10), minutes(10), 52));
    victim->sync();  // committed
    write(*victim, some(120, now() - minutes(10), minutes(10), 53));
    write(*victim, some(80, day + hours(8), hours(2), 54));  // into closed hours
    victim->abandon_counts();                                // kill -9
  }
  const std::size_t stored = all_.size();
  std::int64_t counted = 0;
  for (const BucketCount& p : t.count_activity({day, day + hours(24)}, Bucket::kHour))
    counted += p.count;
  EXPECT_EQ(counted, static_cast<std::int64_t>(stored) - 200) << "the kill lost no counts";
  EXPECT_EQ(items("k#"), 2) << "the tracker's and the victim's records";

  pass(minutes(2));  // the victim is silent for its timeout: fenced and repaired
  EXPECT_EQ(items("k#", "r"), 1) << "the victim was not repaired";
  expect_exact(t, day, day + hours(24), "repaired");
  expect_exact(t, day + hours(8), day + hours(13), "repaired, by the minute");
  record(t, some(100, now() - minutes(30), minutes(30), 55));
  pass(hours(2), minutes(10));
  EXPECT_EQ(items("z#"), 0);
  expect_exact(t, day, day + hours(24), "repaired, then closed");
}

// Activities without ids of their own carry no tag when their write is
// large: the ids it was about to store are in its intent item. Those with
// ids of their own (another writer may have stored one first), and those
// of small writes (an intent would cost more than it saves), carry the
// tag. A killed writer's uncounted activities of every kind are recounted
// -- and so are those of a writer of before intents, whose items all
// carry the tag.
TEST_F(MinuteCountsTest, AKilledWritersActivitiesAreFoundByIntentOrByTag) {
  Tracker t = client_->tracker("events");
  const Timestamp day = parse_time("2026-11-03T00:00:00Z");
  record(t, some(100, now() - hours(1), hours(1), 81));
  EXPECT_EQ(tagged_activities(), 100) << "a small write's items carry the tag";
  {
    std::unique_ptr<store::dynamodb::DynamoStore> victim = writer(seconds(60));
    write(*victim, some(store::dynamodb::MinuteCounts::kIntentAtLeast + 500, now() - minutes(10),
                        minutes(10), 82));
    write(*victim, some(40, now() - minutes(10), minutes(10), 83), true);
    write(*victim, some(30, now() - minutes(10), minutes(10), 85));  // small
    victim->abandon_counts();                                        // kill -9
  }
  EXPECT_EQ(tagged_activities(), 100 + 70) << "with ids of their own, or of a small write";
  EXPECT_GE(items("n#"), 1) << "the victim's intent";
  {
    // A writer of before intents: its items tagged, and no intent.
    std::unique_ptr<store::dynamodb::DynamoStore> older = writer(seconds(60));
    write(*older, some(30, now() - minutes(10), minutes(10), 84), true);
    older->abandon_counts();
  }
  pass(minutes(2));
  EXPECT_EQ(items("k#", "r"), 2) << "both were repaired";
  expect_exact(t, day, day + hours(24), "repaired");
  expect_exact(t, now() - minutes(15), now(), "repaired, by the minute");
}

// A write whose activities DynamoDB stored but whose answers were lost
// leaves them uncounted until the pipeline writes them again. Its writer
// killed before that, their generation was never committed -- though the
// writer committed later ones -- and the repair counts them.
TEST_F(MinuteCountsTest, ActivitiesStoredByAFailedWriteAreRecountedWhenItsWriterDies) {
  Tracker t = client_->tracker("events");
  const Timestamp day = parse_time("2026-11-03T00:00:00Z");
  record(t, some(100, now() - minutes(30), minutes(30), 71));
  testing::FaultProxy proxy(dynalite_.port(),
                            {"--fault-op", "BatchWriteItem", "--drop-after", "1", "--seed", "3"});
  const std::string u = proxy.store("mc-") + "&counts_layout=minutes&writer_timeout=60";
  std::unique_ptr<store::dynamodb::DynamoStore> victim = store::dynamodb::DynamoStore::open(
      store::dynamodb::parse_dynamo_uri(u), u, false, store::dynamodb::process_environment(),
      [this] { return now(); });
  EXPECT_THROW(write(*victim, some(60, now() - minutes(5), minutes(5), 72)), StoreError);
  // Its heartbeat commits what it can: not the failed write's generation.
  victim->sync();
  victim->abandon_counts();
  victim.reset();
  pass(minutes(2));
  EXPECT_EQ(items("k#", "r"), 1) << "the victim was not repaired";
  expect_exact(t, day, day + hours(24), "repaired");
}

// A writer paused past its timeout is fenced and repaired as if dead; when
// it wakes, what it had gathered meanwhile is not counted twice, and it
// goes on under a new writer number.
TEST_F(MinuteCountsTest, AWriterPausedPastItsTimeoutIsFencedAndGoesOnAsAnother) {
  Tracker t = client_->tracker("events");
  const Timestamp day = parse_time("2026-11-03T00:00:00Z");
  record(t, some(100, now() - minutes(30), minutes(30), 61));
  std::unique_ptr<store::dynamodb::DynamoStore> sleeper = writer(seconds(60));
  write(*sleeper, some(100, now() - minutes(5), minutes(5), 62));
  sleeper->sync();
  write(*sleeper, some(90, now() - minutes(5), minutes(5), 63));  // gathered, not sent
  // Asleep: it misses its heartbeats; the compactor's rounds take it for
  // dead.
  sleeper->pause_counts_task();
  for (int i = 0; i < 5 && items("k#", "r") == 0; ++i) pass(minutes(1));
  ASSERT_EQ(items("k#", "r"), 1) << "the sleeper was never fenced and repaired";
  expect_exact(t, day, day + hours(24), "fenced and repaired while asleep");
  // Awake: its flush sends the minute items of what it had gathered --
  // void, the repair counted those activities -- and then finds the
  // fence; it forgets what it had not committed and goes on as another
  // writer (sync() tries again, as that).
  sleeper->sync();
  EXPECT_GT(items("m#"), 0);
  expect_exact(t, day, day + hours(24), "awake, its void items sent");
  write(*sleeper, some(70, now() - minutes(2), minutes(2), 64));
  sleeper->sync();
  expect_exact(t, day, day + hours(24), "awake, as another writer");
  sleeper.reset();  // a clean stop: everything committed, its record goes
  EXPECT_EQ(items("k#"), 2) << "the tracker's, and the sleeper's first, fenced";
  pass(hours(2), minutes(10));
  expect_exact(t, day, day + hours(24), "awake, closed");
}

// Dropping one table of a tracker's client leaves its writer record behind
// with the table: the writer goes on flushing, beating and committing for
// the others, and their counts fold as before.
TEST_F(MinuteCountsTest, AWriterGoesOnCountingAfterOneOfItsTablesIsDropped) {
  Tracker t = client_->tracker("events");
  Tracker scratch = client_->tracker("scratch");
  const Timestamp day = parse_time("2026-11-03T00:00:00Z");
  record(t, some(100, now() - minutes(30), minutes(30), 71));
  for (int i = 0; i < 50; ++i) scratch.record_activity("a", "/s", {}, now() - minutes(1));
  scratch.flush();
  client_->drop_table("scratch");
  record(t, some(100, now() - minutes(5), minutes(5), 72));
  EXPECT_NO_THROW(client_->flush());
  pass(minutes(5));
  EXPECT_GT(items("o#"), 0) << "nothing folded: the writer stopped committing";
  expect_exact(t, day, day + hours(24), "after the drop, folded");
}

// A rebuild replaces counts at every stage -- closed hours, hours closed
// again, open hours, minute items not folded -- with a recount of the
// activities stored (here: some deleted behind the store's back, some
// recorded with counts off); the compactor closes the hours again from the
// recount, and later activities add to it.
TEST_F(MinuteCountsTest, ARebuildReplacesEveryStageAndTheCompactorClosesFromIt) {
  Tracker t = client_->tracker("events");
  const Timestamp day = parse_time("2026-11-03T00:00:00Z");
  record(t, some(600, now() - hours(3), hours(3), 31));
  pass(hours(2));                                      // 7:00 .. 10:00 closed, 11:00 and 12:00 open
  record(t, some(200, day + hours(8), hours(2), 32));  // closed again, not folded yet
  pass(minutes(3));
  record(t, some(100, now() - minutes(20), minutes(20), 33));  // not folded
  record_uncounted(some(150, day + hours(7), hours(6), 34));
  erase_target("/t/1");
  const Series stale = t.count_activity({day, day + hours(24)}, Bucket::kHour);
  std::int64_t stale_total = 0;
  for (const BucketCount& p : stale) stale_total += p.count;
  EXPECT_NE(stale_total, static_cast<std::int64_t>(all_.size())) << "nothing to rebuild";

  t.rebuild_counts({day, day + hours(24)});
  expect_exact(t, day, day + hours(24), "rebuilt, not closed again");
  expect_exact(t, day + hours(7), day + hours(13), "rebuilt, by the minute");
  pass(minutes(5));
  EXPECT_EQ(items("z#"), 0) << "the rebuilt hours were not closed again";
  expect_exact(t, day, day + hours(24), "rebuilt and closed again");
  expect_exact(t, day + hours(7), day + hours(13), "rebuilt and closed again, by the minute");
  // Later activities, also into the rebuilt hours, add to the recount.
  record(t, some(200, day + hours(7), hours(6), 35));
  expect_exact(t, day, day + hours(24), "rebuilt, then more");
  pass(hours(3), minutes(10));
  expect_exact(t, day, day + hours(24), "rebuilt, then more, closed");
  expect_exact(t, day + hours(7), day + hours(13), "rebuilt, then more, by the minute");
}

// A rebuild that finds an hour of a closed day empty (its only target's
// activities expired): the hour's list drops to nothing, and the day's
// list, whose version sums its hours' (the empty one's too), follows it.
TEST_F(MinuteCountsTest, ARebuildThatEmptiesAnHourReachesTheDaysList) {
  Tracker t = client_->tracker("events");
  record(t, some(100, now() - minutes(30), minutes(30), 1));
  pass(hours(2));
  const Timestamp day = parse_time("2026-10-27T00:00:00Z");  // last week: closed
  record(t, some(300, day + hours(7), hours(1), 36));        // 7:00, /t/*
  std::vector<Recorded> alone;
  for (int i = 0; i < 40; ++i) alone.push_back({"a" + std::to_string(i), "/alone", day + hours(9)});
  record(t, alone);  // 9:00, /alone only
  pass(minutes(10));
  ASSERT_EQ(items("z#"), 0) << "the late hours were not closed again";
  expect_exact(t, day, day + hours(24), "closed");
  erase_target("/alone");
  t.rebuild_counts({day, day + hours(24)});
  pass(minutes(5));
  EXPECT_EQ(items("z#"), 0) << "the rebuilt hours were not closed again";
  expect_exact(t, day, day + hours(24), "rebuilt, 9:00 empty");
}

// A rebuild that lands while a compactor round, having found no hours to
// close again, is about to clear `dirty`: the round must leave it set, or
// readers take the hours' old closed items for the rebuilt ones until the
// next round closes them again.
TEST_F(MinuteCountsTest, ARebuildDuringACompactorRoundThatClearsDirtyIsRead) {
  Tracker t = client_->tracker("events");
  const Timestamp day = parse_time("2026-11-03T00:00:00Z");
  record(t, some(300, now() - hours(3), hours(3), 51));
  pass(hours(2));                                             // 7:00 .. 10:00 closed
  record_uncounted(some(100, day + hours(7), hours(3), 52));  // into closed hours
  record(t, some(50, day + hours(8), hours(1), 53));  // late: closed again, then dirty clears
  EXPECT_NE(t.count_activity({day, day + hours(24)}, Bucket::kDay).front().count,
            static_cast<std::int64_t>(all_.size()))
      << "nothing to rebuild";
  expect_rebuilt_at(store::dynamodb::MinuteCounts::RoundStage::kClearingDirty, t, day,
                    day + hours(7), seconds(10));
}

// A rebuild that lands while a compactor round closes an hour in turn,
// from what the hour's o# item held before the rebuild: the hour ended,
// so the rebuild marks it to be closed again, though the progress item it
// read did not have it closed yet.
TEST_F(MinuteCountsTest, ARebuildDuringAnHoursCloseInTurnIsRead) {
  Tracker t = client_->tracker("events");
  const Timestamp day = parse_time("2026-11-03T00:00:00Z");
  record(t, some(300, now() - minutes(30), minutes(30), 61));         // the open hour, counted
  record_uncounted(some(100, now() - minutes(30), minutes(30), 62));  // the same hour
  expect_rebuilt_at(store::dynamodb::MinuteCounts::RoundStage::kHourClosed, t, day, day + hours(9),
                    seconds(25));
}

// Counts kept 30 days. An import of last week closes its hours and days
// again, as without retention (the day items' update then also sets
// their expiry).
TEST_F(MinuteCountsTest, CountsRetentionClosesLateHoursAgain) {
  Tracker t = keeping_counts_30_days();
  const Timestamp week_ago = now() - hours(24 * 7);
  record(t, some(300, week_ago, hours(30), 3));
  pass(minutes(10));
  EXPECT_EQ(items("z#"), 0) << "hours of last week were not closed again";
  expect_exact(t, week_ago - hours(1), week_ago + hours(31), "last week, closed again");
}

// Counts kept 30 days, and a day whose first hours are past that while
// its last are not. DynamoDB's TTL removes an expired list's pages one by
// one: page 0 of an early hour's two pages is left alone. Closing the
// day's last hour again (an import into it) ranks the day, which must
// take the expired hour's remains for nothing rather than fail every
// compactor round until TTL takes page 0 too.
TEST_F(MinuteCountsTest, AListTTLHalfRemovedDoesNotStopTheCompactor) {
  Tracker t = keeping_counts_30_days();
  const Timestamp day = parse_time("2026-10-04T00:00:00Z");  // its 0:00 past 30 days, 23:00 not
  std::vector<Recorded> early;
  for (int i = 0; i < 300; ++i)
    early.push_back({"a" + std::to_string(i % 7), "/early/" + std::to_string(i), day + seconds(i)});
  record(t, early);
  record(t, some(50, day + hours(23), minutes(30), 6));
  pass(minutes(10));
  ASSERT_EQ(items("z#"), 0) << "the imported hours were not closed again";
  const std::string early_list =
      "T#" + std::to_string(day.time_since_epoch().count() / 3'600'000'000);
  ASSERT_EQ(items(early_list), 2) << "300 targets are two pages";
  using store::dynamodb::Attr;
  send_raw("DeleteItem",
           store::dynamodb::DeleteItemRequest{
               "mc-events.counts", {{"key", Attr::s(early_list)}, {"start", Attr::n(1)}}, {}}
               .body());

  record(t, some(50, day + hours(23), minutes(30), 7));
  pass(minutes(10));
  EXPECT_EQ(items("z#"), 0) << "23:00 was not closed again";
  // (Not expect_exact(): its day buckets would hold 0:00, past retention.)
  const Series late = t.count_activity({day + hours(23), day + hours(24)}, Bucket::kHour);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].count, 100);
  std::int64_t listed = 0;
  for (const TargetCount& c : t.top_targets({day + hours(23), day + hours(24)}, 100))
    listed += c.count;
  EXPECT_EQ(listed, 100) << "23:00's list";
}

// Counts kept 30 days, and an import of two months ago, past that: its
// hours are not folded (no reader looks there). A mark that waits for an
// hour to be closed again once its o# item has expired -- left by a fold
// whose close did not come in time -- goes, and readers stop looking for
// marks.
TEST_F(MinuteCountsTest, HoursPastCountsRetentionLeaveNoMarkBehind) {
  Tracker t = keeping_counts_30_days();
  const Timestamp long_ago = now() - hours(24 * 60);
  const std::int64_t old_hour = long_ago.time_since_epoch().count() / 3'600'000'000;
  record(t, some(300, long_ago, hours(30), 2));
  pass(minutes(5));
  EXPECT_EQ(items("o#" + std::to_string(old_hour) + "#"), 0)
      << "an hour past counts retention was folded";
  EXPECT_EQ(items("z#"), 0);

  // A mark whose o# item is gone, and `dirty` set for it.
  using store::dynamodb::Attr;
  const std::string mark = store::dynamodb::attrs_json(
      {{"key", Attr::s(std::string(store::dynamodb::kDirtyKey))},
       {"start", Attr::n(store::dynamodb::dirty_item_start(old_hour, 7))},
       {"w", Attr::n(old_hour * 60 + 30)}});
  send_raw("PutItem", store::dynamodb::PutItemRequest{"mc-events.counts", mark, {}}.body());
  send_raw(
      "UpdateItem",
      store::dynamodb::UpdateItemRequest{
          "mc-events.counts",
          {{"key", Attr::s(std::string(store::dynamodb::kProgressKey))}, {"start", Attr::n(0)}},
          {"SET #d = :one", {{"#d", "dirty"}}, {{":one", Attr::n(1)}}},
          {}}
          .body());
  ASSERT_EQ(items("z#"), 1);
  ASSERT_TRUE(progress_dirty());
  pass(minutes(2));
  EXPECT_EQ(items("z#"), 0) << "a mark of an hour past counts retention stayed";
  EXPECT_FALSE(progress_dirty()) << "readers go on looking for marks";
  EXPECT_EQ(items("T#" + std::to_string(old_hour)), 0) << "an expired hour was ranked again";
  expect_exact(t, now() - hours(4), now(), "the counts kept");
}

// A table counted in the per-target layout moves to the minutes layout at
// the marker the first store that moves tables sets (the hour after next):
// hours before it stay per target, later ones are counted by the minute,
// also by processes that keep the per-target layout, and every count,
// distinct actor and top list across the marker equals brute force --
// with activities recorded late on both sides, and after a rebuild.
TEST_F(MinuteCountsTest, ATableCountedPerTargetMovesToTheMinutesLayoutAtItsMarker) {
  ClientOptions options;
  options.clock = [this] { return now(); };
  const std::string per_target = dynalite_.store("mc-") + "&counts_layout=per_target";
  const Timestamp day = parse_time("2026-11-03T00:00:00Z");
  {
    Client old = Client::open(per_target, options);
    Tracker o = old.tracker("events");
    record(o, some(300, day + hours(6), hours(4), 41));
    record(o, some(50, now() - minutes(10), minutes(10), 42));
  }
  EXPECT_EQ(items("m#"), 0);
  Tracker t = client_->tracker("events");  // 10:30: marks the table at 12:00
  const TableInfo info = client_->describe_table("events");
  const auto layout = std::find_if(info.details.begin(), info.details.end(),
                                   [](const auto& d) { return d.first == "counts layout"; });
  ASSERT_NE(layout, info.details.end());
  EXPECT_EQ(layout->second,
            "per target before 2026-11-03T12:00:00.000000Z, by the minute from then on");
  record(t, some(100, now() - minutes(20), minutes(20), 43));
  EXPECT_EQ(items("m#"), 0) << "hours before the marker were counted by the minute";
  expect_exact(t, day, day + hours(24), "moved, before its marker");

  pass(hours(2), minutes(10));  // 12:30
  record(t, some(200, day + hours(12), minutes(30), 44));
  EXPECT_GT(items("m#"), 0);
  {
    // A process that keeps the per-target layout follows the marker too.
    Client old = Client::open(per_target, options);
    Tracker o = old.tracker("events");
    record(o, some(150, day + hours(11), hours(1) + minutes(30), 45));
  }
  expect_exact(t, day, day + hours(24), "across the marker");
  expect_exact(t, day + hours(10), day + hours(13), "across the marker, by the minute");
  pass(hours(3), minutes(10));
  expect_exact(t, day, day + hours(24), "across the marker, closed");
  expect_exact(t, day - hours(24), day + hours(48), "days across the marker");
  record(t, some(300, day + hours(8), hours(8), 46));  // late, on both sides
  pass(minutes(5));
  expect_exact(t, day, day + hours(24), "late on both sides");

  erase_target("/t/1");
  t.rebuild_counts({day, day + hours(24)});
  expect_exact(t, day, day + hours(24), "rebuilt across the marker");
  pass(minutes(5));
  expect_exact(t, day, day + hours(24), "rebuilt across the marker, closed again");
  expect_exact(t, day + hours(10), day + hours(14), "rebuilt across the marker, by the minute");
}

}  // namespace
}  // namespace cctv
