#include "store/embedded/rocks_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <rocksdb/write_buffer_manager.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <filesystem>
#include <mutex>
#include <unordered_set>

#include "cctv/error.h"
#include "cctv/json.h"
#include "core/bucket.h"
#include "core/coding.h"
#include "core/validate.h"
#include "store/counts_pace.h"
#include "store/embedded/count_rows.h"
#include "store/embedded/free_space.h"
#include "store/embedded/key_layout.h"
#include "store/embedded/serving_note.h"
#include "store/embedded/sorted_batch.h"
#include "store/embedded/table_check.h"
#include "store/embedded/time_span.h"

namespace cctv::store::embedded {

namespace {

rocksdb::ColumnFamilyOptions make_family_options(const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions options;
  options.write_buffer_size = std::size_t{32} << 20;
  // Flush output and the first level are rewritten soon: compressing them
  // costs CPU that ingest needs. LZ4 below; no ZSTD at the bottom, whose
  // compaction CPU showed up as a fifth of ingest time at 10M activities.
  options.compression_per_level = {rocksdb::kNoCompression,  rocksdb::kNoCompression,
                                   rocksdb::kLZ4Compression, rocksdb::kLZ4Compression,
                                   rocksdb::kLZ4Compression, rocksdb::kLZ4Compression,
                                   rocksdb::kLZ4Compression};
  options.level_compaction_dynamic_level_bytes = true;
  // Let L0 absorb a burst: compaction starts at 8 files and writes slow
  // down only at 48. With compaction at low CPU priority (see open()), a
  // burst of 10M activities ran 25-35% faster in the same session, and views
  // during it no longer waited behind compaction (p99 4 ms -> under 0.5 ms).
  // Sustained overload still ends in RocksDB's write stall, which reaches
  // the application as Backpressure.
  options.level0_file_num_compaction_trigger = 8;
  options.level0_slowdown_writes_trigger = 48;
  options.level0_stop_writes_trigger = 64;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  // Index and filter blocks live in the block cache, inside cache_mb, not
  // beside it: held by every open table file, they grew with the data (200
  // MB after 47M activities on new targets, mostly the counts family's
  // filters). The first level's stay pinned, and the rest are evicted last.
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.format_version = 5;
  // XXH3 rather than CRC32c: Debian's RocksDB is built portable, without
  // the SSE4.2 CRC instruction.
  table.checksum = rocksdb::kXXH3;
  options.table_properties_collector_factories.push_back(time_span_collector_factory());
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

// Decodes the entry an iterator is on into a new element of `out`.
void decode_into(const rocksdb::Iterator& it, Index index, const std::string& location,
                 std::vector<Activity>& out) {
  Activity& a = out.emplace_back();
  if (!decode_activity(std::string_view(it.key().data(), it.key().size()),
                       std::string_view(it.value().data(), it.value().size()),
                       index == Index::kActor, a)) {
    throw StoreError("corrupt activity record in " + location +
                     "; restore the data directory from a backup");
  }
}

// Whether `dir` holds what only an existing store writes: table files or a
// log with something in it. (A MANIFEST alone is what a creation cut short
// leaves; it holds no activity.)
bool holds_store_files(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with(".sst")) return true;
    if (name.ends_with(".log") && name != "LOG" && entry.file_size(ec) > 0) return true;
  }
  return false;
}

// How many table files RocksDB may keep open. By default it keeps every
// one open, so the descriptors a store holds grow with its size until they
// meet the process's limit, and then opens of files and sockets fail. Half
// the soft limit goes to table files, the rest to logs and connections;
// past it, RocksDB closes the least used (a reopen costs a read).
int table_files_open_at_most() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return -1;
  return static_cast<int>(std::clamp<rlim_t>(limit.rlim_cur / 2, 64, INT_MAX));
}

// A read-only open beside a writer tries this many more times.
constexpr int kReadOnlyRetries = 10;
constexpr auto kReadOnlyRetryPause = std::chrono::milliseconds(30);

std::string already_open(const std::string& location) {
  return "the store at " + location +
         " is already open for writing (by another process, or another client in this one); "
         "stop it, or open read-only (cctv view and export do)";
}

// What a store RocksDB found damaged says: the damage, the files RocksDB's
// log named, and what to do.
std::string damaged(const std::string& location, const rocksdb::Status& status,
                    const std::vector<std::string>& log_lines) {
  std::string message = "the store at " + location + " is damaged: " + status.ToString();
  for (const std::string& line : log_lines) message += "; " + line;
  return message + ". It was not opened; its files were left as they are. Run `cctv --store " +
         location +
         " repair` to salvage what is readable (the damaged files are kept aside), or restore "
         "the directory from a backup";
}

}  // namespace

RocksStore::RocksStore(std::string location, bool read_only)
    : location_(std::move(location)), read_only_(read_only) {}

namespace {
std::atomic<bool> any_opened{false};
}  // namespace

bool RocksStore::opened_in_this_process() noexcept {
  return any_opened.load(std::memory_order_relaxed);
}

