// Damaged embedded stores, made by damaging copies of real ones: a store
// that lost its CURRENT file, a byte flipped in the middle of a write-ahead
// log or of a table file, a log torn at its end. Only the torn end (what a
// crash mid-write leaves) opens silently; the rest is refused with an error
// naming the damaged file, and nothing in the directory is changed.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include "cctv/cctv.h"
#include "support/crash_writer_process.h"
#include "support/small_disk.h"
#include "support/temp_dir.h"

namespace cctv {
namespace {

namespace fs = std::filesystem;

// Every activity of table "events", by attribute i.
std::set<std::int64_t> stored(const std::string& store) {
  ClientOptions read_only;
  read_only.read_only = true;
  Client client = Client::open(store, read_only);
  std::set<std::int64_t> is;
  client.tracker("events").for_each_activity(
      TimeRange::all(), [&](const Activity& a) { is.insert(find(a.attributes, "i")->as_int()); });
  return is;
}

// A store whose activities are in table files. Small memtables alone do
// not make sure of that: a close cancels the flushes still scheduled, and
// a fast writer leaves its last memtables to the log. A full compaction
// flushes every memtable first.
void fill_tables(const std::string& store, int n) {
  Client client = Client::open(store + "?cf_options=write_buffer_size%3D262144");
  Tracker t = client.tracker("events");
  for (int i = 0; i < n; ++i) {
    t.record_activity("actor" + std::to_string(i % 97), "/t" + std::to_string(i % 50),
                      {{"i", i}, {"pad", std::string(200, 'x')}});
  }
  client.flush();
  client.apply_retention("events");
}

// A store whose activities are only in its write-ahead log: a writer
// flushed `n` of them and was killed (SIGKILL) while recording more.
void fill_log_only(const std::string& store, int n) {
  const testing::WriterEnd end =
      testing::run_crash_writer({store, std::to_string(n)}, std::chrono::milliseconds(100));
  ASSERT_EQ(end.said, "flushed\n") << "the writer did not flush";
}

std::vector<fs::path> files_ending(const fs::path& dir, const std::string& suffix) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.ends_with(suffix) && name != "LOG" && fs::file_size(e.path()) > 0)
      out.push_back(e.path());
  }
  std::sort(out.begin(), out.end(), [](const fs::path& a, const fs::path& b) {
    return fs::file_size(a) > fs::file_size(b);
  });
  return out;
}

// Name and size of every file, to show nothing was changed.
std::map<std::string, std::uintmax_t> listing(const fs::path& dir) {
  std::map<std::string, std::uintmax_t> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name != "LOG" && name != "LOCK") out[name] = fs::file_size(e.path());
  }
  return out;
}

void flip_byte(const fs::path& file, std::uintmax_t at) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(at));
  char c = 0;
  f.read(&c, 1);
  f.seekp(static_cast<std::streamoff>(at));
  c = static_cast<char>(c ^ 0x5a);
  f.write(&c, 1);
}

// What opening `store` throws; "" when it opens.
std::string open_error(const std::string& store, bool read_only) {
  ClientOptions options;
  options.read_only = read_only;
  try {
    Client::open(store, options);
  } catch (const StoreError& e) {
    return e.what();
  } catch (const Error& e) {
    return std::string("not a StoreError: ") + e.what();
  }
  return "";
}

