// Damaged embedded stores, made by damaging copies of real ones: a store
// that lost its CURRENT file, a byte flipped in the middle of a write-ahead
// log or of a table file, a log torn at its end. Only the torn end (what a
// crash mid-write leaves) opens silently; the rest is refused with an error
// naming the damaged file, and nothing in the directory is changed.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "cctv/cctv.h"
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

// A store whose activities are in table files: small memtables, flushed
// often.
void fill_tables(const std::string& store, int n) {
  Client client = Client::open(store + "?cf_options=write_buffer_size%3D262144");
  Tracker t = client.tracker("events");
  for (int i = 0; i < n; ++i) {
    t.record_activity("actor" + std::to_string(i % 97), "/t" + std::to_string(i % 50),
                      {{"i", i}, {"pad", std::string(200, 'x')}});
  }
}

// A store whose activities are only in its write-ahead log: a writer
// flushed `n` of them and was killed (SIGKILL) while recording more.
void fill_log_only(const std::string& store, int n) {
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    const std::string count = std::to_string(n);
    execl(CCTV_CRASH_WRITER, CCTV_CRASH_WRITER, store.c_str(), count.c_str(), nullptr);
    _exit(127);
  }
  close(out[1]);
  char buf[16] = {};
  ASSERT_EQ(read(out[0], buf, 8), 8);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  close(out[0]);
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

TEST(Repair, ALogDamagedInTheMiddleKeepsWhatIsReadable) {
  testing::TempDir dir;
  fill_log_only(dir.store(), 10'000);
  // How many the log held: from an undamaged copy.
  fs::copy(dir.path() / "data", dir.path() / "copy", fs::copy_options::recursive);
  const std::size_t written = stored("rocksdb:" + (dir.path() / "copy").string()).size();
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
  // Only real activities, and all of those well before the damage (the
  // first thousand, at the start of the log): the damaged records are
  // skipped, or, when a damaged record still passes its checksum, the log
  // is read up to it.
  EXPECT_LT(*repaired.activities.rbegin(), static_cast<std::int64_t>(written));
  for (std::int64_t i = 0; i < 1000; ++i) ASSERT_TRUE(repaired.activities.count(i)) << i;
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

}  // namespace
}  // namespace cctv
