#include "store/embedded/salvage.h"

#include <rocksdb/db.h>
#include <rocksdb/sst_file_reader.h>
#include <rocksdb/table_properties.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>

#include "cctv/error.h"
#include "cctv/json.h"
#include "core/bucket.h"
#include "core/coding.h"
#include "core/utc_stamp.h"
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
  rocksdb::Status last_status;
  ~Source() { close(); }
  // Handles first: RocksDB asserts that none outlives its DB.
  void close() {
    for (auto& [name, handle] : families) db->DestroyColumnFamilyHandle(handle);
    families.clear();
    db.reset();
  }
};

void open_source_once(const fs::path& snapshot, rocksdb::WALRecoveryMode mode, Source& source);

// What mend_tracked_log did: nothing (the error is not about a tracked
// log), or a mend with the finding to report -- empty when the mend only
// completes one already reported.
struct LogMend {
  bool mended = false;
  std::string finding;
};

// When RocksDB refuses the snapshot because a log its MANIFEST tracks is
// missing or shorter than recorded, mends that in the snapshot -- an empty
// log for a missing one, zeros past the end of a short one (read as
// padding) -- so that the other logs are still read. `created` holds the
// logs made up for missing ones: RocksDB next finds each too short, and
// that is the same loss, not a second one.
LogMend mend_tracked_log(const fs::path& snapshot, const rocksdb::Status& status,
                         std::set<std::string>& created) {
  static const std::regex kMissing(R"(Missing WAL with log number: (\d+))");
  static const std::regex kShort(R"(WAL \(log number: (\d+)\) in MANIFEST is (\d+) bytes)");
  const std::string text = status.ToString();
  std::smatch m;
  const auto log_name = [](const std::string& number) {
    char name[32];
    std::snprintf(name, sizeof name, "%06llu.log", std::stoull(number));
    return std::string(name);
  };
  if (std::regex_search(text, m, kMissing)) {
    const std::string name = log_name(m[1]);
    std::ofstream(snapshot / name);
    created.insert(name);
    return {true, "log " + name + " was missing: what only it held is lost"};
  }
  if (std::regex_search(text, m, kShort)) {
    const std::string name = log_name(m[1]);
    const fs::path log = snapshot / name;
    const std::uintmax_t have = fs::exists(log) ? fs::file_size(log) : 0;
    // A copy, not the hard link: the damaged store stays as it was.
    const fs::path copy = snapshot / (name + ".mended");
    fs::copy_file(log, copy);
    fs::resize_file(copy, std::stoull(m[2]));
    fs::rename(copy, log);
    if (created.count(name)) return {true, ""};
    return {true, "log " + name + " was cut short at " + std::to_string(have) +
                      " bytes: what it held past them is lost"};
  }
  return {};
}

void open_source(const fs::path& snapshot, rocksdb::WALRecoveryMode mode, Source& source,
                 std::vector<std::string>& findings) {
  std::set<std::string> created;
  // Each round mends one log; a store has far fewer live logs than this.
  for (int round = 0; round < 64; ++round) {
    open_source_once(snapshot, mode, source);
    if (source.db) return;
    const LogMend mend = mend_tracked_log(snapshot, source.last_status, created);
    if (!mend.mended) return;
    if (!mend.finding.empty()) findings.push_back(mend.finding);
  }
}