TEST(Damage, AStoreWithoutItsCurrentFileIsRefusedNotEmptied) {
  testing::TempDir dir;
  fill_tables(dir.store(), 20'000);
  fs::remove(dir.path() / "data" / "CURRENT");
  const auto before = listing(dir.path() / "data");
  for (bool read_only : {false, true}) {
    const std::string error = open_error(dir.store(), read_only);
    EXPECT_NE(error.find("no CURRENT file"), std::string::npos) << error;
    EXPECT_NE(error.find("repair"), std::string::npos) << error;
  }
  EXPECT_EQ(listing(dir.path() / "data"), before) << "the damaged store was changed";
}

TEST(Damage, AByteFlippedInTheMiddleOfTheLogRefusesToOpenNamingIt) {
  testing::TempDir dir;
  fill_log_only(dir.store(), 10'000);
  const auto logs = files_ending(dir.path() / "data", ".log");
  ASSERT_FALSE(logs.empty());
  flip_byte(logs[0], fs::file_size(logs[0]) / 2);
  const auto before = listing(dir.path() / "data");
  for (bool read_only : {false, true}) {
    const std::string error = open_error(dir.store(), read_only);
    EXPECT_NE(error.find("is damaged"), std::string::npos) << error;
    EXPECT_NE(error.find("Corruption"), std::string::npos) << error;
    EXPECT_NE(error.find(logs[0].filename().string()), std::string::npos) << error;
  }
  EXPECT_EQ(listing(dir.path() / "data"), before) << "the damaged store was changed";
}

TEST(Damage, ALogTornAtItsEndOpensWithEverythingBeforeTheTear) {
  testing::TempDir dir;
  fill_log_only(dir.store(), 10'000);
  const auto logs = files_ending(dir.path() / "data", ".log");
  ASSERT_FALSE(logs.empty());
  // The last record cut short, as a crash in the middle of a write leaves it.
  fs::resize_file(logs[0], fs::file_size(logs[0]) - 7);
  EXPECT_EQ(open_error(dir.store(), false), "");
  const std::set<std::int64_t> is = stored(dir.store());
  for (std::int64_t i = 0; i < 10'000; ++i)
    ASSERT_TRUE(is.count(i)) << "flushed activity " << i << " lost";
}

TEST(Damage, AByteFlippedInATableFileRefusesAWritingOpenNamingIt) {
  testing::TempDir dir;
  fill_tables(dir.store(), 30'000);
  const fs::path original = dir.path() / "data";
  const fs::path copy = dir.path() / "copy";
  fs::copy(original, copy, fs::copy_options::recursive);
  const auto tables = files_ending(copy, ".sst");
  ASSERT_FALSE(tables.empty());
  flip_byte(tables[0], fs::file_size(tables[0]) / 3);  // in a data block
  const auto before = listing(copy);
  const std::string error = open_error("rocksdb:" + copy.string(), false);
  EXPECT_NE(error.find("is damaged"), std::string::npos) << error;
  EXPECT_NE(error.find(tables[0].filename().string()), std::string::npos) << error;
  EXPECT_NE(error.find("checksum"), std::string::npos) << error;
  EXPECT_EQ(listing(copy), before) << "the damaged store was changed";
  // The undamaged original opens, and again after a clean close (its files
  // are then vouched for and not read again).
  EXPECT_EQ(open_error(dir.store(), false), "");
  EXPECT_EQ(open_error(dir.store(), false), "");
  EXPECT_EQ(stored(dir.store()).size(), 30'000u);
}

// A crash in the middle of a flush or compaction leaves a partial table
// file that the store does not use: no damage, and RocksDB deletes it.
TEST(Damage, ATableFileTheStoreDoesNotUseIsNoDamage) {
  testing::TempDir dir;
  fill_tables(dir.store(), 5'000);
  {
    std::ofstream orphan(dir.path() / "data" / "009999.sst", std::ios::binary);
    orphan << std::string(10'000, 'z');
  }
  EXPECT_EQ(open_error(dir.store(), false), "");
  EXPECT_FALSE(fs::exists(dir.path() / "data" / "009999.sst"));
  EXPECT_EQ(stored(dir.store()).size(), 5'000u);
}

// What the repaired store holds, and that it is a working store: it opens
// for writing and its counts equal its activities.
struct Repaired {
  std::set<std::int64_t> activities;
  std::int64_t counted = 0;
};
Repaired check_repaired(const std::string& store) {
  Repaired r;
  r.activities = stored(store);
  Client client = Client::open(store);  // for writing: nothing refused
  const TableInfo info = client.describe_table("events");
  EXPECT_NE(info.created, Timestamp{});
  Tracker t = client.tracker("events");
  const TimeRange days{now() - std::chrono::hours(48), now() + std::chrono::hours(48)};
  for (const auto& p : t.count_activity(days, Bucket::kDay)) r.counted += p.count;
  EXPECT_EQ(r.counted, static_cast<std::int64_t>(r.activities.size()));
  return r;
}

TEST(Repair, AStoreWithoutItsCurrentFileComesBackWhole) {
  testing::TempDir dir;
  fill_tables(dir.store(), 20'000);
  fs::remove(dir.path() / "data" / "CURRENT");
  const RepairReport report = repair_store(dir.store());
  ASSERT_EQ(report.tables.size(), 1u);
  EXPECT_EQ(report.tables[0].name, "events");
  EXPECT_EQ(report.tables[0].activities, 20'000u);
  EXPECT_EQ(report.tables[0].counted_before, 20'000);
  ASSERT_FALSE(report.findings.empty());
  EXPECT_NE(report.findings[0].find("CURRENT file was missing"), std::string::npos)
      << report.findings[0];
  EXPECT_TRUE(fs::exists(report.damaged_copy));
  EXPECT_FALSE(fs::exists(fs::path(report.damaged_copy) / "CURRENT"))
      << "the damaged copy was changed";
  EXPECT_EQ(check_repaired(dir.store()).activities.size(), 20'000u);
}

// Counts outlive activities when the table's retention is shorter than
// its counts': the repair keeps the counts of expired activities, which no
// salvaged activity can recount -- whole days of them, and the earlier
// hours of the day of the oldest activity kept.
TEST(Repair, CountsKeptLongerThanTheirActivitiesSurvive) {
  testing::TempDir dir;
  const Timestamp t0 = now();
  const TimeRange week{t0 - std::chrono::hours(24 * 7), t0 + std::chrono::hours(1)};
  const auto counted = [&](const Tracker& t) {
    std::int64_t n = 0;
    for (const auto& p : t.count_activity(week, Bucket::kDay)) n += p.count;
    return n;
  };
  {
    Client client = Client::open(dir.store());
    Tracker t = client.tracker("events");
    std::int64_t i = 0;
    // Five days old: whole days before the retention's end.
    for (int k = 0; k < 120; ++k) {
      t.record(Activity{"old" + std::to_string(k % 3),
                        "/old",
                        t0 - std::chrono::hours(24 * 5) + std::chrono::minutes(k),
                        kNoId,
                        {{"i", i++}}});
    }
    // An hour after the retention's end, the oldest activity kept; two
    // hours before it, expired ones (the same UTC day, but near midnight).
    const auto hour = std::chrono::floor<std::chrono::hours>(t0 - std::chrono::hours(48));
    const Timestamp oldest_kept = hour + std::chrono::minutes(90);
    t.record(Activity{"kept", "/near", oldest_kept, kNoId, {{"i", i++}}});
    for (int k = 0; k < 30; ++k) {
      t.record(Activity{
          "near", "/near", oldest_kept - std::chrono::minutes(120 - k), kNoId, {{"i", i++}}});
    }
    for (int k = 0; k < 40; ++k) {
      t.record(Activity{"new",
                        "/new",
                        t0 - std::chrono::minutes(60) + std::chrono::seconds(k),
                        kNoId,
                        {{"i", i++}}});
    }
    client.flush();
    TableOptions two_days;
    two_days.retention = std::chrono::hours(48);
    client.alter_table("events", two_days);
    client.apply_retention("events");
    ASSERT_EQ(counted(t), 191);
  }
  fs::remove(dir.path() / "data" / "CURRENT");
  const RepairReport report = repair_store(dir.store());
  ASSERT_EQ(report.tables.size(), 1u);
  EXPECT_EQ(report.tables[0].activities, 41u);
  ClientOptions read_only;
  read_only.read_only = true;
  Client client = Client::open(dir.store(), read_only);
  EXPECT_EQ(client.describe_table("events").options.retention, std::chrono::hours(48));
  Tracker t = client.tracker("events");
  EXPECT_EQ(counted(t), 191) << "the counts of expired activities were lost";
  EXPECT_EQ(t.unique_actors("/old", week), 3);
  EXPECT_EQ(t.unique_actors("/near", week), 2);
  EXPECT_EQ(stored(dir.store()).size(), 41u);
}

TEST(Repair, ALogDamagedInTheMiddleKeepsWhatIsReadable) {
  testing::TempDir dir;
  fill_log_only(dir.store(), 10'000);
  // How many the log held: from an undamaged copy.
  fs::copy(dir.path() / "data", dir.path() / "copy", fs::copy_options::recursive);
  const std::set<std::int64_t> held = stored("rocksdb:" + (dir.path() / "copy").string());
  const std::size_t written = held.size();
  const auto logs = files_ending(dir.path() / "data", ".log");
  ASSERT_FALSE(logs.empty());
  flip_byte(logs[0], fs::file_size(logs[0]) / 2);
  const RepairReport report = repair_store(dir.store());
  ASSERT_EQ(report.tables.size(), 1u);
  const std::uint64_t salvaged = report.tables[0].activities;
  EXPECT_GT(salvaged, 1'000u);
  EXPECT_LT(salvaged, written) << "a damaged record in the middle lost nothing?";
  bool names_the_log = false;
  for (const auto& f : report.findings)
    names_the_log |= f.find(logs[0].filename().string()) != std::string::npos;
  EXPECT_TRUE(names_the_log) << "the report does not say which log was damaged";
  const Repaired repaired = check_repaired(dir.store());
  EXPECT_EQ(repaired.activities.size(), salvaged);
  // Only activities the log held (not a prefix of those recorded: the two
  // writer threads' batches reach the log in either order), and all of
  // those well before the damage (the first thousand, at the start of the
  // log): the damaged records are skipped, or, when a damaged record still
  // passes its checksum, the log is read up to it.
  for (const std::int64_t i : repaired.activities) ASSERT_TRUE(held.count(i)) << i;
  for (std::int64_t i = 0; i < 1000; ++i) ASSERT_TRUE(repaired.activities.count(i)) << i;
}

// A closed log that the MANIFEST tracks, gone: RocksDB refuses the whole
// store, and the repair reads every other log instead of none.
TEST(Repair, AMissingOlderLogCostsOnlyWhatItHeld) {
  testing::TempDir dir;
  const std::string small = dir.store() + "?cf_options=write_buffer_size%3D262144";
  constexpr int kWritten = 20'000;
  constexpr int kLast = 100;  // written last, after a flush: all in the newest log
  const testing::WriterEnd end =
      testing::run_crash_writer({small, std::to_string(kWritten), "many-logs"}, std::nullopt);
  ASSERT_TRUE(WIFEXITED(end.status) && WEXITSTATUS(end.status) == 0);
  auto logs = files_ending(dir.path() / "data", ".log");
  ASSERT_GE(logs.size(), 2u) << "one log only: nothing tracked to lose";
  std::sort(logs.begin(), logs.end());  // by number: the oldest first
  fs::remove(logs.front());
  EXPECT_NE(open_error(dir.store(), false).find("is damaged"), std::string::npos);
  const RepairReport report = repair_store(dir.store());
  int said = 0;
  for (const auto& f : report.findings) {
    said += f.find(logs.front().filename().string()) != std::string::npos;
  }
  EXPECT_EQ(said, 1) << "the report should name the missing log once";
  std::map<std::string, std::uint64_t> salvaged;
  for (const auto& t : report.tables) salvaged[t.name] = t.activities;
  EXPECT_EQ(salvaged["a-table"], 0u) << "table a was only in the missing log";
  const Repaired repaired = check_repaired(dir.store());
  EXPECT_EQ(repaired.activities.size(), salvaged["events"]);
  for (int i = kWritten - kLast; i < kWritten; ++i) {
    ASSERT_TRUE(repaired.activities.count(i)) << i << " was in the newest log, and is lost";
  }
}

TEST(Repair, ADamagedTableFileIsMendedFromTheOtherIndex) {
  testing::TempDir dir;
  fill_tables(dir.store(), 30'000);
  const auto tables = files_ending(dir.path() / "data", ".sst");
  ASSERT_FALSE(tables.empty());
  flip_byte(tables[0], fs::file_size(tables[0]) / 3);
  const RepairReport report = repair_store(dir.store());
  bool names_the_file = false;
  for (const auto& f : report.findings)
    names_the_file |= f.find(tables[0].filename().string()) != std::string::npos;
  EXPECT_TRUE(names_the_file) << "the report does not say which file was damaged";
  ASSERT_EQ(report.tables.size(), 1u);
  // Both indexes hold the whole activity, in different files: a block lost
  // from one is read from the other.
  EXPECT_EQ(report.tables[0].activities, 30'000u);
  EXPECT_EQ(report.tables[0].counted_before, 30'000);
  EXPECT_EQ(check_repaired(dir.store()).activities.size(), 30'000u);
}

TEST(Repair, AnUndamagedStoreComesBackAsItWas) {
  testing::TempDir dir;
  fill_tables(dir.store(), 5'000);
  {
    Client client = Client::open(dir.store());
    TableOptions kept;
    kept.retention = std::chrono::hours(24 * 365 * 100);
    client.alter_table("events", kept);
  }
  const RepairReport report = repair_store(dir.store());
  EXPECT_TRUE(report.findings.empty()) << report.findings[0];
  ASSERT_EQ(report.tables.size(), 1u);
  EXPECT_EQ(report.tables[0].activities, 5'000u);
  Client client = Client::open(dir.store());
  EXPECT_EQ(client.describe_table("events").options.retention, std::chrono::hours(24 * 365 * 100));
}

TEST(Repair, IsRefusedWhileTheStoreIsOpenAndForDynamo) {
  testing::TempDir dir;
  Client writer = Client::open(dir.store());
  writer.tracker("events").record_activity("bob", "/x");
  writer.flush();
  EXPECT_THROW(repair_store(dir.store()), StoreError);
  writer.close();
  EXPECT_THROW(repair_store("dynamodb://eu-west-1"), InvalidArgument);
  EXPECT_THROW(repair_store("rocksdb:" + dir.file("nothing-here")), NotFound);
}

// Repairing into another directory: the damaged store stays where it was,
// as it was, and the repaired one is whole where it was asked for.
TEST(Repair, IntoAnotherDirectoryLeavesTheDamagedStoreWhereItWas) {
  testing::TempDir dir;
  fill_tables(dir.store(), 10'000);
  fs::remove(dir.path() / "data" / "CURRENT");
  const auto before = listing(dir.path() / "data");
  RepairOptions options;
  options.into = dir.file("repaired");
  const RepairReport report = repair_store(dir.store(), options);
  EXPECT_EQ(report.repaired, options.into);
  EXPECT_EQ(fs::path(report.damaged_copy), dir.path() / "data");
  EXPECT_EQ(listing(dir.path() / "data"), before) << "the damaged store was changed";
  ASSERT_EQ(report.tables.size(), 1u);
  EXPECT_EQ(report.tables[0].activities, 10'000u);
  EXPECT_EQ(check_repaired("rocksdb:" + options.into).activities.size(), 10'000u);
  std::vector<std::string> beside;
  for (const auto& e : fs::directory_iterator(dir.path())) beside.push_back(e.path().filename());
  std::sort(beside.begin(), beside.end());
  EXPECT_EQ(beside, (std::vector<std::string>{"data", "repaired"})) << "left behind";
}

TEST(Repair, IntoADirectoryInUseOrInsideTheStoreIsRefused) {
  testing::TempDir dir;
  fill_tables(dir.store(), 100);
  fs::remove(dir.path() / "data" / "CURRENT");
  const auto before = listing(dir.path() / "data");
  fs::create_directory(dir.path() / "busy");
  std::ofstream(dir.path() / "busy" / "notes.txt") << "mine\n";
  for (const std::string& into : {dir.file("busy"), dir.file("busy/notes.txt"),
                                  dir.file("data/inside"), dir.path().string()}) {
    RepairOptions options;
    options.into = into;
    try {
      repair_store(dir.store(), options);
      ADD_FAILURE() << "repaired into " << into;
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find(into), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(listing(dir.path() / "data"), before);
  EXPECT_TRUE(fs::exists(dir.path() / "busy" / "notes.txt"));
}

// A store that is a mount point cannot be moved aside: the repair says so
// before it reads anything, and repairs into another directory, leaving
// nothing behind in the store.
TEST(Repair, AStoreThatIsAMountPointIsRepairedIntoAnotherDirectory) {
  testing::SmallDisk disk(256);
  if (!disk.mounted()) GTEST_SKIP() << "mounting a tmpfs needs root";
  const std::string store = "rocksdb:" + disk.path();
  fill_tables(store, 5'000);
  fs::remove(fs::path(disk.path()) / "CURRENT");
  const auto before = listing(disk.path());
  try {
    repair_store(store);
    ADD_FAILURE() << "a mount point was repaired in place";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("--into"), std::string::npos) << e.what();
  }
  testing::TempDir elsewhere;
  RepairOptions options;
  options.into = elsewhere.file("repaired");
  const RepairReport report = repair_store(store, options);
  ASSERT_EQ(report.tables.size(), 1u);
  EXPECT_EQ(report.tables[0].activities, 5'000u);
  EXPECT_EQ(listing(disk.path()), before) << "the damaged store was changed, or a snapshot left";
  EXPECT_EQ(check_repaired("rocksdb:" + options.into).activities.size(), 5'000u);
}

}  // namespace
}  // namespace cctv