std::unique_ptr<RocksStore> RocksStore::open(const EmbeddedOptions& tuning, std::string location,
                                             bool read_only, std::function<Timestamp()> clock) {
  any_opened.store(true, std::memory_order_relaxed);
  const std::string& path = tuning.path;
  std::unique_ptr<RocksStore> store(new RocksStore(std::move(location), read_only));
  store->dir_ = path;
  rocksdb::LRUCacheOptions cache_options;
  cache_options.capacity = tuning.cache_mb << 20;
  cache_options.high_pri_pool_ratio = 0.5;  // for index and filter blocks
  auto cache = rocksdb::NewLRUCache(cache_options);
  store->family_options_ = make_family_options(cache);
  store->retention_ = std::make_shared<Retention>(std::move(clock));
  store->family_options_.compaction_filter_factory = store->retention_->filter_factory();

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = !read_only;
  db_options.create_missing_column_families = !read_only;
  db_options.max_background_jobs = 2;
  db_options.bytes_per_sync = std::size_t{1} << 20;
  db_options.keep_log_file_num = 5;
  db_options.max_log_file_size = std::size_t{8} << 20;
  // With many tables, a quiet table's memtable would pin old WAL files;
  // capping the WAL makes RocksDB flush it.
  db_options.max_total_wal_size = std::size_t{512} << 20;
  db_options.max_open_files = table_files_open_at_most();
  db_options.write_buffer_manager =
      std::make_shared<rocksdb::WriteBufferManager>(tuning.memtable_mb << 20);
  // Two writer threads insert their batches into the memtables in parallel.
  // The price: an iterator opened while writes are in flight may see a later
  // batch before an earlier one. Views do not depend on that order -- a
  // cursor is a key position, and a Write() is visible once it returns, so
  // flush() still means "readable".
  db_options.unordered_write = true;
  // A crash mid-write leaves a torn record at the end of the log: dropped
  // silently. Anything else wrong in a log -- a damaged record with good
  // ones after it -- refuses the open instead of dropping every activity
  // after it (kPointInTimeRecovery, RocksDB's default, did). The MANIFEST
  // keeps each closed log's size, so a log cut short or missing is refused
  // too.
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  db_options.track_and_verify_wals_in_manifest = true;
  // RocksDB's background errors decide whether writes are taken; its info
  // log is written by cctv (rocks_log.h says why). A read-only open logs
  // nothing to disk: the directory is another process's.
  store->events_ = std::make_shared<StoreEvents>();
  db_options.listeners.push_back(store->events_);
  if (!read_only) {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    // Held by another process (or client)? Then say so now, before this
    // open reads table files or writes the holder's log.
    if (held_by_another_process(path)) throw StoreError(already_open(store->location_));
  }
  store->log_ = std::make_shared<RocksLog>(read_only ? "" : path + "/LOG");
  db_options.info_log = store->log_;
  if (!read_only) {
    store->log_space_->on_wait([s = store.get()] { s->gate_->shut(s->waiting_for_room(), true); });
    store->env_ = rocksdb::NewCompositeEnv(
        reserving_log_space(rocksdb::FileSystem::Default(), store->log_space_));
    db_options.env = store->env_.get();
  }
  // Foreground writes first: compaction runs at low CPU priority and
  // catches up when ingest pauses. (Process-wide: RocksDB's default Env.)
  rocksdb::Env::Default()->LowerThreadPoolCPUPriority(rocksdb::Env::Priority::LOW,
                                                      rocksdb::CpuPriority::kLow);
  rocksdb::ConfigOptions config;
  config.ignore_unknown_options = false;
  if (!tuning.db_options.empty()) {
    rocksdb::DBOptions tuned;
    auto status = rocksdb::GetDBOptionsFromString(config, db_options, tuning.db_options, &tuned);
    if (!status.ok()) throw InvalidArgument("db_options", status.ToString());
    db_options = tuned;
  }
  if (!tuning.cf_options.empty()) {
    rocksdb::ColumnFamilyOptions tuned;
    auto status = rocksdb::GetColumnFamilyOptionsFromString(config, store->family_options_,
                                                            tuning.cf_options, &tuned);
    if (!status.ok()) throw InvalidArgument("cf_options", status.ToString());
    store->family_options_ = tuned;
  }

  store->counts_options_ = store->family_options_;
  // Count rows hold no activity times: the time-span collector is for the
  // activity families only.
  store->counts_options_.table_properties_collector_factories.clear();
  store->counts_options_.merge_operator = counts_merge_operator();
  // Counts arrive as a few merges per target a round: a small memtable
  // holds many seconds of them, and a large one would only add to the
  // memory the activities' memtables use (at 10M activities, 32 MB here
  // took peak RSS from 230 to 340 MB).
  store->counts_options_.write_buffer_size = std::size_t{4} << 20;
  // Count series are point lookups (a row per hour or day): Bloom filters
  // let them skip the files that lack the row. Activities are read by
  // range and need none.
  if (const auto* table =
          store->family_options_.table_factory->GetOptions<rocksdb::BlockBasedTableOptions>()) {
    rocksdb::BlockBasedTableOptions with_filter = *table;
    with_filter.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    store->counts_options_.table_factory.reset(rocksdb::NewBlockBasedTableFactory(with_filter));
  }

  std::vector<std::string> names;
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::path(path) / "CURRENT", ec)) {
    auto status = rocksdb::DB::ListColumnFamilies(db_options, path, &names);
    // Beside a writer, its MANIFEST may be replaced under the read.
    for (int i = 0; read_only && !status.ok() && i < kReadOnlyRetries; ++i) {
      std::this_thread::sleep_for(kReadOnlyRetryPause);
      names.clear();
      status = rocksdb::DB::ListColumnFamilies(db_options, path, &names);
    }
    if (!status.ok()) store->fail("list the tables", status);
    // A damaged table file is refused now, before RocksDB changes anything,
    // not met later by a compaction that would stop every write.
    if (!read_only) check_table_files(path, store->location_);
  } else if (holds_store_files(path)) {
    // RocksDB would take the directory for an empty one and delete its
    // files as it creates a new store.
    throw StoreError("the store at " + store->location_ +
                     " is damaged: its directory holds table or log files but no CURRENT file "
                     "(which names the store's MANIFEST); it was not opened, and its files were "
                     "left as they are. Run `cctv --store " +
                     store->location_ + " repair` to rebuild it from what is there");
  } else if (read_only) {
    throw NotFound("no cctv store at " + store->location_ +
                   " (nothing has been recorded there yet; check --store or CCTV_STORE)");
  } else {
    names.push_back(rocksdb::kDefaultColumnFamilyName);
  }

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.reserve(names.size());
  for (const auto& name : names) {
    descriptors.emplace_back(
        name, name.ends_with(kCountsSuffix) ? store->counts_options_ : store->family_options_);
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::Status status =
      read_only ? rocksdb::DB::OpenForReadOnly(db_options, path, descriptors, &handles, &db)
                : rocksdb::DB::Open(db_options, path, descriptors, &handles, &db);
  // Beside a writer, a log or table file the MANIFEST names may be deleted
  // (flushed, compacted away) between the reading of the MANIFEST and of
  // the file: RocksDB then reports it missing. Try again before calling
  // it damage.
  for (int i = 0; read_only && !status.ok() && i < kReadOnlyRetries; ++i) {
    std::this_thread::sleep_for(kReadOnlyRetryPause);
    handles.clear();
    status = rocksdb::DB::OpenForReadOnly(db_options, path, descriptors, &handles, &db);
  }
  if (!status.ok()) {
    if (status.ToString().find("lock") != std::string::npos) {
      throw StoreError(already_open(store->location_));
    }
    if (status.IsCorruption()) {
      if (read_only && held_by_another_process(path)) {
        throw StoreError("could not read " + store->location_ + " while it is being written (" +
                         status.ToString() + ", " + std::to_string(kReadOnlyRetries + 1) +
                         " times); try again");
      }
      throw StoreError(damaged(store->location_, status, store->log_->damage()));
    }
    if (status.IsNoSpace()) {
      const auto space = disk_space(path);
      throw StoreFull("the disk holding " + path + " is full" +
                      (space ? " (" + format_bytes(space->free) + " free)" : std::string()) +
                      ": the store cannot be opened for writing, since opening writes (RocksDB "
                      "turns its log into a table file); free some space, or read it meanwhile "
                      "with commands that only read (cctv view, export, count)");
    }
    store->fail("open", status);
  }
  store->db_.reset(db);
  if (!read_only) {
    // Checked before the open; the ledger now vouches for them and for
    // what the open wrote (its log replayed into new files).
    record_table_files(*db, path);
    store->tables_checked_ = true;
  }
  store->counts_ =
      std::make_unique<CountsKeeper>(db, store->location_, std::size_t{tuning.counts_mb} << 20,
                                     read_only ? nullptr : store->log_space_);
  // A new log now waits for its room rather than failing (log_space.h).
  if (!read_only) store->log_space_->opened();
  // This process holds the store now: a serving note there is a killed
  // server's, and would send other processes to it while this one writes.
  if (!read_only) remove_serving_note(path);
  store->load_tables(handles);
  store->counting_ = tuning.counts;
  if (const auto space = disk_space(path)) {
    store->free_bytes_ = static_cast<std::int64_t>(space->free);
    store->floor_ = tuning.min_free_mb
                        ? std::uint64_t{*tuning.min_free_mb} << 20
                        : default_floor(space->size, std::uint64_t{tuning.memtable_mb} << 20);
  }
  if (!read_only) {
    store->watch_disk();
    store->disk_watch_ = std::make_unique<PeriodicTask>(std::chrono::seconds(1),
                                                        [s = store.get()] { s->watch_disk(); });
  }
  if (store->counting_ && !read_only) {
    // Counts a crash kept from being written are recounted before anything
    // new is written.
    for (const auto& table : store->tables_) {
      if (table.live() && table.by_counts != nullptr)
        store->counts_->recover(table.by_counts, table.by_target);
    }
    store->counts_writer_ = std::make_unique<PeriodicTask>(kCountsCheckPeriod, [s = store.get()] {
      if (s->recount_due_.load(std::memory_order_acquire)) {
        s->recount_after_failure();
        return;
      }
      if (!s->counts_->write_due()) return;
      std::shared_lock tables(s->mu_);
      try {
        s->counts_->flush([s](std::uint32_t t) { return s->tables_[t].by_counts; });
      } catch (const StoreError&) {
        // What was gathered is lost from memory; its marks name it.
        s->recount_due_.store(true, std::memory_order_release);
        throw;
      }
    });
  }
  return store;
}

