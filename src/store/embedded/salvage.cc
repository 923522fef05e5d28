#include "store/embedded/salvage.h"

#include <rocksdb/db.h>
#include <rocksdb/sst_file_reader.h>
#include <rocksdb/table_properties.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "cctv/error.h"
#include "cctv/json.h"
#include "core/bucket.h"
#include "store/embedded/count_rows.h"
#include "store/embedded/counts_keeper.h"
#include "store/embedded/free_space.h"
#include "store/embedded/key_layout.h"
#include "store/embedded/rocks_log.h"
#include "store/embedded/rocks_store.h"

namespace cctv::store::embedded {

namespace {

namespace fs = std::filesystem;
using Entries = std::vector<std::pair<std::string, std::string>>;

// Entries are written in batches of this many.
constexpr std::size_t kBatch = 10'000;

// "20261201T101500Z", for the names of the directories beside the store.
std::string stamp() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

// Holds RocksDB's lock on the store (the LOCK file, through RocksDB's own
// Env, which also knows the stores this process has open), so that nothing
// opens it for writing during the repair; throws when something holds it.
class StoreLock {
 public:
  StoreLock(const fs::path& dir, const std::string& location) {
    if (!rocksdb::Env::Default()->LockFile((dir / "LOCK").string(), &lock_).ok()) {
      throw StoreError("the store at " + location +
                       " is open for writing (by cctv serve, or another process or client); stop "
                       "it, then repair");
    }
  }
  ~StoreLock() { rocksdb::Env::Default()->UnlockFile(lock_).PermitUncheckedError(); }
  StoreLock(const StoreLock&) = delete;
  StoreLock& operator=(const StoreLock&) = delete;