void open_source_once(const fs::path& snapshot, rocksdb::WALRecoveryMode mode, Source& source) {
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
  source.last_status = status;
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
  source.last_status = status;
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

// Where a count row's period starts, its length, and the length of one of
// its slots; false for a key that is not a row (a dirty mark).
bool row_period(std::string_view key, std::int64_t& start_us, std::int64_t& length_us,
                std::int64_t& slot_us) {
  if (key.size() >= kRowKeyPrefix && key[0] == kMinuteRow) {
    start_us = core::read_be32(key.data() + 1) * core::kHourUs;
    length_us = core::kHourUs;
    slot_us = core::kMinuteUs;
    return true;
  }
  const bool hours = key.size() >= kRowKeyPrefix && key[0] == kHourRow;
  const bool sketches = key.size() >= kSketchKeyPrefix && key[0] == kSketchRow;
  if (!hours && !sketches) return false;
  start_us = core::read_be32(key.data() + (hours ? 1 : 2)) * core::kDayUs;
  length_us = core::kDayUs;
  slot_us = core::kHourUs;
  return true;
}

// The damaged store's counts of the time the salvaged activities cannot
// recount, added to `out` as they are: before `from_us` (the oldest
// salvaged activity: counts outlive activities past the table's retention)
// and from `after_us` on (the day after the newest's, which the recount
// did not touch). Rows wholly in that time are kept whole; of the rows
// `from_us` falls in, which the recount rewrote from it on, the slots
// before it.
void keep_counts_not_recounted(const Source& source, const std::string& table, std::int64_t from_us,
                               std::int64_t after_us, RocksStore& out, TableHandle handle,
                               std::vector<std::string>& findings) {
  auto family = source.families.find(table + std::string(kCountsSuffix));
  if (!source.db || family == source.families.end()) {
    findings.push_back(table + ": its counts could not be read: the counts of the time " +
                       "without salvaged activities are lost");
    return;
  }
  rocksdb::ReadOptions options;
  options.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(source.db->NewIterator(options, family->second));
  Entries rows;
  std::uint64_t malformed = 0;
  std::string part;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view key(it->key().data(), it->key().size());
    const std::string_view value(it->value().data(), it->value().size());
    std::int64_t start_us = 0, length_us = 0, slot_us = 0;
    if (!row_period(key, start_us, length_us, slot_us)) continue;
    if (start_us + length_us <= from_us || start_us >= after_us) {
      part.assign(value);
    } else if (start_us >= from_us) {
      continue;  // recounted
    } else if (!slots_before(key, value, static_cast<std::uint32_t>((from_us - start_us) / slot_us),
                             part)) {
      ++malformed;
      continue;
    }
    if (part.empty()) continue;
    rows.emplace_back(std::string(key), std::move(part));
    if (rows.size() >= kBatch) {
      out.restore_counts(handle, rows);
      rows.clear();
    }
  }
  out.restore_counts(handle, rows);
  if (!it->status().ok()) {
    findings.push_back(table + ": its counts could be read only in part (" +
                       it->status().ToString() + "): the counts of the time without salvaged " +
                       "activities are kept up to the damage");
  }
  if (malformed > 0) {
    findings.push_back(table + ": " + std::to_string(malformed) + " malformed count rows skipped");
  }
}

// Snapshots inside a store that is a mount point: ".cctv-repair-<when>".
const std::string kSnapshotPrefix = ".cctv-repair-";

bool is_mount_point(const fs::path& dir) {
  struct stat self {
  }, parent{};
  return ::stat(dir.c_str(), &self) == 0 && ::stat(dir.parent_path().c_str(), &parent) == 0 &&
         self.st_dev != parent.st_dev;
}

void remove_stale_snapshots(const fs::path& dir) {
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_directory() && e.path().filename().string().starts_with(kSnapshotPrefix))
      fs::remove_all(e.path());
  }
}

// The nearest directory at or above `path` that exists: where a directory
// made at `path` takes its space from.
fs::path existing_ancestor(fs::path path) {
  while (!path.empty() && !fs::exists(path) && path != path.parent_path())
    path = path.parent_path();
  return path;
}