void RocksStore::load_tables(const std::vector<rocksdb::ColumnFamilyHandle*>& handles) {
  std::unique_lock lock(mu_);
  std::vector<rocksdb::ColumnFamilyHandle*> orphans;
  for (auto* handle : handles) {
    const std::string_view name = handle->GetName();
    if (name.ends_with(kTargetSuffix)) {
      tables_[intern_locked(name.substr(0, name.size() - kTargetSuffix.size()))].by_target = handle;
    } else if (name.ends_with(kActorSuffix)) {
      tables_[intern_locked(name.substr(0, name.size() - kActorSuffix.size()))].by_actor = handle;
    } else if (name.ends_with(kCountsSuffix)) {
      tables_[intern_locked(name.substr(0, name.size() - kCountsSuffix.size()))].by_counts = handle;
    } else {
      db_->DestroyColumnFamilyHandle(handle);  // "default": metadata only
    }
  }
  for (auto& table : tables_) {
    if (!table.live()) {
      // Families left behind by a drop that did not finish.
      if (table.by_actor != nullptr) orphans.push_back(table.by_actor);
      if (table.by_counts != nullptr) orphans.push_back(table.by_counts);
      table.by_actor = nullptr;
      table.by_counts = nullptr;
      continue;
    }
    std::string meta;
    if (db_->Get(rocksdb::ReadOptions(), meta_key(table.name), &meta).ok()) {
      try {
        const Value parsed = value_from_json(meta);
        const Value* created = parsed.find("created");
        if (created != nullptr && created->is_string())
          table.created = parse_time(created->as_string());
        if (const Value* r = parsed.find("retention_s"); r != nullptr && r->is_int()) {
          table.options.retention = std::chrono::seconds(r->as_int());
        }
        if (const Value* r = parsed.find("counts_retention_s"); r != nullptr && r->is_int()) {
          table.options.counts_retention = std::chrono::seconds(r->as_int());
        }
      } catch (const InvalidArgument&) {
        // Unreadable metadata only costs the creation time.
      }
    } else if (!read_only_) {
      // A create that stopped between the families and the metadata.
      table.created = now();
      write_meta_locked(table);
    }
    // Families a table lacks: an actor index whose creation was cut short,
    // or counts, for tables made before counts existed (they start counting
    // now; `cctv counts rebuild` counts what they hold already).
    const auto add_family = [&](rocksdb::ColumnFamilyHandle*& family,
                                const rocksdb::ColumnFamilyOptions& options,
                                std::string_view suffix, const char* what) {
      if (family != nullptr || read_only_) return;
      auto status = db_->CreateColumnFamily(options, table.name + std::string(suffix), &family);
      if (!status.ok()) fail(what, status);
    };
    add_family(table.by_actor, family_options_, kActorSuffix, "repair the actor index");
    add_family(table.by_counts, counts_options_, kCountsSuffix, "add the counts family");
  }
  if (!read_only_) {
    for (auto* orphan : orphans) {
      db_->DropColumnFamily(orphan);
      db_->DestroyColumnFamilyHandle(orphan);
    }
  } else {
    for (auto* orphan : orphans) db_->DestroyColumnFamilyHandle(orphan);
  }
  for (const auto& table : tables_) {
    if (table.live()) register_retention_locked(table);
  }
}

