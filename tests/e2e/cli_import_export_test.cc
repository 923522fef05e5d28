// cctv import and cctv export: NDJSON in, NDJSON out, nothing twice.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <random>
#include <set>
#include <thread>

#include "cctv/cctv.h"
#include "cctv/json.h"
#include "e2e/cli.h"

namespace cctv::testing {
namespace {

// A varied NDJSON file: attributes of every type, unicode, same-second
// activities, some lines without time or id.
std::string sample_ndjson(int n) {
  std::mt19937 rng(11);
  std::string out;
  for (int i = 0; i < n; ++i) {
    Activity a;
    a.actor = "user" + std::to_string(rng() % 50);
    a.target = "/store/products/" + std::to_string(rng() % 20) + (i % 7 == 0 ? "/caf\xc3\xa9" : "");
    a.time = parse_time("2026-11-01T10:00:00Z") + std::chrono::seconds(rng() % 100);
    a.id = 0x1000 + static_cast<ActivityId>(i);
    a.attributes = {{"browser", i % 2 ? "Chrome" : "Firefox"},
                    {"n", i},
                    {"price", 0.1 * i},
                    {"vip", i % 3 == 0},
                    {"tags", List{"a", i, nullptr}},
                    {"nested", Map{{"deep", Map{{"x", 1.5}}}}}};
    out += to_json(a) + "\n";
  }
  return out;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST_F(CliTest, ExportImportExportIsIdenticalAndReimportStoresNothingTwice) {
  const std::string input = sample_ndjson(2000);
  const std::string file = dir_.file("in.ndjson");
  std::ofstream(file) << input;
  const RunResult imported = cctv({"import", "events", file});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_EQ(imported.out, "imported 2000 activities into events, rejected 0\n");

  const std::string first = ok({"export", "events"});
  EXPECT_EQ(sorted(lines(first)), sorted(lines(input))) << "export differs from what was imported";

  // Into a second store, and out again: the same bytes, up to line order.
  const std::string first_file = dir_.file("first.ndjson");
  std::ofstream(first_file) << first;
  const std::string other = dir_.store("other");
  ASSERT_EQ(run({CCTV_BINARY, "--store", other, "import", "copy", first_file}).exit_code, 0);
  const std::string second = run({CCTV_BINARY, "--store", other, "export", "copy"}).out;
  EXPECT_EQ(sorted(lines(second)), sorted(lines(first)));

  // Importing the same file again stores each activity once.
  ASSERT_EQ(run({CCTV_BINARY, "--store", other, "import", "copy", first_file}).exit_code, 0);
  const std::string third = run({CCTV_BINARY, "--store", other, "export", "copy"}).out;
  EXPECT_EQ(lines(third).size(), 2000u);
  EXPECT_EQ(sorted(lines(third)), sorted(lines(first)));
}

TEST_F(CliTest, ExportByTargetActorAndRange) {
  ok({"import", "events", "-"}, sample_ndjson(500));
  const std::string all = ok({"export", "events"});
  std::size_t on_target = 0, by_actor = 0, in_range = 0;
  const Timestamp from = parse_time("2026-11-01T10:00:20Z"),
                  to = parse_time("2026-11-01T10:00:40Z");
  for (const auto& line : lines(all)) {
    const Activity a = activity_from_json(line);
    on_target += a.target == "/store/products/3";
    by_actor += a.actor == "user7";
    in_range += a.time >= from && a.time < to;
  }
  ASSERT_GT(on_target, 0u);
  ASSERT_GT(by_actor, 0u);
  EXPECT_EQ(lines(ok({"export", "events", "--target", "/store/products/3"})).size(), on_target);
  EXPECT_EQ(lines(ok({"export", "events", "--actor", "user7"})).size(), by_actor);
  EXPECT_EQ(lines(ok({"export", "events", "--from", "2026-11-01T10:00:20Z", "--to",
                      "2026-11-01T10:00:40Z"}))
                .size(),
            in_range);
}

TEST_F(CliTest, ImportReportsBadLinesAndKeepsEveryGoodOne) {
  const std::string input = R"({"actor":"bob","target":"/a"})"
                            "\n"
                            "\n"  // blank lines are skipped, not errors
                            R"({"actor":"","target":"/b"})"
                            "\n"
                            R"({"actor":"bob","target":"/c","attributes":{"timestamp":1}})"
                            "\n"
                            "this is not json\n"
                            R"({"actor":"bob","target":"/d","time":"2026-11-01T10:00:00Z"})"
                            "\r\n"
                            R"({"actor":"bob","target":"/e","browser":"Chrome"})"
                            "\n"
                            R"({"actor":"bob","target":"/f","time":"whenever"})"
                            "\n"
                            R"({"actor":"bob","target":"/g","id":"00000000000000zz"})"
                            "\n"
                            R"({"actor":"bob","target":"/h"})";  // no final newline
  const RunResult r = cctv({"import", "events", "-"}, input);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "imported 3 activities into events, rejected 6\n");
  EXPECT_NE(r.err.find("line 3: actor: must not be empty"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("line 4: attribute 'timestamp': is a reserved name"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("line 5: activity: is not valid JSON"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("line 7: field 'browser': is not part of an activity"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("line 8: time: 'whenever' is not a time"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("line 9: id:"), std::string::npos) << r.err;
  const auto exported = lines(ok({"export", "events"}));
  ASSERT_EQ(exported.size(), 3u);
  std::vector<std::string> targets;
  for (const auto& l : exported) targets.push_back(activity_from_json(l).target);
  EXPECT_EQ(sorted(targets), (std::vector<std::string>{"/a", "/d", "/h"}));
}

// A number that crashed `cctv import` and `cctv record` through the JSON
// parser: read as the zero it is; integers past int64 and repeated keys
// are rejected by line.
TEST_F(CliTest, HostileNumbersAreReadOrRejectedNeverCrash) {
  const std::string zeros = "0." + std::string(400, '0');
  const std::string input =
      R"({"actor":"a","target":"/z","attributes":{"x":)" + zeros + "}}\n" +
      R"({"actor":"a","target":"/z","attributes":{"n":99999999999999999999999999}})"
      "\n" +
      R"({"actor":"a","actor":"b","target":"/z"})"
      "\n";
  const RunResult r = cctv({"import", "events", "-"}, input);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, "imported 1 activity into events, rejected 2\n");
  EXPECT_NE(r.err.find("line 2: attributes: at 'n': integer 99999999999999999999999999 is outside"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("line 3: activity: key 'actor' appears more than once"), std::string::npos)
      << r.err;

  ok({"record", "events", "bob", "/r", "x:=" + zeros, "big=99999999999999999999999999"});
  const auto exported = lines(ok({"export", "events", "--target", "/r"}));
  ASSERT_EQ(exported.size(), 1u);
  const Activity a = activity_from_json(exported[0]);
  EXPECT_EQ(*find(a.attributes, "x"), Value(0.0));
  // KEY=VALUE: what no JSON number holds stays a string.
  EXPECT_EQ(*find(a.attributes, "big"), Value("99999999999999999999999999"));
  const RunResult bad = cctv({"record", "events", "bob", "/r", "n:=-9223372036854775809"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("attribute 'n': integer -9223372036854775809 is outside the 64-bit"),
            std::string::npos)
      << bad.err;
}

TEST_F(CliTest, ImportOfAnOversizedItemIsRejectedByLine) {
  const std::string big(410 * 1024, 'x');
  const std::string input = R"({"actor":"bob","target":"/ok"})"
                            "\n"
                            R"({"actor":"bob","target":"/big","attributes":{"blob":")" +
                            big + "\"}}\n";
  const RunResult r = cctv({"import", "events", "-"}, input);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("line 2: activity: is 419"), std::string::npos) << r.err.substr(0, 300);
  EXPECT_NE(r.err.find("over the 400 KB item limit"), std::string::npos);
  EXPECT_EQ(lines(ok({"export", "events"})).size(), 1u);
}

TEST_F(CliTest, ImportOfAMissingFile) {
  const RunResult r = cctv({"import", "events", dir_.file("nope.ndjson")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cannot open"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "data")) << "bad input created the store";
}

TEST_F(CliTest, BadTableNameLeavesNoStoreBehind) {
  EXPECT_EQ(cctv({"record", "x", "bob", "/x"}).exit_code, 2);
  EXPECT_EQ(cctv({"record", "events", "", "/x"}).exit_code, 2);
  EXPECT_EQ(cctv({"import", "x", "-"}, "{}\n").exit_code, 2);
  EXPECT_EQ(cctv({"tables", "create", "x"}).exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "data"));
}

}  // namespace
}  // namespace cctv::testing

namespace cctv::testing {
namespace {

// An import killed with SIGKILL part way, run again with the same file,
// ends with every line stored once: lines carry ids (as export writes
// them), and an id stored already is stored once -- and counted once.
TEST_F(CliTest, AKilledImportRunAgainStoresEveryLineOnce) {
  constexpr int kLines = 300'000;
  const std::string file = dir_.file("export.ndjson");
  {
    std::ofstream out(file);
    for (int i = 0; i < kLines; ++i) {
      char id[17];
      std::snprintf(id, sizeof id, "%016x", i + 1);
      out << R"({"actor":"u)" << i % 1000 << R"(","target":"/p)" << i % 100
          << R"(","time":"2026-11-01T10:00:00.)" << std::setw(6) << std::setfill('0')
          << i % 1'000'000 << R"(Z","id":")" << id << R"("})"
          << "\n";
    }
  }
  const pid_t pid = start_silenced({CCTV_BINARY, "--store", store_, "import", "events", file});
  ASSERT_GT(pid, 0);
  // Killed once it has written something (its write-ahead log is not
  // empty): on a busy machine, or under a sanitizer, a fixed delay could
  // end it before it had opened the store.
  const auto wrote_something = [&] {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir_.path() / "data", ec)) {
      if (e.path().extension() == ".log" && e.file_size(ec) > (1 << 16)) return true;
    }
    return false;
  };
  for (int i = 0; i < 3000 && !wrote_something(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status))
      << "the import finished before it was killed; the test proves nothing";
  const auto stored_now = [&] {
    std::size_t n = 0;
    const auto listed = ok({"count", "events", "--bucket", "day", "--from", "2026-11-01", "--to",
                            "2026-11-02", "--format", "json"});
    const Value series = value_from_json(listed);
    for (const Value& p : series.find("series")->as_list())
      n += static_cast<std::size_t>(p.find("count")->as_int());
    return n;
  };
  const std::size_t before = lines(ok({"export", "events"})).size();
  EXPECT_LT(before, static_cast<std::size_t>(kLines));
  const RunResult again = cctv({"import", "events", file});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, "imported 300000 activities into events, rejected 0\n");
  const auto exported = lines(ok({"export", "events"}));
  EXPECT_EQ(exported.size(), static_cast<std::size_t>(kLines));
  std::set<std::string> ids;
  for (const auto& l : exported) ids.insert(format_id(activity_from_json(l).id));
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kLines));
  EXPECT_EQ(stored_now(), static_cast<std::size_t>(kLines)) << "counted more or fewer than stored";
}