 private:
  rocksdb::FileLock* lock_ = nullptr;
};

// The newest MANIFEST in `dir`, or "".
std::string newest_manifest(const fs::path& dir) {
  std::string best;
  std::uint64_t best_number = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (!name.starts_with("MANIFEST-")) continue;
    const std::uint64_t number = std::strtoull(name.c_str() + 9, nullptr, 10);
    if (best.empty() || number > best_number) {
      best = name;
      best_number = number;
    }
  }
  return best;
}

// The store's files, as hard links in a directory of their own (RocksDB
// may write to the directory it opens, even read-only: its log).
void link_snapshot(const fs::path& dir, const fs::path& snapshot, RepairReport& report) {
  fs::create_directory(snapshot);
  for (const auto& e : fs::directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    const std::string name = e.path().filename().string();
    if (name == "LOCK" || name.starts_with("LOG")) continue;
    std::error_code ec;
    fs::create_hard_link(e.path(), snapshot / name, ec);
    if (ec) fs::copy_file(e.path(), snapshot / name);
  }
  if (!fs::exists(snapshot / "CURRENT")) {
    const std::string manifest = newest_manifest(snapshot);
    if (manifest.empty()) {
      report.findings.push_back(
          "no CURRENT file and no MANIFEST: salvaged from the table files alone");
      return;
    }
    std::ofstream(snapshot / "CURRENT") << manifest << '\n';
    report.findings.push_back("the CURRENT file was missing: " + manifest +
                              " (the newest MANIFEST) was read");
  }
}

// A read-only view of the snapshot, and what RocksDB logged opening it.
struct Source {
  std::shared_ptr<RocksLog> log = std::make_shared<RocksLog>("");
  std::unique_ptr<rocksdb::DB> db;
  std::map<std::string, rocksdb::ColumnFamilyHandle*> families;  // by name
  std::string error;                                             // why db is null
  ~Source() { close(); }
  // Handles first: RocksDB asserts that none outlives its DB.
  void close() {
    for (auto& [name, handle] : families) db->DestroyColumnFamilyHandle(handle);
    families.clear();
    db.reset();
  }
};

void open_source(const fs::path& snapshot, rocksdb::WALRecoveryMode mode, Source& source) {
  rocksdb::DBOptions options;
  // Without paranoid checks, table files whose index is damaged still open
  // (their other blocks read); but RocksDB then reads a log as if told to
  // skip every damaged record, whatever the mode.
  options.paranoid_checks =
      mode == rocksdb::WALRecoveryMode::kSkipAnyCorruptedRecords ? false : true;
  options.wal_recovery_mode = mode;
  // As the store is written: without it, a read-only open of a store whose
  // MANIFEST tracks its logs trips an assertion of Debian's RocksDB.
  options.track_and_verify_wals_in_manifest = true;
  options.info_log = source.log;
  std::vector<std::string> names;
  rocksdb::Status status = rocksdb::DB::ListColumnFamilies(options, snapshot.string(), &names);
  if (!status.ok()) {
    source.error = status.ToString();
    return;
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : names) {
    rocksdb::ColumnFamilyOptions family;
    if (name.ends_with(kCountsSuffix)) family.merge_operator = counts_merge_operator();
    descriptors.emplace_back(name, family);
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  status = rocksdb::DB::OpenForReadOnly(options, snapshot.string(), descriptors, &handles, &db);
  if (!status.ok()) {
    source.error = status.ToString();
    return;
  }
  source.db.reset(db);
  for (auto* handle : handles) source.families[handle->GetName()] = handle;
}

// Both index entries of the activity an entry of either index holds, into
// `out`; false for an entry that is not one.
bool both_entries(std::string_view key, std::string_view value, bool by_actor, Entries& by_target,
                  Entries& by_actor_out) {
  IndexKey k;
  std::string_view other;
  std::string_view attributes;
  if (!parse_index_key(key, k) || !parse_stored_value(value, other, attributes)) return false;
  const std::string_view target = by_actor ? other : k.key;
  const std::string_view actor = by_actor ? k.key : other;
  std::string target_key, target_value, actor_key, actor_value;
  append_index_key(target_key, target, k.time_us, k.id);
  append_stored_value(target_value, actor, attributes);
  append_index_key(actor_key, actor, k.time_us, k.id);
  append_stored_value(actor_value, target, attributes);
  by_target.emplace_back(std::move(target_key), std::move(target_value));
  by_actor_out.emplace_back(std::move(actor_key), std::move(actor_value));
  return true;
}

// Where salvaged entries of one table go, and what was seen of them.
class TableSink {
 public:
  TableSink(RocksStore& out, TableHandle table) : out_(out), table_(table) {}
  ~TableSink() = default;

  void add(std::string_view key, std::string_view value, bool by_actor) {
    if (!both_entries(key, value, by_actor, target_, actor_)) {
      ++unreadable_;
      return;
    }
    IndexKey k;
    parse_index_key(key, k);
    min_us_ = std::min(min_us_, k.time_us);
    max_us_ = std::max(max_us_, k.time_us);
    if (target_.size() >= kBatch) flush();
  }
  void flush() {
    if (target_.empty()) return;
    out_.restore_entries(table_, Index::kTarget, target_);
    out_.restore_entries(table_, Index::kActor, actor_);
    target_.clear();
    actor_.clear();
  }
  std::int64_t min_us() const { return min_us_; }
  std::int64_t max_us() const { return max_us_; }
  bool empty() const { return max_us_ < min_us_; }
  std::uint64_t unreadable() const { return unreadable_; }

 private:
  RocksStore& out_;
  TableHandle table_;
  Entries target_;
  Entries actor_;
  std::int64_t min_us_ = INT64_MAX;
  std::int64_t max_us_ = INT64_MIN;
  std::uint64_t unreadable_ = 0;
};

// Reads one table file from both ends up to its damaged blocks; returns
// how many entries it read, and the file's own count of them.
std::pair<std::uint64_t, std::uint64_t> salvage_table_file(const fs::path& file, bool by_actor,
                                                           TableSink& sink, std::string& problem) {
  rocksdb::Options options;
  rocksdb::SstFileReader reader(options);
  rocksdb::Status status = reader.Open(file.string());
  if (!status.ok()) {
    problem = status.ToString();
    return {0, 0};
  }
  const std::uint64_t entries = reader.GetTableProperties()->num_entries;
  std::unique_ptr<rocksdb::Iterator> it(reader.NewIterator(rocksdb::ReadOptions()));
  std::uint64_t read = 0;
  std::string last_forward;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    sink.add(it->key().ToStringView(), it->value().ToStringView(), by_actor);
    last_forward = it->key().ToString();
    ++read;
  }
  if (it->status().ok()) return {read, entries};
  problem = it->status().ToString();
  // From the end back to the damage: what lies past it.
  std::unique_ptr<rocksdb::Iterator> back(reader.NewIterator(rocksdb::ReadOptions()));
  for (back->SeekToLast(); back->Valid() && back->key().ToString() > last_forward; back->Prev()) {
    sink.add(back->key().ToStringView(), back->value().ToStringView(), by_actor);
    ++read;
  }
  return {read, entries};
}

// The table files of `family` the store used (from its MANIFEST), or, with
// no MANIFEST to read, every table file whose properties name the family.
std::vector<fs::path> table_files_of(const Source& source, const fs::path& snapshot,
                                     const std::string& family) {
  std::vector<fs::path> files;
  if (source.db) {
    std::vector<rocksdb::LiveFileMetaData> live;
    source.db->GetLiveFilesMetaData(&live);
    for (const auto& f : live) {
      if (f.column_family_name == family) files.push_back(snapshot / f.relative_filename);
    }
    return files;
  }
  for (const auto& e : fs::directory_iterator(snapshot)) {
    if (e.path().extension() != ".sst") continue;
    rocksdb::Options options;
    rocksdb::SstFileReader reader(options);
    if (reader.Open(e.path().string()).ok() &&
        reader.GetTableProperties()->column_family_name == family) {
      files.push_back(e.path());
    }
  }
  return files;
}

// Every entry of one activity family into `sink`: through the merged view
// when it reads whole, else source by source.
void salvage_family(const Source& source, const fs::path& snapshot, const std::string& family,
                    bool by_actor, TableSink& sink, RepairReport& report) {
  if (source.db) {
    auto handle = source.families.find(family);
    if (handle == source.families.end()) return;
    std::unique_ptr<rocksdb::Iterator> it(
        source.db->NewIterator(rocksdb::ReadOptions(), handle->second));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      sink.add(it->key().ToStringView(), it->value().ToStringView(), by_actor);
    }
    if (it->status().ok()) return;
    report.findings.push_back(family + ": " + it->status().ToString() + "; read file by file");
    // What the log held.
    rocksdb::ReadOptions memtables;
    memtables.read_tier = rocksdb::kMemtableTier;
    std::unique_ptr<rocksdb::Iterator> mem(source.db->NewIterator(memtables, handle->second));
    for (mem->SeekToFirst(); mem->Valid(); mem->Next()) {
      sink.add(mem->key().ToStringView(), mem->value().ToStringView(), by_actor);
    }
  }
  for (const fs::path& file : table_files_of(source, snapshot, family)) {
    std::string problem;
    const auto [read, entries] = salvage_table_file(file, by_actor, sink, problem);
    if (problem.empty()) continue;
    report.findings.push_back(file.filename().string() + " (" + family + "): " + problem + "; " +
                              std::to_string(read) + " of its " + std::to_string(entries) +
                              " entries read" +
                              (entries > read ? " (the other index may hold the rest)" : ""));
  }
}

