// The `cctv` command on DynamoDB (dynalite), and data moving between stores.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "cctv/cctv.h"
#include "cctv/json.h"
#include "e2e/cli.h"
#include "support/http.h"
#include "support/server_process.h"

namespace cctv::testing {
namespace {

class CliDynamoTest : public CliTest {
 protected:
  RunResult on(const std::string& store, std::vector<std::string> args,
               const std::string& in = "") {
    args.insert(args.begin(), {CCTV_BINARY, "--store", store});
    RunOptions options;
    options.stdin_data = in;
    return run(args, options);
  }
  void three_imports_at_once(const std::string& layout);

  Dynalite dynalite_;
  std::string dynamo_ = dynalite_.store("cli-");
};

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST_F(CliDynamoTest, RecordViewAndTables) {
  const RunResult id =
      on(dynamo_, {"record", "store-pageviews", "bob", "/store/products/organic-goji-berries",
                   "customer_status=VIP", "referred_by=AdWords", "browser=Chrome"});
  ASSERT_EQ(id.exit_code, 0) << id.err;
  const RunResult view = on(dynamo_, {"view", "store-pageviews", "--actor", "bob", "-f", "ndjson"});
  ASSERT_EQ(view.exit_code, 0) << view.err;
  const Activity a = activity_from_json(lines(view.out).at(0));
  EXPECT_EQ(format_id(a.id) + "\n", id.out);
  EXPECT_EQ(
      a.attributes,
      (Attributes{{"customer_status", "VIP"}, {"referred_by", "AdWords"}, {"browser", "Chrome"}}));
  EXPECT_EQ(on(dynamo_, {"tables"}).out, "store-pageviews\n");
  const std::string described = on(dynamo_, {"tables", "describe", "store-pageviews"}).out;
  EXPECT_NE(described.find("actor-index"), std::string::npos) << described;
  EXPECT_NE(described.find("PAY_PER_REQUEST"), std::string::npos) << described;
  EXPECT_EQ(on(dynamo_, {"tables", "drop", "store-pageviews", "--yes"}).exit_code, 0);
  EXPECT_EQ(on(dynamo_, {"tables"}).out, "");
}

TEST_F(CliDynamoTest, CountTopRetentionAndRebuild) {
  ASSERT_EQ(
      on(dynamo_, {"tables", "create", "visits", "--retention", "90d", "--counts-retention", "1y"})
          .exit_code,
      0);
  std::string input;
  for (int i = 0; i < 30; ++i) {
    input += R"({"actor":"u)" + std::to_string(i % 4) + R"(","target":"/p/)" +
             std::to_string(i % 3) + R"(","time":"2026-11-01T10:)" + (i < 10 ? "0" : "") +
             std::to_string(i) + R"(:00Z","id":")" + format_id(0x700 + static_cast<ActivityId>(i)) +
             "\"}\n";
  }
  // Imported twice: counted once.
  ASSERT_EQ(on(dynamo_, {"import", "visits", "-"}, input).exit_code, 0);
  ASSERT_EQ(on(dynamo_, {"import", "visits", "-"}, input).exit_code, 0);
  const RunResult count =
      on(dynamo_, {"count", "visits", "--bucket", "hour", "--from", "2026-11-01T09:00:00Z", "--to",
                   "2026-11-01T11:00:00Z", "--unique", "--format", "json"});
  ASSERT_EQ(count.exit_code, 0) << count.err;
  EXPECT_EQ(
      count.out,
      R"({"bucket":"hour","series":[{"start":"2026-11-01T09:00:00Z","count":0,"unique_actors":0},)"
      R"({"start":"2026-11-01T10:00:00Z","count":30,"unique_actors":4}]})"
      "\n");
  const RunResult top = on(dynamo_, {"top", "visits", "--from", "2026-11-01T10:00:00Z", "--to",
                                     "2026-11-01T10:10:00Z", "--format", "json"});
  EXPECT_EQ(top.out, R"({"targets":[{"target":"/p/0","count":4},{"target":"/p/1","count":3},)"
                     R"({"target":"/p/2","count":3}]})"
                     "\n")
      << top.err;
  const std::string described = on(dynamo_, {"tables", "describe", "visits"}).out;
  EXPECT_NE(described.find("90 days"), std::string::npos) << described;
  EXPECT_NE(described.find("365 days"), std::string::npos) << described;
  EXPECT_NE(described.find("visits.counts"), std::string::npos) << described;
  const RunResult rebuild =
      on(dynamo_, {"counts", "rebuild", "visits", "--from", "2026-11-01", "--to", "2026-11-02"});
  EXPECT_EQ(rebuild.exit_code, 0) << rebuild.err;
  EXPECT_EQ(on(dynamo_, {"count", "visits", "--target", "/p/1", "--bucket", "day", "--from",
                         "2026-11-01", "--to", "2026-11-02", "--format", "csv"})
                .out,
            "start,count\n2026-11-01T00:00:00Z,10\n");
  // The counts table is no table of its own.
  EXPECT_EQ(on(dynamo_, {"tables"}).out, "visits\n");
}

TEST_F(CliDynamoTest, ExportImportAcrossStoresIsIdentical) {
  // Data both stores keep exactly: DynamoDB numbers are decimals, so no
  // whole-valued doubles here (docs/dynamodb.md).
  std::mt19937 rng(3);
  std::string input;
  for (int i = 0; i < 1500; ++i) {
    Activity a{"user" + std::to_string(rng() % 40),
               "/p/" + std::to_string(rng() % 30) + (i % 9 ? "" : "/caf\xc3\xa9"),
               parse_time("2026-11-01T10:00:00Z") + std::chrono::milliseconds(rng() % 100'000),
               0x5000 + static_cast<ActivityId>(i),
               {{"n", i},
                {"price", i + 0.25},
                {"vip", i % 3 == 0},
                {"tags", List{"a", nullptr}},
                {"m", Map{{"k", "v"}}}}};
    input += to_json(a) + "\n";
  }
  const std::string rocks1 = dir_.store("one"), rocks2 = dir_.store("two");
  ASSERT_EQ(on(rocks1, {"import", "events", "-"}, input).exit_code, 0);
  const std::string first = on(rocks1, {"export", "events"}).out;
  ASSERT_EQ(lines(first).size(), 1500u);

  const RunResult into_dynamo = on(dynamo_, {"import", "events", "-"}, first);
  ASSERT_EQ(into_dynamo.exit_code, 0) << into_dynamo.err;
  const std::string from_dynamo = on(dynamo_, {"export", "events"}).out;
  EXPECT_EQ(sorted(lines(from_dynamo)), sorted(lines(first)));

  ASSERT_EQ(on(rocks2, {"import", "events", "-"}, from_dynamo).exit_code, 0);
  EXPECT_EQ(sorted(lines(on(rocks2, {"export", "events"}).out)), sorted(lines(first)));

  // Importing again into DynamoDB stores nothing twice.
  ASSERT_EQ(on(dynamo_, {"import", "events", "-"}, first).exit_code, 0);
  EXPECT_EQ(lines(on(dynamo_, {"export", "events"}).out).size(), 1500u);

  // Views page the same way on both.
  for (const std::string& store : {rocks1, dynamo_}) {
    const RunResult all = on(store, {"view", "events", "--target", "/p/7", "--limit", "3", "--all",
                                     "--from", "2026-11-01", "--to", "2026-11-02", "-f", "ndjson"});
    ASSERT_EQ(all.exit_code, 0) << all.err;
    EXPECT_EQ(all.out, on(rocks2, {"view", "events", "--target", "/p/7", "--limit", "1000",
                                   "--from", "2026-11-01", "--to", "2026-11-02", "-f", "ndjson"})
                           .out);
  }
}

// `cctv bench` on DynamoDB keeps counts unless --counts off, and says
// which it did. Its warm-up is recorded (and counted) too.
TEST_F(CliDynamoTest, BenchHonoursCountsOnAndOff) {
  const auto bench = [&](const std::string& counts) {
    const RunResult r =
        run({CCTV_BINARY, "--store", dynamo_, "bench", "-n", "300", "--warmup", "40", "--queries",
             "3", "--keep", "--format", "json", "--counts", counts});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return value_from_json(r.out);
  };
  // The benchmark's activities lie from 2026-01-01 on, minutes at most.
  const auto counted = [&](const std::string& table) {
    const Value series =
        value_from_json(ok({"--store", dynamo_, "count", table, "--bucket", "day", "--from",
                            "2026-01-01", "--to", "2026-01-03", "--format", "json"}));
    std::int64_t n = 0;
    for (const Value& p : series.find("series")->as_list()) n += p.find("count")->as_int();
    return n;
  };
  const Value on = bench("on");
  EXPECT_TRUE(on.find("counts")->as_bool());
  EXPECT_EQ(on.find("warmup")->as_int(), 40);
  EXPECT_EQ(counted(on.find("table")->as_string()), 340);
  const Value off = bench("off");
  EXPECT_FALSE(off.find("counts")->as_bool());
  EXPECT_EQ(counted(off.find("table")->as_string()), 0) << "--counts off wrote counts";
}

TEST_F(CliDynamoTest, BenchReportsCapacityAndCostAndFollowsTheDistribution) {
  const RunResult r = run({CCTV_BINARY, "--store", dynamo_, "bench", "-n", "250", "--queries", "2",
                           "--keep", "--format", "json", "--counts", "off", "--targets", "50",
                           "--distribution", "zipf", "--warmup", "100"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Value report = value_from_json(r.out);
  EXPECT_EQ(report.find("distribution")->as_string(), "zipf");
  // Every item is under 1 KB: one write unit, and one for the actor index.
  // The warm-up's 100 are not charged to the 250 timed (that would be 2.8).
  EXPECT_DOUBLE_EQ(report.find("write_units_per_activity")->as_number(), 2.0);
  EXPECT_DOUBLE_EQ(report.find("read_units_per_activity")->as_number(), 0.0);
  EXPECT_DOUBLE_EQ(report.find("usd_per_million_activities")->as_number(), 2.0 * 0.625);
  EXPECT_GE(report.find("requests_per_1000")->as_number(), 40.0);  // 25 items a request
  EXPECT_GT(report.find("read_units_per_view")->as_number(), 0.0);
  // Zipf's law over 50 targets: the first takes about 22% of the
  // activities, the last about 0.5%.
  const auto on = [&](const std::string& target) {
    const Value page =
        value_from_json(ok({"--store", dynamo_, "view", report.find("table")->as_string(),
                            "--target", target, "--limit", "1000", "--format", "json"}));
    return page.find("activities")->as_list().size();
  };
  const std::size_t busiest = on("/store/products/0");
  EXPECT_GT(busiest, 30u);
  EXPECT_GT(busiest, 5 * on("/store/products/49"));

  const RunResult bad = run({CCTV_BINARY, "--store", dynamo_, "bench", "--distribution", "pareto"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("--distribution"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("uniform or zipf"), std::string::npos) << bad.err;
}

// Three processes import into one table at once, through lost answers,
// throttling, 500s and unprocessed items: two of them the same 1,000
// activities with ids (a re-import racing the import), one activities
// without ids. Every activity is stored once and counted once. `layout`:
// store URI parameters for the counts layout.
void CliDynamoTest::three_imports_at_once(const std::string& layout) {
  FaultProxy proxy(dynalite_.port(), {"--drop-after", "0.1", "--throttle", "0.05", "--http500",
                                      "0.05", "--unprocessed", "0.1", "--seed", "11"});
  const std::string store = proxy.store("mp-") + layout;
  ASSERT_EQ(on(store, {"tables", "create", "events"}).exit_code, 0);
  const Timestamp base = parse_time("2026-11-01T00:00:00Z");
  auto line = [&](int i, bool with_id) {
    Map a{{"actor", "user" + std::to_string(i % 300)},
          {"target", "/p/" + std::to_string(i % 23)},
          {"time", format_time(base + std::chrono::seconds(i * 3))}};
    if (with_id) a.emplace_back("id", format_id(static_cast<ActivityId>(1'000'000 + i)));
    return to_json(Value(std::move(a))) + "\n";
  };
  std::string first, second, third;
  for (int i = 0; i < 3000; ++i) first += line(i, true);
  for (int i = 2000; i < 5000; ++i) second += line(i, true);
  for (int i = 5000; i < 8000; ++i) third += line(i, false);
  std::vector<RunResult> results(3);
  std::vector<std::thread> imports;
  const std::vector<std::string*> inputs{&first, &second, &third};
  for (std::size_t k = 0; k < 3; ++k) {
    imports.emplace_back([&, k] { results[k] = on(store, {"import", "events", "-"}, *inputs[k]); });
  }
  for (auto& t : imports) t.join();
  for (const RunResult& r : results) ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(value_from_json(proxy.stats()).find("drop_after")->as_int(), 5);

  Client direct = Client::open(dynalite_.store("mp-") + layout);
  Tracker events = direct.tracker("events");
  std::map<std::string, std::int64_t> stored;
  std::set<std::string> actors;
  events.for_each_activity({}, [&](const Activity& a) {
    ++stored[a.target];
    actors.insert(a.actor);
  });
  std::int64_t total = 0;
  for (const auto& [target, n] : stored) total += n;
  EXPECT_EQ(total, 8000);
  const TimeRange days{base, base + std::chrono::hours(48)};
  EXPECT_EQ(events.count_activity(days, Bucket::kDay).at(0).count +
                events.count_activity(days, Bucket::kDay).at(1).count,
            total);
  for (const auto& [target, n] : stored) {
    std::int64_t counted = 0;
    for (const auto& p : events.count_activity(target, days, Bucket::kDay)) counted += p.count;
    EXPECT_EQ(counted, n) << target;
  }
  const std::vector<TargetCount> top = events.top_targets(days, 3);
  ASSERT_EQ(top.size(), 3u);
  std::vector<std::pair<std::int64_t, std::string>> ranked;
  for (const auto& [target, n] : stored) ranked.emplace_back(-n, target);
  std::sort(ranked.begin(), ranked.end());
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(top[i], (TargetCount{ranked[i].second, -ranked[i].first}));
  }
  const std::int64_t unique = events.count_unique_actors(days, Bucket::kDay).at(0).count;
  EXPECT_NEAR(static_cast<double>(unique), static_cast<double>(actors.size()),
              0.02 * static_cast<double>(actors.size()));
}

TEST_F(CliDynamoTest, ThreeImportsAtOnceThroughFaultsCountEveryActivityOncePerTarget) {
  three_imports_at_once("&counts_layout=per_target");
}

TEST_F(CliDynamoTest, ThreeImportsAtOnceThroughFaultsCountEveryActivityOnceByTheMinute) {
  three_imports_at_once("");
}

// `cctv import` killed mid-run on a table counted by the minute: what
// DynamoDB stored stays, and the counts gathered since the last send (up
// to 30 s) die with the process. Once the import has been silent for its
// writer_timeout, the compactor of another process (here `cctv serve`)
// recounts them from the activities it declared, and the counts equal
// what is stored -- without a rebuild. `cctv counts rebuild` gives the
// same counts.
TEST_F(CliDynamoTest, AnImportKilledMidRunIsCountedExactlyOnceTakenForDead) {
  const std::string store = dynamo_ + "&writer_timeout=5";
  constexpr int kLines = 150'000;
  const std::string file = dir_.file("many.ndjson");
  {
    std::ofstream out(file);
    for (int i = 0; i < kLines; ++i) {
      out << R"({"actor":"u)" << i % 997 << R"(","target":"/p/)" << i % 37
          << R"(","time":"2026-11-01T)" << 10 + i % 3 << ":" << (i / 7) % 50 + 10 << R"(:00Z"})"
          << "\n";
    }
  }
  ASSERT_EQ(on(store, {"tables", "create", "killed"}).exit_code, 0);
  const pid_t pid = start_silenced({CCTV_BINARY, "--store", store, "import", "killed", file});
  ASSERT_GT(pid, 0);
  auto stored = [&] { return lines(on(store, {"export", "killed"}).out).size(); };
  // Killed once DynamoDB holds some of it.
  for (int i = 0; i < 600 && stored() < 2'000; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the import finished before it was killed";
  const std::size_t kept = stored();
  ASSERT_GT(kept, 0u);
  ASSERT_LT(kept, static_cast<std::size_t>(kLines));
  const std::vector<std::string> day = {"--from",     "2026-11-01", "--to",
                                        "2026-11-02", "--format",   "json"};
  auto counted = [&](const std::string& target) {
    std::vector<std::string> args = {"count", "killed", "--bucket", "day"};
    if (!target.empty()) args.insert(args.end(), {"--target", target});
    args.insert(args.end(), day.begin(), day.end());
    const RunResult r = on(store, args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    if (r.exit_code != 0) return std::int64_t{-1};
    std::int64_t n = 0;
    const Value series = value_from_json(r.out);
    for (const Value& p : series.find("series")->as_list()) n += p.find("count")->as_int();
    return n;
  };
  EXPECT_LE(counted(""), static_cast<std::int64_t>(kept)) << "counted what was never stored";
  std::map<std::string, std::int64_t> per_target;
  for (const std::string& line : lines(on(store, {"export", "killed"}).out))
    ++per_target[activity_from_json(line).target];

  // A process whose compactor takes the import for dead and repairs it
  // (once the lease the import held has run out too).
  ServerProcess serve({CCTV_BINARY, "--store", store, "serve", "--listen", "127.0.0.1:0"});
  ASSERT_EQ(http_request(serve.port(), "GET", "/v1/killed/activities?limit=1").status, 200);
  std::int64_t repaired = counted("");
  for (int i = 0; i < 180 && repaired != static_cast<std::int64_t>(kept); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    repaired = counted("");
  }
  EXPECT_EQ(repaired, static_cast<std::int64_t>(kept)) << "never repaired";
  for (const std::string target : {"/p/0", "/p/17", "/p/36"})
    EXPECT_EQ(counted(target), per_target[target]) << target;
  EXPECT_EQ(serve.terminate(), 0);

  const RunResult rebuild =
      on(store, {"counts", "rebuild", "killed", "--from", "2026-11-01", "--to", "2026-11-02"});
  ASSERT_EQ(rebuild.exit_code, 0) << rebuild.err;
  EXPECT_EQ(counted(""), static_cast<std::int64_t>(kept));
  for (const std::string target : {"/p/0", "/p/17", "/p/36"})
    EXPECT_EQ(counted(target), per_target[target]) << target;
}

TEST_F(CliDynamoTest, MissingCredentialsListWhereCctvLooked) {
  RunOptions options;
  options.environment = {"HOME=" + dir_.path().string(),
                         "AWS_ACCESS_KEY_ID=",
                         "AWS_SECRET_ACCESS_KEY=",
                         "AWS_PROFILE=",
                         "AWS_REGION=",
                         "AWS_DEFAULT_REGION=",
                         "AWS_ENDPOINT_URL=",
                         "AWS_ENDPOINT_URL_DYNAMODB=",
                         "AWS_SHARED_CREDENTIALS_FILE=",
                         "AWS_CONFIG_FILE="};
  const RunResult r = run({CCTV_BINARY, "--store", "dynamodb://eu-west-1", "tables"}, options);
  EXPECT_EQ(r.exit_code, 1) << "configuration missing is not a bad command line";
  EXPECT_NE(r.err.find("DynamoDB credentials: none found; looked in:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(dir_.path().string() + "/.aws/credentials"), std::string::npos) << r.err;
  const RunResult bad =
      run({CCTV_BINARY, "--store", "dynamodb://eu-west-1?colour=red", "tables"}, options);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("unknown parameter 'colour'"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace cctv::testing