std::string RocksStore::waiting_for_room() const {
  return "the disk holding " + dir_ +
         " is full: a write is waiting for room in the log, and writes are refused until space "
         "is freed; then they resume by themselves";
}

void RocksStore::closing(std::chrono::steady_clock::time_point deadline) {
  log_space_->stop_waiting_at(deadline);
}

void RocksStore::advertise(const std::string& url) {
  if (read_only_) return;
  write_serving_note(dir_, url);
  advertised_ = true;
}

RocksStore::~RocksStore() {
  if (advertised_) remove_serving_note(dir_);
  log_space_->stop_waiting_at(std::chrono::steady_clock::now());
  if (disk_watch_) disk_watch_->stop();
  if (counts_writer_) counts_writer_->stop();
  if (!db_) return;
  if (!read_only_) {
    try {
      std::shared_lock lock(mu_);
      counts_->flush([this](std::uint32_t t) { return tables_[t].by_counts; });
    } catch (const Error&) {
      // The marks written with the activities let the next open recount.
    }
  }
  // The table files now are the ones checked at open or written since by
  // this process: the next open need not read them again.
  if (tables_checked_) record_table_files(*db_, dir_);
  for (auto& table : tables_) {
    for (auto* family : {table.by_target, table.by_actor, table.by_counts}) {
      if (family != nullptr) db_->DestroyColumnFamilyHandle(family);
    }
  }
  db_->Close();
}

void RocksStore::watch_disk() {
  std::unique_lock lock(watch_mu_, std::try_to_lock);
  if (!lock.owns_lock()) return;  // another thread is looking
  last_watch_ns_.store(std::chrono::steady_clock::now().time_since_epoch().count(),
                       std::memory_order_relaxed);
  bytes_since_watch_.store(0, std::memory_order_relaxed);
  const auto space = disk_space(dir_);
  if (space) free_bytes_.store(static_cast<std::int64_t>(space->free), std::memory_order_relaxed);
  const bool low = space && space->free < floor_;
  std::optional<StoreEvents::Stop> stopped = events_->stopped();
  // Not while a write waits for room in the log: Resume() would wait
  // behind it. A disk with next to no room would only fail it again.
  constexpr std::uint64_t kRoomToResume = std::uint64_t{1} << 20;
  if (stopped && !low && !log_space_->waiting() && space && space->free >= kRoomToResume) {
    const rocksdb::Status resumed = db_->Resume();
    if (resumed.ok()) {
      log_->note("writes resumed after: " + stopped->error.ToString());
      events_->resumed(*stopped);
      stopped = events_->stopped();  // a new error since, if any
    } else {
      log_->note("could not resume writes yet: " + resumed.ToString());
    }
  }
  if (log_space_->waiting()) {
    gate_->shut(waiting_for_room(), true);
  } else if (low) {
    gate_->shut("the disk holding " + dir_ + " has " + format_bytes(space->free) +
                    " free, below the floor of " + format_bytes(floor_) +
                    " kept for writing what was accepted already (min_free_mb in the store URI); "
                    "writes are refused until space is freed, and then resume by themselves",
                true);
  } else if (stopped) {
    gate_->shut("the store at " + location_ +
                    " stopped writing after an error: " + stopped->error.ToString() +
                    (stopped->error.IsNoSpace() ? "; writes resume once the disk has room"
                                                : "; it tries to resume once a second"),
                stopped->error.IsNoSpace());
  } else if (!gate_->open()) {
    gate_->reopen();
  }
}

void RocksStore::recount_after_failure() {
  if (!gate_->open()) return;  // still failing: later
  // Exclusive: no batch is written (and counted) while the marked days are
  // recounted. Rare (a write of counts failed), and bounded by the days the
  // marks name.
  std::unique_lock lock(mu_);
  const auto family_of = [this](std::uint32_t t) { return tables_[t].by_counts; };
  counts_->flush(family_of);
  std::size_t marks = 0;
  for (const auto& table : tables_) {
    if (table.live() && table.by_counts != nullptr)
      marks += counts_->recover(table.by_counts, table.by_target);
  }
  recount_due_.store(false, std::memory_order_release);
  counts_writer_->take_error();  // mended: nothing for sync() to report
  log_->note("recounted the days of " + std::to_string(marks) +
             " marks whose counts a failed write of counts lost");
}

StoreHealth RocksStore::health() {
  StoreHealth h;
  if (read_only_) {
    if (const auto space = disk_space(dir_)) free_bytes_ = static_cast<std::int64_t>(space->free);
  }
  h.writable = gate_->open();
  if (!h.writable) {
    h.problem = gate_->why();
    h.disk_full = gate_->full();
  }
  h.free_bytes = free_bytes_.load(std::memory_order_relaxed);
  h.free_bytes_floor = static_cast<std::int64_t>(floor_);
  return h;
}

void RocksStore::fail(const char* what, const rocksdb::Status& status) const {
  throw StoreError("could not " + std::string(what) + " in " + location_ + ": " +
                   status.ToString());
}

void RocksStore::check_writable(const char* what) const {
  if (read_only_) {
    throw StoreError("cannot " + std::string(what) + ": " + location_ +
                     " is open read-only; open it without read_only");
  }
}

