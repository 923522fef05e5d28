// The `cctv` command, run as a user runs it.
#include "e2e/cli.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <regex>

#include "cctv/json.h"

namespace cctv::testing {
namespace {

TEST_F(CliTest, OriginalReadmeExample) {
  const std::string id =
      ok({"record", "store-pageviews", "bob", "/store/products/organic-goji-berries",
          "customer_status=VIP", "referred_by=AdWords", "browser=Chrome"});
  EXPECT_TRUE(std::regex_match(id, std::regex("[0-9a-f]{16}\n"))) << id;
  const std::string out = ok({"view", "store-pageviews", "--target",
                              "/store/products/organic-goji-berries", "--format", "ndjson"});
  ASSERT_EQ(lines(out).size(), 1u);
  const Activity a = activity_from_json(lines(out)[0]);
  EXPECT_EQ(a.actor, "bob");
  EXPECT_EQ(format_id(a.id) + "\n", id);
  EXPECT_EQ(
      a.attributes,
      (Attributes{{"customer_status", "VIP"}, {"referred_by", "AdWords"}, {"browser", "Chrome"}}));
  // And for people: an aligned table with the attributes as columns.
  const auto table = lines(ok({"view", "store-pageviews", "--actor", "bob"}));
  ASSERT_EQ(table.size(), 2u);
  EXPECT_NE(table[0].find("TIME"), std::string::npos);
  EXPECT_NE(table[0].find("customer_status"), std::string::npos);
  EXPECT_NE(table[1].find("VIP"), std::string::npos);
  EXPECT_EQ(table[0].find("ACTOR"), table[1].find("bob")) << "columns not aligned";
}

TEST_F(CliTest, AttributeValuesAreTypedOrExplicitJson) {
  ok({"record", "events", "bob", "/x", "n=3", "price=9.5", "ok=true", "gone=null", "zip=01234",
      "word=hello", "spaced= 5", "eq=a=b", "neg=-2", "list:=[1,\"a\"]", "obj:={\"k\":1.0}",
      "str:=\"42\"", "--time", "2026-11-01T10:00:00Z"});
  const Activity a =
      activity_from_json(lines(ok({"view", "events", "-t", "/x", "-f", "ndjson"}))[0]);
  EXPECT_EQ(a.attributes, (Attributes{{"n", 3},
                                      {"price", 9.5},
                                      {"ok", true},
                                      {"gone", nullptr},
                                      {"zip", "01234"},
                                      {"word", "hello"},
                                      {"spaced", " 5"},
                                      {"eq", "a=b"},
                                      {"neg", -2},
                                      {"list", List{1, "a"}},
                                      {"obj", Map{{"k", 1.0}}},
                                      {"str", "42"}}));
}

TEST_F(CliTest, TimesInEveryForm) {
  ok({"record", "events", "bob", "/x", "--time", "2026-11-01T12:00:00+02:00"});
  ok({"record", "events", "bob", "/x", "--time", "1411702475"});
  ok({"record", "events", "bob", "/x", "--time", "2026-11-01"});
  ok({"record", "events", "bob", "/x", "--time", "-30m"});
  ok({"record", "events", "bob", "/x", "--time", "2026-11-01T10:00:00.25Z"});
  const std::string out = ok({"view", "events", "-t", "/x", "--order", "oldest", "-f", "ndjson"});
  const auto got = lines(out);
  ASSERT_EQ(got.size(), 5u);
  EXPECT_NE(got[0].find("\"time\":\"2014-09-26T03:34:35.000000Z\""), std::string::npos);
  EXPECT_NE(got[1].find("\"time\":\"2026-11-01T00:00:00.000000Z\""), std::string::npos);
  EXPECT_NE(got[2].find("\"time\":\"2026-11-01T10:00:00.000000Z\""), std::string::npos);
  EXPECT_NE(got[3].find("\"time\":\"2026-11-01T10:00:00.250000Z\""), std::string::npos);
  // --from/--to select with the same forms; the range is [from, to).
  EXPECT_EQ(lines(ok({"view", "events", "-t", "/x", "--from", "2026-11-01T10:00:00Z", "--to",
                      "1793527200.25", "-f", "ndjson"}))
                .size(),
            1u);
  EXPECT_EQ(lines(ok({"view", "events", "-t", "/x", "--from", "-1h", "-f", "ndjson"})).size(), 1u);
}

TEST_F(CliTest, JsonFormatAndCursorPaging) {
  std::string input;
  for (int i = 0; i < 25; ++i) {
    input += R"({"actor":"u)" + std::to_string(i) + R"(","target":"/p","time":")" +
             "2026-11-01T10:00:" + (i < 10 ? "0" : "") + std::to_string(i) + R"(Z"})" + "\n";
  }
  ok({"import", "events", "-"}, input);

  const std::string first = ok({"view", "events", "-t", "/p", "--limit", "10", "-f", "json"});
  const Value page = value_from_json(first);
  ASSERT_EQ(page.find("activities")->as_list().size(), 10u);
  EXPECT_EQ(page.find("activities")->as_list()[0].find("actor")->as_string(), "u24");
  const std::string cursor = page.find("next_cursor")->as_string();

  const Value second = value_from_json(
      ok({"view", "events", "-t", "/p", "--limit", "10", "-f", "json", "--cursor", cursor}));
  EXPECT_EQ(second.find("activities")->as_list()[0].find("actor")->as_string(), "u14");
  const Value third =
      value_from_json(ok({"view", "events", "-t", "/p", "--limit", "10", "-f", "json", "--cursor",
                          second.find("next_cursor")->as_string()}));
  EXPECT_EQ(third.find("activities")->as_list().size(), 5u);
  EXPECT_TRUE(third.find("next_cursor")->is_null());

  // --all follows the cursors itself.
  const Value all =
      value_from_json(ok({"view", "events", "-t", "/p", "--limit", "7", "--all", "-f", "json"}));
  EXPECT_EQ(all.find("activities")->as_list().size(), 25u);
  EXPECT_TRUE(all.find("next_cursor")->is_null());
  EXPECT_EQ(lines(ok({"view", "events", "-t", "/p", "-n", "3", "--all", "-f", "ndjson"})).size(),
            25u);

  // Table output tells a person how to get the next page.
  const RunResult r = cctv({"view", "events", "-t", "/p", "--limit", "10"});
  EXPECT_NE(r.err.find("--cursor " + cursor), std::string::npos) << r.err;

  // An empty view is still valid JSON.
  EXPECT_EQ(ok({"view", "events", "-t", "/nothing", "-f", "json"}),
            "{\"activities\":[],\"next_cursor\":null}\n");
}