// The table's settings from its metadata record.
TableOptions table_options(const std::string& meta) {
  TableOptions options;
  try {
    const Value parsed = value_from_json(meta);
    if (const Value* r = parsed.find("retention_s"); r != nullptr && r->is_int())
      options.retention = std::chrono::seconds(r->as_int());
    if (const Value* r = parsed.find("counts_retention_s"); r != nullptr && r->is_int())
      options.counts_retention = std::chrono::seconds(r->as_int());
  } catch (const InvalidArgument&) {
  }
  return options;
}

// What the damaged store's counts said about [from_us, to_us) of a table,
// or -1 when they cannot be read.
std::int64_t counted_before(const Source& source, const std::string& table, std::int64_t from_us,
                            std::int64_t to_us) {
  if (!source.db) return -1;
  auto family = source.families.find(table + std::string(kCountsSuffix));
  if (family == source.families.end()) return -1;
  try {
    CountsKeeper counts(source.db.get(), "damaged store");
    const std::int64_t first = from_us / core::kHourUs;
    const std::int64_t last = (to_us - 1) / core::kHourUs;
    std::int64_t total = 0;
    for (const std::int64_t n : counts.counts(family->second, "", Bucket::kHour, first,
                                              static_cast<std::size_t>(last - first + 1))) {
      total += n;
    }
    return total;
  } catch (const Error&) {
    return -1;
  }
}

std::uint64_t bytes_in(const fs::path& dir) {
  std::uint64_t total = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

}  // namespace