void RocksStore::check_room(const char* what) const {
  check_writable(what);
  // The gate is shut full below the floor, and while a write waits for room.
  if (!gate_->open() && gate_->full()) {
    throw StoreFull("cannot " + std::string(what) + ": " + gate_->why());
  }
  // Without a floor: room for any of these writes' log records.
  constexpr std::uint64_t kRoom = std::uint64_t{1} << 20;
  if (const auto space = disk_space(dir_); space && space->free < kRoom) {
    throw StoreFull("cannot " + std::string(what) + ": the disk holding " + dir_ + " has " +
                    format_bytes(space->free) + " free; free some space");
  }
}

TableHandle RocksStore::intern_locked(std::string_view name) {
  auto it = handles_.find(name);
  if (it != handles_.end()) return it->second;
  const auto handle = static_cast<TableHandle>(tables_.size());
  Table table;
  table.name = std::string(name);
  tables_.push_back(std::move(table));
  handles_.emplace(std::string(name), handle);
  return handle;
}

void RocksStore::register_retention_locked(const Table& table) {
  const auto us = [](std::chrono::seconds s) {
    return std::chrono::duration_cast<Microseconds>(s).count();
  };
  for (auto* family : {table.by_target, table.by_actor}) {
    if (family != nullptr)
      retention_->set(family->GetID(), FamilyKind::kActivities, us(table.options.retention));
  }
  if (table.by_counts != nullptr) {
    retention_->set(table.by_counts->GetID(), FamilyKind::kCounts,
                    us(table.options.counts_retention));
  }
}

std::int64_t RocksStore::activity_horizon_locked(const Table& table) const {
  const std::int64_t horizon = retention_->horizon_us(table.by_target->GetID());
  return horizon == Retention::kForever ? 0 : std::max<std::int64_t>(horizon, 0);
}

void RocksStore::write_meta_locked(const Table& table) {
  Map fields{{"created", format_time(table.created)}};
  // Built whole rather than emplaced: GCC 12 warns (falsely) about the
  // emplaced variant once this is inlined.
  const auto seconds = [](std::chrono::seconds s) {
    return Value(static_cast<std::int64_t>(s.count()));
  };
  if (table.options.retention.count() > 0)
    fields.push_back({"retention_s", seconds(table.options.retention)});
  if (table.options.counts_retention.count() > 0)
    fields.push_back({"counts_retention_s", seconds(table.options.counts_retention)});
  const std::string meta = to_json(Value(std::move(fields)));
  auto status = db_->Put(rocksdb::WriteOptions(), meta_key(table.name), meta);
  if (!status.ok()) fail("write table metadata", status);
}

void RocksStore::create_families_locked(Table& table) {
  std::vector<rocksdb::ColumnFamilyHandle*> created;
  auto status =
      db_->CreateColumnFamilies({{table.name + std::string(kTargetSuffix), family_options_},
                                 {table.name + std::string(kActorSuffix), family_options_},
                                 {table.name + std::string(kCountsSuffix), counts_options_}},
                                &created);
  if (!status.ok()) {
    for (auto* handle : created) {
      db_->DropColumnFamily(handle);
      db_->DestroyColumnFamilyHandle(handle);
    }
    fail(("create table '" + table.name + "'").c_str(), status);
  }
  table.by_target = created[0];
  table.by_actor = created[1];
  table.by_counts = created[2];
  table.created = now();
  write_meta_locked(table);
  register_retention_locked(table);
}

const RocksStore::Table& RocksStore::live_table_locked(TableHandle handle) const {
  const Table& table = tables_.at(handle);
  if (!table.live()) {
    throw NotFound(missing_table(table.name));
  }
  return table;
}

std::vector<std::string> RocksStore::list_tables() {
  std::shared_lock lock(mu_);
  std::vector<std::string> names;
  for (const auto& [name, handle] : handles_) {
    if (tables_[handle].live()) names.push_back(name);
  }
  return names;  // handles_ is ordered, so names are sorted
}

std::string RocksStore::missing_table(std::string_view name) const {
  return "table '" + std::string(name) + "' does not exist in " + location_ +
         "; create it with `cctv tables create " + std::string(name) + "`";
}

std::optional<TableHandle> RocksStore::find_table(std::string_view name) {
  std::shared_lock lock(mu_);
  auto it = handles_.find(name);
  if (it == handles_.end() || !tables_[it->second].live()) return std::nullopt;
  return it->second;
}

TableHandle RocksStore::create_table(std::string_view name, const TableOptions& options) {
  check_room("create a table");
  std::unique_lock lock(mu_);
  const TableHandle handle = intern_locked(name);
  Table& table = tables_[handle];
  if (table.live()) {
    throw AlreadyExists("table '" + table.name + "' already exists in " + location_);
  }
  table.options = options;
  create_families_locked(table);
  return handle;
}

TableInfo RocksStore::describe_table(std::string_view name) {
  std::shared_lock lock(mu_);
  auto it = handles_.find(name);
  if (it == handles_.end() || !tables_[it->second].live()) {
    throw NotFound(missing_table(name));
  }
  const Table& table = tables_[it->second];
  TableInfo info;
  info.name = table.name;
  info.created = table.created;
  info.has_actor_index = table.by_actor != nullptr;
  std::uint64_t value = 0;
  if (db_->GetIntProperty(table.by_target, "rocksdb.estimate-num-keys", &value)) {
    info.approximate_activities = value;
  }
  for (auto* family : {table.by_target, table.by_actor}) {
    if (family == nullptr) continue;
    if (db_->GetIntProperty(family, "rocksdb.total-sst-files-size", &value))
      info.approximate_bytes += value;
    if (db_->GetIntProperty(family, "rocksdb.cur-size-all-mem-tables", &value))
      info.approximate_bytes += value;
  }
  info.details.emplace_back("column families", table.name + std::string(kTargetSuffix) + ", " +
                                                   table.name + std::string(kActorSuffix) + ", " +
                                                   table.name + std::string(kCountsSuffix));
  info.details.emplace_back("data directory", location_);
  info.options = table.options;
  info.details.emplace_back("activities kept", core::retention_text(table.options.retention));
  info.details.emplace_back("counts kept", core::retention_text(table.options.counts_retention));
  return info;
}