TEST_F(CliTest, CsvFormat) {
  ok({"record", "events", "bob", "/x", "note=a, \"quoted\" note", "n=1", "--time",
      "2026-11-01T10:00:00Z"});
  const auto csv = lines(ok({"view", "events", "-t", "/x", "-f", "csv"}));
  ASSERT_EQ(csv.size(), 2u);
  EXPECT_EQ(csv[0], "time,actor,target,id,note,n\r");
  EXPECT_NE(csv[1].find("2026-11-01T10:00:00.000000Z,bob,/x,"), std::string::npos);
  EXPECT_NE(csv[1].find(",\"a, \"\"quoted\"\" note\",1\r"), std::string::npos) << csv[1];
}

TEST_F(CliTest, TablesCommands) {
  EXPECT_EQ(ok({"tables"}), "");
  EXPECT_EQ(ok({"tables", "create", "logins"}), "created table logins\n");
  const RunResult again = cctv({"tables", "create", "logins"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("already exists"), std::string::npos);
  ok({"record", "store-pageviews", "bob", "/store"});
  EXPECT_EQ(ok({"tables"}), "logins\nstore-pageviews\n");
  EXPECT_EQ(ok({"tables", "list", "--format", "json"}),
            "{\"tables\":[\"logins\",\"store-pageviews\"]}\n");
  const std::string described = ok({"tables", "describe", "store-pageviews"});
  EXPECT_NE(described.find("store-pageviews"), std::string::npos);
  EXPECT_NE(described.find("by target, by actor"), std::string::npos) << described;
  EXPECT_NE(described.find("column families"), std::string::npos) << described;
  const Value info = value_from_json(ok({"tables", "describe", "store-pageviews", "-f", "json"}));
  EXPECT_EQ(info.find("approximate_activities")->as_int(), 1);

  const RunResult refused = cctv({"tables", "drop", "store-pageviews"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("--yes"), std::string::npos);
  EXPECT_EQ(ok({"tables"}), "logins\nstore-pageviews\n");
  EXPECT_EQ(ok({"tables", "drop", "store-pageviews", "--yes"}), "dropped table store-pageviews\n");
  EXPECT_EQ(ok({"tables"}), "logins\n");
  EXPECT_EQ(cctv({"tables", "describe", "store-pageviews"}).exit_code, 1);
}

TEST_F(CliTest, StoreFromEnvironment) {
  RunOptions options;
  options.environment = {"CCTV_STORE=" + dir_.store("from-env")};
  EXPECT_EQ(run({CCTV_BINARY, "record", "events", "bob", "/x"}, options).exit_code, 0);
  EXPECT_EQ(run({CCTV_BINARY, "tables"}, options).out, "events\n");
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "from-env"));
  // And the default is ./cctv-data in the working directory.
  options.environment = {};
  options.working_directory = dir_.path().string();
  EXPECT_EQ(run({CCTV_BINARY, "record", "events", "bob", "/x"}, options).exit_code, 0);
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "cctv-data" / "CURRENT"));
}