RepairReport salvage(const EmbeddedOptions& options, const std::string& location) {
  const fs::path dir = fs::absolute(options.path).lexically_normal();
  if (!fs::is_directory(dir)) {
    throw NotFound("no cctv store at " + location + " (" + dir.string() + " is not a directory)");
  }
  StoreLock lock(dir, location);
  const std::uint64_t needed = bytes_in(dir);
  if (const auto space = disk_space(dir.string()); space && space->free < needed + needed / 4) {
    throw StoreFull("repairing " + location + " writes a second copy of its data (about " +
                    format_bytes(needed) + "), and its disk has " + format_bytes(space->free) +
                    " free; free some space, or copy the directory to a larger disk and repair "
                    "it there");
  }
  RepairReport report;
  const std::string when = stamp();
  const fs::path snapshot = dir.parent_path() / (dir.filename().string() + ".repair-" + when);
  const fs::path fresh = dir.parent_path() / (dir.filename().string() + ".repaired-" + when);
  const fs::path aside = dir.parent_path() / (dir.filename().string() + ".damaged-" + when);
  struct Cleanup {
    fs::path snapshot, fresh;
    bool done = false;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(snapshot, ec);
      if (!done) fs::remove_all(fresh, ec);
    }
  } cleanup{snapshot, fresh};
  link_snapshot(dir, snapshot, report);

  // Skipping each damaged log record keeps the most; a damaged record that
  // still passes its checksum (a write batch that does not parse) stops
  // that, and then the log is read up to the damage.
  Source source;
  open_source(snapshot, rocksdb::WALRecoveryMode::kSkipAnyCorruptedRecords, source);
  if (!source.db) {
    const std::string skipping = source.error;
    open_source(snapshot, rocksdb::WALRecoveryMode::kPointInTimeRecovery, source);
    if (source.db) {
      report.findings.push_back("the log could not be read past its damage (" + skipping +
                                "): what it held after the damage is lost");
    }
  }
  if (!source.db) {
    report.findings.push_back(
        "the store could not be opened even read-only (" + source.error +
        "): salvaged from its table files alone, without what only its log held");
  }
  // Table names: from the families the MANIFEST lists, else from the table
  // files' properties.
  std::set<std::string> tables;
  const auto add_family_name = [&](const std::string& name) {
    for (std::string_view suffix : {kTargetSuffix, kActorSuffix}) {
      if (name.ends_with(suffix)) tables.insert(name.substr(0, name.size() - suffix.size()));
    }
  };
  if (source.db) {
    for (const auto& [name, handle] : source.families) add_family_name(name);
  } else {
    for (const auto& e : fs::directory_iterator(snapshot)) {
      if (e.path().extension() != ".sst") continue;
      rocksdb::Options o;
      rocksdb::SstFileReader reader(o);
      if (reader.Open(e.path().string()).ok())
        add_family_name(reader.GetTableProperties()->column_family_name);
    }
  }

  EmbeddedOptions fresh_options = options;
  fresh_options.path = fresh.string();
  fresh_options.counts = true;
  {
    auto out = RocksStore::open(fresh_options, "rocksdb:" + fresh.string(), false);
    for (const std::string& name : tables) {
      std::string meta;
      if (source.db) {
        source.db->Get(rocksdb::ReadOptions(), meta_key(name), &meta).PermitUncheckedError();
      }
      const TableHandle handle = out->create_table(name, table_options(meta));
      if (!meta.empty()) out->restore_meta(name, meta);
      TableSink sink(*out, handle);
      salvage_family(source, snapshot, name + std::string(kTargetSuffix), false, sink, report);
      salvage_family(source, snapshot, name + std::string(kActorSuffix), true, sink, report);
      sink.flush();
      if (sink.unreadable() > 0) {
        report.findings.push_back(name + ": " + std::to_string(sink.unreadable()) +
                                  " entries not in the store's layout, skipped");
      }
      RepairReport::Table t;
      t.name = name;
      if (!sink.empty()) {
        // Past the table's retention, activities are gone by design and
        // their counts stay: compare only what both should hold.
        const TableOptions settings = table_options(meta);
        std::int64_t from_us = sink.min_us();
        if (settings.retention.count() > 0) {
          from_us = std::max(
              from_us, now().time_since_epoch().count() -
                           std::chrono::duration_cast<Microseconds>(settings.retention).count());
        }
        const std::int64_t to_us = sink.max_us() + 1;
        out->rebuild_counts(handle, sink.min_us(), to_us);
        if (from_us < to_us) {
          out->scan(handle, from_us, to_us, [&t](const Activity&) { ++t.activities; });
          t.counted_before = counted_before(source, name, from_us, to_us);
        }
      }
      report.tables.push_back(std::move(t));
    }
    out->sync();
  }
  std::set<std::string> said;
  for (const std::string& line : source.log->damage()) {
    if (said.insert(line).second) report.findings.push_back("RocksDB: " + line);
  }
  source.close();

  fs::rename(dir, aside);
  fs::rename(fresh, dir);
  cleanup.done = true;
  report.damaged_copy = aside.string();
  return report;
}

}  // namespace cctv::store::embedded
