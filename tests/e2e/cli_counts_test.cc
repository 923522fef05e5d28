// `cctv count`, `cctv top` and `cctv counts rebuild`, run as a user runs them.
#include <gtest/gtest.h>

#include <algorithm>

#include "cctv/json.h"
#include "e2e/cli.h"

namespace cctv::testing {
namespace {

// 60 activities on 2026-11-01, one a minute from 10:00 to 10:59, by 5
// actors: /a at odd minutes (30), /c at every sixth (10), /b the rest (20).
std::string sample_ndjson() {
  std::string out;
  for (int m = 0; m < 60; ++m) {
    const std::string target = m % 2 == 1 ? "/a" : m % 6 == 0 ? "/c" : "/b";
    char time[32];
    std::snprintf(time, sizeof time, "2026-11-01T10:%02d:30Z", m);
    out += "{\"actor\":\"u" + std::to_string(m % 5) + "\",\"target\":\"" + target + "\",\"time\":\"" + time + "\"}\n";
  }
  return out;
}

TEST_F(CliTest, CountPrintsASeriesAsJsonCsvAndAChart) {
  ok({"import", "events", "-"}, sample_ndjson());
  const Value json = value_from_json(
      ok({"count", "events", "--bucket", "hour", "--from", "2026-11-01T09:00Z", "--to", "2026-11-01T12:00Z",
          "--unique", "--format", "json"}));
  EXPECT_EQ(json.find("bucket")->as_string(), "hour");
  const List& series = json.find("series")->as_list();
  ASSERT_EQ(series.size(), 3u);
  EXPECT_EQ(series[0].find("start")->as_string(), "2026-11-01T09:00:00Z");
  EXPECT_EQ(series[0].find("count")->as_int(), 0);
  EXPECT_EQ(series[1].find("start")->as_string(), "2026-11-01T10:00:00Z");
  EXPECT_EQ(series[1].find("count")->as_int(), 60);
  EXPECT_EQ(series[1].find("unique_actors")->as_int(), 5);
  // One target, by minute, as CSV.
  const auto csv = lines(ok({"count", "events", "-t", "/c", "-b", "minute", "--from", "2026-11-01T10:00Z", "--to",
                             "2026-11-01T10:04Z", "-f", "csv"}));
  EXPECT_EQ(csv, (std::vector<std::string>{"start,count", "2026-11-01T10:00:00Z,1", "2026-11-01T10:01:00Z,0",
                                           "2026-11-01T10:02:00Z,0", "2026-11-01T10:03:00Z,0"}));
  // For people: a bar per bucket, scaled to the busiest, and a total.
  const auto chart = lines(ok({"count", "events", "-b", "hour", "--from", "2026-11-01T09:00Z", "--to",
                               "2026-11-01T12:00Z"}));
  ASSERT_EQ(chart.size(), 5u);
  EXPECT_NE(chart[0].find("COUNT"), std::string::npos);
  EXPECT_NE(chart[2].find("█"), std::string::npos);
  EXPECT_EQ(chart[1].find("█"), std::string::npos);
  EXPECT_EQ(chart[4], "60 activities in 3 hours (all targets)");
  const auto one = lines(ok({"count", "events", "-t", "/c", "-b", "minute", "--from",
                             "2026-11-01T10:00Z", "--to", "2026-11-01T10:01Z"}));
  EXPECT_EQ(one.back(), "1 activity in 1 minute on /c");
  // Days at a UTC offset: at -11:00 the activities fall on local October 31.
  const Value shifted = value_from_json(ok({"count", "events", "-b", "day", "--from", "2026-10-31", "--to",
                                            "2026-11-02", "--utc-offset", "-11:00", "-f", "json"}));
  const List& days = shifted.find("series")->as_list();
  ASSERT_EQ(days.size(), 3u);
  EXPECT_EQ(days[0].find("start")->as_string(), "2026-10-30T11:00:00Z");
  EXPECT_EQ(days[1].find("count")->as_int(), 60);
}

TEST_F(CliTest, TopListsTheBusiestTargetsFirst) {
  ok({"import", "events", "-"}, sample_ndjson());
  const Value json =
      value_from_json(ok({"top", "events", "--from", "2026-11-01", "--to", "2026-11-02", "-f", "json"}));
  const List& targets = json.find("targets")->as_list();
  ASSERT_EQ(targets.size(), 3u);
  EXPECT_EQ(targets[0].find("target")->as_string(), "/a");
  EXPECT_EQ(targets[0].find("count")->as_int(), 30);
  EXPECT_EQ(targets[1].find("target")->as_string(), "/b");
  EXPECT_EQ(targets[1].find("count")->as_int(), 20);
  EXPECT_EQ(targets[2].find("count")->as_int(), 10);
  const auto limited = lines(ok({"top", "events", "--from", "2026-11-01T10:30Z", "--to", "2026-11-01T10:40Z",
                                 "--limit", "1", "-f", "csv"}));
  EXPECT_EQ(limited, (std::vector<std::string>{"target,count", "/a,5"}));
  // Without --from: the 24 hours before --to.
  EXPECT_EQ(lines(ok({"top", "events", "--to", "2026-11-01T11:00Z", "--limit", "1", "-f", "csv"})),
            (std::vector<std::string>{"target,count", "/a,30"}));
  const auto table = lines(ok({"top", "events", "--from", "2026-11-01", "--to", "2026-11-02"}));
  ASSERT_EQ(table.size(), 4u);
  EXPECT_NE(table[1].find("/a"), std::string::npos);
}

TEST_F(CliTest, CountsRebuildRecountsATableFilledWithoutCounts) {
  const std::string plain = store_ + "?counts=off";
  RunOptions with_input;
  with_input.stdin_data = sample_ndjson();
  RunResult r = run({CCTV_BINARY, "--store", plain, "import", "events", "-"}, with_input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> day = {"count", "events", "-b", "day", "--from", "2026-11-01", "--to",
                                        "2026-11-02", "-f", "csv"};
  EXPECT_EQ(lines(ok(day)), (std::vector<std::string>{"start,count", "2026-11-01T00:00:00Z,0"}));
  r = cctv({"counts", "rebuild", "events", "--from", "2026-11-01", "--to", "2026-11-02"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("rebuilt the counts of events"), std::string::npos);
  EXPECT_EQ(lines(ok(day)), (std::vector<std::string>{"start,count", "2026-11-01T00:00:00Z,60"}));
}

TEST_F(CliTest, BadCountArgumentsSayWhatIsWrong) {
  ok({"record", "events", "bob", "/x"});
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  for (const Case& c : {Case{{"count", "events", "--bucket", "week"}, "must be minute, hour or day"},
                        Case{{"count", "events", "--utc-offset", "+25"}, "utc_offset"},
                        Case{{"count", "events", "--utc-offset", "five"}, "--utc-offset"},
                        Case{{"count", "events", "-b", "minute", "--from", "-1y"}, "time"},
                        Case{{"count", "events", "-b", "minute", "--from", "2020-01-01"}, "minute buckets"},
                        Case{{"count", "events", "-f", "ndjson"}, "--format"},
                        Case{{"top", "events", "--limit", "0"}, "limit"},
                        Case{{"count", "nope"}, "does not exist"}}) {
    const RunResult r = cctv(c.args);
    EXPECT_NE(r.exit_code, 0) << c.args[2];
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
  }
}

TEST_F(CliTest, TablesKeepARetentionAndChangeIt) {
  ok({"tables", "create", "logs", "--retention", "90d", "--counts-retention", "1y"});
  Value info = value_from_json(ok({"tables", "describe", "logs", "--format", "json"}));
  const Value* details = info.find("details");
  ASSERT_NE(details, nullptr);
  EXPECT_EQ(details->find("activities kept")->as_string(), "90 days");
  EXPECT_EQ(details->find("counts kept")->as_string(), "365 days");
  ok({"tables", "set", "logs", "--retention", "2w", "--apply"});
  info = value_from_json(ok({"tables", "describe", "logs", "--format", "json"}));
  EXPECT_EQ(info.find("details")->find("activities kept")->as_string(), "14 days");
  EXPECT_EQ(info.find("details")->find("counts kept")->as_string(), "365 days");
  ok({"tables", "set", "logs", "--counts-retention", "forever"});
  info = value_from_json(ok({"tables", "describe", "logs", "--format", "json"}));
  EXPECT_EQ(info.find("details")->find("counts kept")->as_string(), "forever");
  // An activity older than the retention is accepted but never shown.
  ok({"record", "logs", "bob", "/old", "--time", "-30d"});
  ok({"record", "logs", "bob", "/new", "--time", "-1d"});
  EXPECT_TRUE(lines(ok({"view", "logs", "-t", "/old", "-f", "ndjson"})).empty());
  EXPECT_EQ(lines(ok({"view", "logs", "-t", "/new", "-f", "ndjson"})).size(), 1u);
  const RunResult bad = cctv({"tables", "set", "logs", "--retention", "5x"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--retention"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace cctv::testing