// Each bad input: exit code, the field named in one line, nothing written.
struct BadInput {
  std::vector<std::string> args;
  int exit_code;
  std::string message;
};

TEST_F(CliTest, BadInputGetsAOneLineErrorAndWritesNothing) {
  ok({"tables", "create", "events"});
  const std::vector<BadInput> cases = {
      {{"record", "ab", "bob", "/x"}, 2, "table name: 'ab' must be 3 to 255 characters"},
      {{"record", "bad table", "bob", "/x"}, 2, "table name"},
      {{"record", "events", "", "/x"}, 2, "actor: must not be empty"},
      {{"record", "events", "bob", ""}, 2, "target: must not be empty"},
      {{"record", "events", "bob", std::string(1025, 'x')},
       2,
       "target: 1025 bytes is over the limit of 1024"},
      {{"record", "events", "bob\xff", "/x"}, 2, "actor: is not valid UTF-8"},
      {{"record", "events", "bob", "/x", "timestamp=1"},
       2,
       "attribute 'timestamp': is a reserved name"},
      {{"record", "events", "bob", "/x", "id=1"}, 2, "attribute 'id': is a reserved name"},
      {{"record", "events", "bob", "/x", "expires_at=1"}, 2, "attribute 'expires_at'"},
      {{"record", "events", "bob", "/x", "a=1", "a=2"}, 2, "attribute 'a': appears more than once"},
      {{"record", "events", "bob", "/x", "novalue"}, 2, "must be KEY=VALUE or KEY:=JSON"},
      {{"record", "events", "bob", "/x", "j:={bad"}, 2, "attribute 'j': is not valid JSON"},
      {{"record", "events", "bob", "/x", "--time", "soonish"},
       2,
       "--time: 'soonish' is not a time"},
      {{"record", "events", "bob", "/x", "--time", "1411702475000"}, 2, "epoch milliseconds"},
      {{"record", "events", "bob", "/x", "--time", "1960-01-01"}, 2, "outside the times"},
      {{"view", "events"}, 2, "give exactly one of --target T or --actor A"},
      {{"view", "events", "-t", "/x", "--limit", "0"}, 2, "limit: must be 1 to 10000"},
      {{"view", "events", "-t", "/x", "--limit", "10001"}, 2, "limit: must be 1 to 10000"},
      {{"view", "events", "-t", "/x", "--order", "random"},
       2,
       "--order: 'random' must be newest or oldest"},
      {{"view", "events", "-t", "/x", "--format", "xml"}, 2, "--format: 'xml' must be table"},
      {{"view", "events", "-t", "/x", "--cursor", "zzz"}, 2, "cursor: 'zzz' is not a cursor"},
      {{"view", "events", "-t", "/x", "--from", "-1h", "--to", "-2h"}, 2, "is not before --to"},
      {{"view", "nosuch-table", "-t", "/x"}, 1, "table 'nosuch-table' does not exist"},
      {{"frobnicate"}, 2, "frobnicate"},
      {{}, 2, "cctv: give a command: record, view,"},
      {{"record", "events"}, 2, "cctv: record: ACTOR is required; see `cctv record --help`"},
      {{"view", "events", "--limit", "abc"}, 2, "cctv: view: --limit: 'abc' is not a number"},
      {{"count", "events", "--from"}, 2, "cctv: count: --from: needs a value"},
      {{"tables", "bogus"}, 2, "cctv: tables: 'bogus' is not expected here; the commands here are"},
      {{"counts"}, 2, "cctv: counts: give a command: rebuild"},
  };
  for (const auto& c : cases) {
    const RunResult r = cctv(c.args);
    std::string what = "cctv";
    for (const auto& a : c.args) what += " " + a.substr(0, 40);
    EXPECT_EQ(r.exit_code, c.exit_code) << what << "\nstderr: " << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << what << "\nstderr: " << r.err;
    EXPECT_EQ(r.out, "") << what;
    EXPECT_EQ(r.err.rfind("cctv: ", 0), 0u) << what << "\nstderr: " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << what << "\nstderr: " << r.err;
  }
  // Nothing was written by any of them.
  EXPECT_EQ(ok({"tables"}), "events\n");
  EXPECT_EQ(ok({"export", "events"}), "");
}