TEST_F(CliTest, ImportShowsProgressOnlyOnATerminal) {
  const std::string file = dir_.file("big.ndjson");
  {
    std::ofstream out(file);
    for (int i = 0; i < 200'000; ++i) {
      out << R"({"actor":"u)" << i % 1000 << R"(","target":"/p)" << i % 100 << R"("})"
          << "\n";
    }
  }
  RunOptions options;
  options.stderr_is_terminal = true;
  const RunResult tty = run({CCTV_BINARY, "--store", store_, "import", "events", file}, options);
  EXPECT_EQ(tty.exit_code, 0) << tty.err;
  EXPECT_NE(tty.err.find("importing " + file), std::string::npos) << tty.err.substr(0, 500);
  EXPECT_NE(tty.err.find("%"), std::string::npos);
  EXPECT_NE(tty.err.find(" stored "), std::string::npos) << "progress counts what is stored";
  EXPECT_EQ(tty.out, "imported 200000 activities into events, rejected 0\n");

  const RunResult piped = cctv({"import", "events", file});
  EXPECT_EQ(piped.exit_code, 0);
  EXPECT_EQ(piped.err, "") << "progress drawn on a pipe";
}

// A store of many more table files than the process may open descriptors
// (128, soft and hard) is written and read whole: RocksDB keeps at most half
// the limit open, not every file.
TEST_F(CliTest, AStoreOfMoreTableFilesThanOpenFilesAllowedIsReadWhole) {
  // 64 KiB memtables and table files: a file per 64 KiB written, flushed or
  // compacted. Written in small flushed rounds, since a writer batch goes
  // into one memtable whatever its size (an import's batches grow as large
  // as the store is slow). Compaction stays on: the files of the first
  // level overlap, so a scan holds all of them open at once, and it is
  // compaction that keeps them few.
  const std::string store = dir_.store() +
                            "?counts=off&cf_options=write_buffer_size%3D65536%3B"
                            "target_file_size_base%3D65536";
  constexpr int kActivities = 150'000;
  constexpr int kRound = 300;
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit limited = saved;
  limited.rlim_cur = 128;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &limited), 0);
  {
    Client client = Client::open(store);
    Tracker events = client.tracker("events");
    for (int i = 0; i < kActivities; ++i) {
      events.record_activity("u" + std::to_string(i % 97), "/t/" + std::to_string(i),
                             {{"pad", "0123456789abcdef0123456789"}});
      if (i % kRound == kRound - 1) client.flush();
    }
    client.close();
  }
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  std::size_t tables = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_.path() / "data")) {
    tables += e.path().extension() == ".sst" ? 1 : 0;
  }
  ASSERT_GT(tables, 128u) << "too few table files to need more descriptors than allowed";
  const RunResult exported = run(
      {"/usr/bin/prlimit", "--nofile=128:128", CCTV_BINARY, "--store", store, "export", "events"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_EQ(std::count(exported.out.begin(), exported.out.end(), '\n'), kActivities);
}

}  // namespace
}  // namespace cctv::testing