void RocksStore::drop_table(std::string_view name) {
  check_room("drop a table");
  std::unique_lock lock(mu_);
  auto it = handles_.find(name);
  if (it == handles_.end() || !tables_[it->second].live()) {
    throw NotFound(missing_table(name));
  }
  Table& table = tables_[it->second];
  dropped_.store(true, std::memory_order_release);
  counts_->forget(it->second);
  // Metadata first: a drop cut short leaves families that open() removes or
  // repairs, never metadata that points at nothing.
  auto status = db_->Delete(rocksdb::WriteOptions(), meta_key(table.name));
  if (!status.ok()) fail("drop a table", status);
  // The target index goes first: it is what makes a table live, so a drop
  // cut short leaves families that open() removes, not a table that comes
  // back without its other indexes.
  for (auto** family : {&table.by_target, &table.by_actor, &table.by_counts}) {
    if (*family == nullptr) continue;
    retention_->forget((*family)->GetID());
    status = db_->DropColumnFamily(*family);
    if (!status.ok()) fail(("drop table '" + table.name + "'").c_str(), status);
    db_->DestroyColumnFamilyHandle(*family);
    *family = nullptr;
  }
  table.options = TableOptions{};  // a table revived by a write starts with the defaults
}

bool RocksStore::tables_live_locked(const core::RecordBatch& batch) const {
  // Only a drop in this process leaves a handle without families; until
  // then, no batch needs looking at.
  if (!dropped_.load(std::memory_order_acquire)) return true;
  TableHandle last = UINT32_MAX;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const TableHandle handle = batch[i].table;
    if (handle == last) continue;
    last = handle;
    if (!tables_.at(handle).live()) return false;
  }
  return true;
}

void RocksStore::write(const core::RecordBatch& batch, bool sync) {
  check_writable("record activities");
  if (batch.empty()) return;
  if (counting_) counts_->wait_for_room();  // before the table lock: see its contract
  // The disk is looked at every 100 ms, or sooner after 4 MiB: a burst
  // must not write far past the floor before the gate shuts.
  const std::int64_t now_ns = std::chrono::steady_clock::now().time_since_epoch().count();
  const std::uint64_t written =
      bytes_since_watch_.fetch_add(batch.bytes(), std::memory_order_relaxed);
  if (now_ns - last_watch_ns_.load(std::memory_order_relaxed) > 100'000'000 ||
      written > (std::uint64_t{4} << 20)) {
    watch_disk();
  }
  thread_local SortedBatchBuilder builder;
  thread_local rocksdb::WriteBatch write_batch;
  std::shared_lock lock(mu_);
  // A table dropped while it is still being recorded into comes back: its
  // families are made again, and the write goes on under the same lock that
  // saw them live (a drop in between would leave it writing to none).
  while (!tables_live_locked(batch)) {
    lock.unlock();
    {
      std::unique_lock exclusive(mu_);
      for (std::size_t i = 0; i < batch.size(); ++i) {
        Table& table = tables_.at(batch[i].table);
        if (!table.live()) create_families_locked(table);
      }
    }
    lock.lock();
  }
  // The pipeline writes a batch with supplied ids only after every earlier
  // batch, so the lookup sees them all.
  std::vector<bool> stored;
  if (batch.has_supplied_ids() && counting_) stored = find_stored_locked(batch);
  builder.build(
      batch,
      [this](std::uint32_t table) {
        const Table& t = tables_[table];
        return Families{t.by_target, t.by_actor};
      },
      counting_, write_batch);
  const CountsKeeper::FamilyOf counts_family = [this](std::uint32_t t) {
    return tables_[t].by_counts;
  };
  CountsKeeper::Marks marks;
  if (counting_) marks = counts_->mark(batch, counts_family, write_batch);
  rocksdb::WriteOptions options;
  options.memtable_insert_hint_per_batch = true;  // the batch is in key order
  options.sync = sync;
  log_space_->reserve(write_batch.GetDataSize());
  auto status = db_->Write(options, &write_batch);
  write_batch.Clear();
  if (!status.ok()) fail("write activities", status);
  if (counting_) counts_->absorb(builder.count_hits(), stored, std::move(marks));
}

std::vector<bool> RocksStore::find_stored_locked(const core::RecordBatch& batch) {
  std::vector<bool> stored(batch.size(), false);
  std::unordered_set<std::string> seen;
  std::string key;
  rocksdb::PinnableSlice value;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto r = batch[i];
    key.clear();
    append_index_key(key, r.target, r.time_us, r.id);
    // The table prefixes the key only for this check: the same activity in
    // two tables is two activities. Fresh ids join the set too: a supplied
    // one may repeat them within the batch.
    if (!seen.insert(std::to_string(r.table) + '/' + key).second) {
      stored[i] = true;
      continue;
    }
    if (!r.supplied_id) continue;
    value.Reset();
    auto status = db_->Get(rocksdb::ReadOptions(), tables_[r.table].by_target, key, &value);
    if (status.ok()) {
      stored[i] = true;
    } else if (!status.IsNotFound()) {
      fail("check for activities stored already", status);
    }
  }
  return stored;
}

void RocksStore::sync() {
  if (read_only_) return;
  // Behind a write that waits for room in the log, this would wait too.
  if (log_space_->waiting())
    throw StoreFull("cannot make the writes durable: " + waiting_for_room());
  // A failed write of counts is mended now if it can be, rather than
  // reported (its marks would have the next open recount it).
  if (recount_due_.load(std::memory_order_acquire)) recount_after_failure();
  {
    std::shared_lock lock(mu_);
    try {
      counts_->flush([this](std::uint32_t t) { return tables_[t].by_counts; });
    } catch (const StoreError&) {
      recount_due_.store(true, std::memory_order_release);  // as the counts writer does
      throw;
    }
  }
  if (counts_writer_) {
    if (const std::string error = counts_writer_->take_error(); !error.empty()) {
      throw StoreError(error +
                       " (the activities are stored; their counts are recounted when the store is "
                       "next opened for writing)");
    }
  }
  // A synced write (empty: RocksDB still logs and syncs it) rather than
  // SyncWAL(): Debian's RocksDB keeps its assertions, and SyncWAL() on a
  // log that once failed to append (a full disk) aborts the process, where
  // a write returns the error the log had.
  rocksdb::WriteBatch nothing;
  rocksdb::WriteOptions options;
  options.sync = true;
  auto status = db_->Write(options, &nothing);
  if (!status.ok()) fail("sync the write-ahead log", status);
}