// A directory to repair into: absent (it is made) or empty, and neither the
// store nor inside it.
void check_repair_target(const fs::path& dir, const fs::path& target) {
  const auto inside = [](const fs::path& a, const fs::path& b) {  // a at or under b
    const auto [end, ignored] = std::mismatch(b.begin(), b.end(), a.begin(), a.end());
    return end == b.end();
  };
  if (inside(target, dir) || inside(dir, target)) {
    throw InvalidArgument("into", target.string() + " holds or is inside the damaged store " +
                                      dir.string() + "; repair into a directory elsewhere");
  }
  if (fs::exists(target) && (!fs::is_directory(target) || !fs::is_empty(target))) {
    throw InvalidArgument("into",
                          target.string() + " is not an empty directory; name a new or empty one");
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

RepairReport salvage(const EmbeddedOptions& options, const std::string& location,
                     const std::string& into) {
  const fs::path dir = fs::absolute(options.path).lexically_normal();
  if (!fs::is_directory(dir)) {
    throw NotFound("no cctv store at " + location + " (" + dir.string() + " is not a directory)");
  }
  // A mount point cannot be renamed aside; it can be read from.
  const bool mounted = is_mount_point(dir);
  if (mounted && into.empty()) {
    throw InvalidArgument("store", dir.string() +
                                       " is a mount point, and a repair in place moves the "
                                       "damaged store aside; repair into an empty directory "
                                       "instead (`cctv repair --into DIR`), then use that");
  }
  const fs::path target = into.empty() ? fs::path() : fs::absolute(into).lexically_normal();
  if (!into.empty()) check_repair_target(dir, target);
  StoreLock lock(dir, location);
  const std::uint64_t needed = bytes_in(dir);
  const fs::path written_on = into.empty() ? dir : existing_ancestor(target);
  if (const auto space = disk_space(written_on.string());
      space && space->free < needed + needed / 4) {
    throw StoreFull("repairing " + location + " writes a second copy of its data (about " +
                    format_bytes(needed) + ") to " + written_on.string() + ", and its disk has " +
                    format_bytes(space->free) +
                    " free; free some space, or repair into a directory on a larger disk "
                    "(`cctv repair --into DIR`)");
  }
  if (!into.empty()) fs::create_directories(target);
  RepairReport report;
  const std::string when = core::utc_stamp();
  // The snapshot is hard links, so on the store's own file system: beside
  // it, or in it when it is a mount point (where a crash may leave one:
  // those go first).
  if (mounted) remove_stale_snapshots(dir);
  const fs::path snapshot = mounted
                                ? dir / (kSnapshotPrefix + when)
                                : dir.parent_path() / (dir.filename().string() + ".repair-" + when);
  const fs::path fresh =
      into.empty() ? dir.parent_path() / (dir.filename().string() + ".repaired-" + when) : target;
  const fs::path aside = dir.parent_path() / (dir.filename().string() + ".damaged-" + when);
  struct Cleanup {
    fs::path snapshot, fresh;
    bool done = false;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(snapshot, ec);
      if (done) return;
      // Only what the repair wrote: an `into` that was an empty directory
      // is emptied, not removed.
      if (fs::is_directory(fresh, ec)) {
        for (const auto& e : fs::directory_iterator(fresh, ec)) fs::remove_all(e.path(), ec);
      }
    }
  } cleanup{snapshot, fresh};
  link_snapshot(dir, snapshot, report);

  // Skipping each damaged log record keeps the most; a damaged record that
  // still passes its checksum (a write batch that does not parse) stops
  // that, and then the log is read up to the damage.
  Source source;
  open_source(snapshot, rocksdb::WALRecoveryMode::kSkipAnyCorruptedRecords, source,
              report.findings);
  if (!source.db) {
    const std::string skipping = source.error;
    open_source(snapshot, rocksdb::WALRecoveryMode::kPointInTimeRecovery, source, report.findings);
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
      if (sink.empty()) {
        keep_counts_not_recounted(source, name, INT64_MAX, INT64_MAX, *out, handle,
                                  report.findings);
      } else {
        keep_counts_not_recounted(source, name, sink.min_us(),
                                  (core::day_of(sink.max_us()) + 1) * core::kDayUs, *out, handle,
                                  report.findings);
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

  cleanup.done = true;
  if (!into.empty()) {
    report.damaged_copy = dir.string();
    report.repaired = fresh.string();
    return report;
  }
  std::error_code ec;
  fs::rename(dir, aside, ec);
  if (ec) {
    throw StoreError("the repaired store is in " + fresh.string() + ", but " + dir.string() +
                     " could not be moved aside to put it in place (" + ec.message() +
                     "); move it yourself, or use the repaired store where it is");
  }
  fs::rename(fresh, dir, ec);
  if (ec) {
    throw StoreError("the damaged store was moved aside to " + aside.string() +
                     ", but the repaired one could not be moved from " + fresh.string() + " to " +
                     dir.string() + " (" + ec.message() + "); move it yourself");
  }
  report.damaged_copy = aside.string();
  report.repaired = dir.string();
  return report;
}

}  // namespace cctv::store::embedded