// --store goes before or after the command's name, for every command, and
// each command's --help lists it. The command line beats CCTV_STORE.
TEST_F(CliTest, GlobalOptionsGoBeforeOrAfterTheCommand) {
  const std::string before = dir_.store("before");
  const std::string after = dir_.store("after");
  EXPECT_EQ(run({CCTV_BINARY, "--store", before, "record", "events", "bob", "/x"}).exit_code, 0);
  EXPECT_EQ(run({CCTV_BINARY, "record", "events", "amy", "/y", "--store", after}).exit_code, 0);
  EXPECT_EQ(run({CCTV_BINARY, "record", "--store", after, "events", "cy", "/y"}).exit_code, 0);
  EXPECT_EQ(run({CCTV_BINARY, "tables", "create", "logins", "-s", after}).exit_code, 0);
  EXPECT_EQ(run({CCTV_BINARY, "tables", "--store", after}).out, "events\nlogins\n");
  EXPECT_EQ(run({CCTV_BINARY, "view", "events", "-t", "/x", "--store", before, "-f", "ndjson"})
                .out.find("\"actor\":\"bob\""),
            1u);
  const RunResult counted = run({CCTV_BINARY, "top", "events", "--store", after, "--format", "json"});
  EXPECT_EQ(counted.exit_code, 0) << counted.err;
  RunOptions env;
  env.environment = {"CCTV_STORE=" + before};
  EXPECT_EQ(run({CCTV_BINARY, "tables", "--store", after}, env).out, "events\nlogins\n");
  EXPECT_EQ(run({CCTV_BINARY, "--store", after, "tables"}, env).out, "events\nlogins\n");
  EXPECT_EQ(run({CCTV_BINARY, "tables"}, env).out, "events\n");
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"record", "--help"},
                                             {"serve", "--help"},
                                             {"tables", "create", "--help"},
                                             {"counts", "rebuild", "--help"},
                                             {"repair", "--help"}}) {
    EXPECT_NE(cctv(args).out.find("--store"), std::string::npos) << args[0];
  }
}