QueryResult RocksStore::query(const Query& q) {
  // A position is the (time, id) of the last activity returned, 16 bytes.
  std::int64_t after_time = 0;
  std::uint64_t after_id = 0;
  if (!q.after.empty()) {
    if (q.after.size() != kKeySuffixBytes) {
      throw InvalidArgument("cursor", "was made by another kind of store");
    }
    after_time = static_cast<std::int64_t>(core::read_be64(q.after.data()));
    after_id = core::read_be64(q.after.data() + 8);
  }
  std::shared_lock lock(mu_);
  const Table& table = live_table_locked(q.table);
  rocksdb::ColumnFamilyHandle* family = table.by_target;
  if (q.index == Index::kActor) {
    family = table.by_actor;
    if (family == nullptr) {
      throw StoreError("table '" + table.name + "' in " + location_ +
                       " has no actor index (its creation was interrupted); open the store for "
                       "writing once to finish it");
    }
  }
  // Expired activities are never shown, removed yet or not.
  const std::int64_t from_us = std::max(q.from_us, activity_horizon_locked(table));
  std::string lower;
  std::string upper;
  index_range(q.key, from_us, q.to_us, lower, upper);
  if (!q.after.empty()) {
    // Continue strictly past the last activity returned: in key order
    // (newest first) that is just after its key, in oldest-first order just
    // before it.
    std::string after;
    append_index_key(after, q.key, after_time, after_id);
    if (q.order == Order::kNewestFirst) {
      after.push_back('\0');
      lower = std::max(lower, after);
    } else {
      upper = std::min(upper, after);  // exclusive
    }
  }
  QueryResult result;
  if (lower >= upper) return result;
  rocksdb::Slice lower_bound(lower);
  rocksdb::Slice upper_bound(upper);
  rocksdb::ReadOptions options;
  options.iterate_lower_bound = &lower_bound;
  options.iterate_upper_bound = &upper_bound;
  const std::int64_t to_us = q.to_us;
  if (from_us > 0 || to_us < kMaxTime.time_since_epoch().count()) {
    options.table_filter = [from_us, to_us](const rocksdb::TableProperties& properties) {
      return may_overlap(properties, from_us, to_us);
    };
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, family));
  // One more than asked tells whether another page follows.
  const std::size_t want = q.limit + 1;
  std::vector<Activity>& out = result.activities;
  out.reserve(std::min<std::size_t>(want, 1024));
  if (q.order == Order::kNewestFirst) {
    for (it->Seek(lower_bound); it->Valid() && out.size() < want; it->Next()) {
      decode_into(*it, q.index, location_, out);
    }
  } else {
    for (it->SeekToLast(); it->Valid() && out.size() < want; it->Prev()) {
      decode_into(*it, q.index, location_, out);
    }
  }
  if (!it->status().ok()) fail("read activities", it->status());
  if (out.size() > q.limit) {
    out.pop_back();
    core::append_be64(result.next_position,
                      static_cast<std::uint64_t>(out.back().time.time_since_epoch().count()));
    core::append_be64(result.next_position, out.back().id);
  }
  return result;
}

void RocksStore::scan(TableHandle handle, std::int64_t from_us, std::int64_t to_us,
                      const std::function<void(const Activity&)>& visit) {
  scan_from(handle, from_us, to_us, "", [&](std::string_view, Activity&& a) {
    visit(a);
    return true;
  });
}

QueryResult RocksStore::scan_page(TableHandle handle, std::int64_t from_us, std::int64_t to_us,
                                  std::string_view after, std::size_t limit) {
  // A position is the index key of the last activity returned.
  IndexKey k;
  if (!after.empty() && !parse_index_key(after, k)) {
    throw InvalidArgument("cursor", "was made by another kind of store");
  }
  QueryResult result;
  std::string last_key;
  scan_from(handle, from_us, to_us, after, [&](std::string_view key, Activity&& a) {
    if (result.activities.size() == limit) {
      result.next_position = last_key;  // another follows
      return false;
    }
    result.activities.push_back(std::move(a));
    last_key.assign(key);
    return true;
  });
  return result;
}

void RocksStore::scan_from(TableHandle handle, std::int64_t from_us, std::int64_t to_us,
                           std::string_view after,
                           const std::function<bool(std::string_view, Activity&&)>& visit) {
  std::shared_lock lock(mu_);
  const Table& table = live_table_locked(handle);
  from_us = std::max(from_us, activity_horizon_locked(table));
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), table.by_target));
  IndexKey k;
  std::string lower;
  std::string upper;
  if (after.empty()) {
    it->SeekToFirst();
  } else {
    std::string past(after);
    past.push_back('\0');  // strictly after the last activity returned
    it->Seek(past);
  }
  while (it->Valid()) {
    const rocksdb::Slice key = it->key();
    if (!parse_index_key(std::string_view(key.data(), key.size()), k)) {
      throw StoreError("corrupt activity key in " + location_);
    }
    // Within one target keys run newest first: seek over the parts of a
    // target outside the range instead of reading them.
    if (k.time_us < from_us || k.time_us >= to_us) {
      index_range(k.key, from_us, to_us, lower, upper);
      it->Seek(k.time_us >= to_us ? lower : past_all_keys_of(k.key));
      continue;
    }
    Activity a;
    if (!decode_activity(std::string_view(key.data(), key.size()),
                         std::string_view(it->value().data(), it->value().size()), false, a)) {
      throw StoreError("corrupt activity record in " + location_);
    }
    if (!visit(std::string_view(key.data(), key.size()), std::move(a))) return;
    it->Next();
  }
  if (!it->status().ok()) fail("read activities", it->status());
}