TEST_F(CliTest, UnknownStoreScheme) {
  const RunResult r = run({CCTV_BINARY, "--store", "mysql://x", "tables"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("store URI: 'mysql://x' has the unknown scheme 'mysql'; use rocksdb:PATH"),
            std::string::npos)
      << r.err;
}

TEST_F(CliTest, ViewOfAStoreThatDoesNotExist) {
  const RunResult r = cctv({"view", "events", "-t", "/x"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no cctv store at"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "data")) << "a read created the store";
}

TEST_F(CliTest, EverySubcommandHasHelp) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--help"},
                                             {"record", "--help"},
                                             {"view", "--help"},
                                             {"import", "--help"},
                                             {"export", "--help"},
                                             {"tables", "--help"},
                                             {"tables", "create", "--help"},
                                             {"tables", "describe", "--help"},
                                             {"tables", "drop", "--help"},
                                             {"tables", "list", "--help"},
                                             {"tables", "set", "--help"},
                                             {"count", "--help"},
                                             {"top", "--help"},
                                             {"counts", "--help"},
                                             {"counts", "rebuild", "--help"},
                                             {"bench", "--help"},
                                             {"repair", "--help"}}) {
    const RunResult r = cctv(args);
    EXPECT_EQ(r.exit_code, 0) << args[0];
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << args[0] << ": " << r.out;
  }
}

// A damaged store: every command names the damage and `cctv repair`; the
// repair says what it found and salvaged, and the store works again.
TEST_F(CliTest, ADamagedStoreIsRefusedUntilRepaired) {
  for (int i = 0; i < 3; ++i) ok({"record", "events", "bob", "/x" + std::to_string(i)});
  std::filesystem::remove(dir_.path() / "data" / "CURRENT");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"view", "events", "--target", "/x1"},
        std::vector<std::string>{"record", "events", "amy", "/y"}}) {
    const RunResult r = cctv(args);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("is damaged"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("repair"), std::string::npos) << r.err;
  }
  const RunResult repair = cctv({"repair"});
  EXPECT_EQ(repair.exit_code, 0) << repair.err;
  EXPECT_NE(repair.out.find("found: the CURRENT file was missing"), std::string::npos)
      << repair.out;
  EXPECT_NE(repair.out.find("table events: 3 activities salvaged of 3 counted before"),
            std::string::npos)
      << repair.out;
  EXPECT_NE(repair.out.find(".damaged-"), std::string::npos) << repair.out;
  EXPECT_EQ(lines(ok({"export", "events"})).size(), 3u);
  ok({"record", "events", "amy", "/y"});
}

TEST_F(CliTest, RepairIntoAnotherDirectoryNamesIt) {
  for (int i = 0; i < 3; ++i) ok({"record", "events", "bob", "/x" + std::to_string(i)});
  std::filesystem::remove(dir_.path() / "data" / "CURRENT");
  const std::string into = dir_.file("repaired");
  const RunResult repair = cctv({"repair", "--into", into});
  EXPECT_EQ(repair.exit_code, 0) << repair.err;
  EXPECT_NE(repair.out.find("into rocksdb:" + into), std::string::npos) << repair.out;
  EXPECT_NE(repair.out.find("unchanged: " + (dir_.path() / "data").string()), std::string::npos)
      << repair.out;
  const RunResult view = run({CCTV_BINARY, "--store", "rocksdb:" + into, "export", "events"});
  EXPECT_EQ(view.exit_code, 0) << view.err;
  EXPECT_EQ(lines(view.out).size(), 3u);
  const RunResult again = cctv({"repair", "--into", into});
  EXPECT_EQ(again.exit_code, 2) << again.err;
  EXPECT_NE(again.err.find("not an empty directory"), std::string::npos) << again.err;
}

}  // namespace
}  // namespace cctv::testing