rocksdb::ColumnFamilyHandle* RocksStore::counts_family_locked(TableHandle handle) const {
  const Table& table = live_table_locked(handle);
  if (!counting_) {
    throw StoreError("counts are off in " + location_ +
                     " (counts=off); open the store without counts=off, then "
                     "run `cctv counts rebuild " +
                     table.name + "` for what was written meanwhile");
  }
  if (table.by_counts == nullptr) {
    throw StoreError(
        "table '" + table.name + "' in " + location_ +
        " has no counts yet (it was made by an older cctv); open the store for writing once, "
        "then run `cctv counts rebuild " +
        table.name + "`");
  }
  return table.by_counts;
}

namespace {

// The first bucket whose counts are kept at `horizon_us`: a row (an hour for
// minutes, a day for hours and days) goes whole once it ends before the
// horizon, and its buckets with it.
std::int64_t first_kept(Bucket bucket, std::int64_t horizon_us) {
  return core::first_bucket_kept(bucket, bucket == Bucket::kMinute ? core::kHourUs : core::kDayUs,
                                 horizon_us);
}

}  // namespace

void RocksStore::catch_up_counts() {
  // A read-only open sees what the writing process has written, no more.
  if (read_only_ || !counting_) return;
  // Longer than a write of counts takes (tens of milliseconds, a second
  // under a flood of new targets), short enough for a person waiting.
  constexpr std::chrono::milliseconds kPatience{2000};
  std::shared_lock lock(mu_);
  try {
    counts_->catch_up([this](std::uint32_t t) { return tables_[t].by_counts; }, kPatience);
  } catch (const StoreError& e) {
    // As the counts writer does: the marks name what was lost from memory.
    recount_due_.store(true, std::memory_order_release);
    spdlog::warn("writing counts before a count query failed; they are recounted: {}", e.what());
  }
}

std::vector<std::int64_t> RocksStore::counts(TableHandle table, std::string_view target,
                                             Bucket bucket, std::int64_t first, std::size_t n) {
  std::shared_lock lock(mu_);
  rocksdb::ColumnFamilyHandle* family = counts_family_locked(table);
  std::vector<std::int64_t> out = counts_->counts(family, target, bucket, first, n);
  core::clear_buckets_before(out, first,
                             first_kept(bucket, retention_->horizon_us(family->GetID())));
  return out;
}

std::vector<core::HyperLogLog> RocksStore::sketches(TableHandle table, std::string_view target,
                                                    Bucket bucket, std::int64_t first,
                                                    std::size_t n) {
  std::shared_lock lock(mu_);
  rocksdb::ColumnFamilyHandle* family = counts_family_locked(table);
  std::vector<core::HyperLogLog> out = counts_->sketches(family, target, bucket, first, n);
  core::clear_buckets_before(out, first,
                             first_kept(bucket, retention_->horizon_us(family->GetID())));
  return out;
}

std::vector<TargetCount> RocksStore::top_targets(TableHandle table, std::int64_t from_minute,
                                                 std::int64_t to_minute, std::size_t limit) {
  std::shared_lock lock(mu_);
  rocksdb::ColumnFamilyHandle* family = counts_family_locked(table);
  from_minute =
      std::max(from_minute, first_kept(Bucket::kMinute, retention_->horizon_us(family->GetID())));
  return counts_->top_targets(family, from_minute, to_minute, limit);
}

void RocksStore::alter_table(std::string_view name, const TableOptions& options) {
  check_room("change a table");
  std::unique_lock lock(mu_);
  auto it = handles_.find(name);
  if (it == handles_.end() || !tables_[it->second].live()) throw NotFound(missing_table(name));
  Table& table = tables_[it->second];
  table.options = options;
  write_meta_locked(table);
  register_retention_locked(table);
}

void RocksStore::apply_retention(std::string_view name) {
  check_room("apply retention");
  std::shared_lock lock(mu_);
  auto it = handles_.find(name);
  if (it == handles_.end() || !tables_[it->second].live()) throw NotFound(missing_table(name));
  const Table& table = tables_[it->second];
  // A full compaction runs the expiry filter over every file.
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (auto* family : {table.by_target, table.by_actor, table.by_counts}) {
    if (family == nullptr) continue;
    auto status = db_->CompactRange(options, family, nullptr, nullptr);
    if (!status.ok()) fail("apply retention", status);
  }
}

void RocksStore::restore_entries(TableHandle handle, Index index,
                                 const std::vector<std::pair<std::string, std::string>>& entries) {
  check_room("restore activities");
  std::shared_lock lock(mu_);
  const Table& table = live_table_locked(handle);
  rocksdb::ColumnFamilyHandle* family = index == Index::kTarget ? table.by_target : table.by_actor;
  rocksdb::WriteBatch batch;
  for (const auto& [key, value] : entries) batch.Put(family, key, value);
  log_space_->reserve(batch.GetDataSize());
  auto status = db_->Write(rocksdb::WriteOptions(), &batch);
  if (!status.ok()) fail("restore activities", status);
}

void RocksStore::restore_meta(std::string_view table, std::string_view meta) {
  check_room("restore table metadata");
  auto status =
      db_->Put(rocksdb::WriteOptions(), meta_key(table), rocksdb::Slice(meta.data(), meta.size()));
  if (!status.ok()) fail("restore table metadata", status);
}

void RocksStore::restore_counts(TableHandle table,
                                const std::vector<std::pair<std::string, std::string>>& rows) {
  check_room("restore counts");
  std::shared_lock lock(mu_);
  rocksdb::ColumnFamilyHandle* counts = counts_family_locked(table);
  rocksdb::WriteBatch batch;
  for (const auto& [key, value] : rows) batch.Merge(counts, key, value);
  log_space_->reserve(batch.GetDataSize());
  auto status = db_->Write(rocksdb::WriteOptions(), &batch);
  if (!status.ok()) fail("restore counts", status);
}

void RocksStore::rebuild_counts(TableHandle table, std::int64_t from_us, std::int64_t to_us) {
  check_room("rebuild counts");
  // Exclusive: no batch is written (and counted) while its day is recounted.
  std::unique_lock lock(mu_);
  rocksdb::ColumnFamilyHandle* counts = counts_family_locked(table);
  counts_->flush([this](std::uint32_t t) { return tables_[t].by_counts; });
  counts_->recount(counts, tables_[table].by_target, from_us, to_us);
}

}  // namespace cctv::store::embedded
