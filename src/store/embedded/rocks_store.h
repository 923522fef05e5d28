// The embedded store: one RocksDB database in a local directory. See
// key_layout.h for how activities are laid out, and docs/data-model.md.
#ifndef CCTV_STORE_EMBEDDED_ROCKS_STORE_H_
#define CCTV_STORE_EMBEDDED_ROCKS_STORE_H_

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <thread>

#include "store/embedded/counts_keeper.h"
#include "store/embedded/embedded_uri.h"
#include "store/embedded/log_space.h"
#include "store/embedded/retention.h"
#include "store/embedded/rocks_log.h"
#include "store/embedded/store_events.h"
#include "store/periodic_task.h"
#include "store/store.h"

namespace cctv::store::embedded {

class RocksStore final : public Store {
 public:
  // Opens (or, unless read_only, creates) the store in directory options.path.
  // `location` is the URI used in messages. Throws NotFound for a read-only
  // open of a directory without a store, StoreError when RocksDB fails
  // (another process holding the directory, corruption, I/O).
  // `clock` says what time it is for retention; empty: the system clock.
  // Whether this process has opened an embedded store: RocksDB's static
  // thread pools then run (a forked child must not destroy them).
  static bool opened_in_this_process() noexcept;

  static std::unique_ptr<RocksStore> open(const EmbeddedOptions& options, std::string location,
                                          bool read_only, std::function<Timestamp()> clock = {});

  ~RocksStore() override;

  const std::string& location() const override { return location_; }
  std::vector<std::string> list_tables() override;
  std::optional<TableHandle> find_table(std::string_view name) override;
  std::string missing_table(std::string_view name) const override;
  TableHandle create_table(std::string_view name, const TableOptions& options) override;
  TableInfo describe_table(std::string_view name) override;
  void drop_table(std::string_view name) override;
  void alter_table(std::string_view name, const TableOptions& options) override;
  void apply_retention(std::string_view name) override;
  void write(const core::RecordBatch& batch, bool sync) override;
  void sync() override;
  void advertise(const std::string& url) override;
  void closing(std::chrono::steady_clock::time_point deadline) override;
  // Two: RocksDB inserts concurrent batches into the memtables in parallel
  // (unordered_write), and the sort before each write runs in parallel too.
  int writers() const override { return 2; }
  std::shared_ptr<const WriteGate> write_gate() const override { return gate_; }
  StoreHealth health() override;
  QueryResult query(const Query& q) override;
  void scan(TableHandle table, std::int64_t from_us, std::int64_t to_us,
            const std::function<void(const Activity&)>& visit) override;
  QueryResult scan_page(TableHandle table, std::int64_t from_us, std::int64_t to_us,
                        std::string_view after, std::size_t limit) override;
  std::vector<std::int64_t> counts(TableHandle table, std::string_view target, Bucket bucket,
                                   std::int64_t first, std::size_t n) override;
  std::vector<core::HyperLogLog> sketches(TableHandle table, std::string_view target, Bucket bucket,
                                          std::int64_t first, std::size_t n) override;
  std::vector<TargetCount> top_targets(TableHandle table, std::int64_t from_minute,
                                       std::int64_t to_minute, std::size_t limit) override;
  void catch_up_counts() override;
  void rebuild_counts(TableHandle table, std::int64_t from_us, std::int64_t to_us) override;

  // For a repair (salvage.h): writes index entries as stored -- keys and
  // values of `index` in key_layout.h's form -- into `table`, and a
  // table's metadata record as stored. Counts are not kept for them:
  // rebuild_counts() after. restore_counts() adds count rows as stored
  // (count_rows.h's form) to what `table` has: for counts kept longer than
  // their activities.
  void restore_entries(TableHandle table, Index index,
                       const std::vector<std::pair<std::string, std::string>>& entries);
  void restore_meta(std::string_view table, std::string_view meta);
  void restore_counts(TableHandle table,
                      const std::vector<std::pair<std::string, std::string>>& rows);

 private:
  // scan() from just past the index key `after` (from the start when
  // empty): calls visit(key, activity) for each activity in the range,
  // until it returns false.
  void scan_from(TableHandle handle, std::int64_t from_us, std::int64_t to_us,
                 std::string_view after,
                 const std::function<bool(std::string_view, Activity&&)>& visit);
  struct Table {
    std::string name;
    rocksdb::ColumnFamilyHandle* by_target = nullptr;  // null once dropped
    rocksdb::ColumnFamilyHandle* by_actor = nullptr;   // null when missing
    rocksdb::ColumnFamilyHandle* by_counts = nullptr;  // null when missing
    Timestamp created{};
    TableOptions options;
    bool live() const { return by_target != nullptr; }
  };

  RocksStore(std::string location, bool read_only);

  void load_tables(const std::vector<rocksdb::ColumnFamilyHandle*>& handles);
  // REQUIRES: mu_ held exclusively.
  TableHandle intern_locked(std::string_view name);
  void create_families_locked(Table& table);
  void write_meta_locked(const Table& table);
  // Tells retention_ the table's settings for each of its families.
  void register_retention_locked(const Table& table);
  // The oldest activity time the table keeps now (0 when it keeps all).
  std::int64_t activity_horizon_locked(const Table& table) const;
  // REQUIRES: mu_ held. Whether every table `batch` writes to has its
  // families (a drop in this process may have taken them).
  bool tables_live_locked(const core::RecordBatch& batch) const;
  // REQUIRES: mu_ held. Throws NotFound when the table was dropped.
  const Table& live_table_locked(TableHandle handle) const;
  // REQUIRES: mu_ held. The table's counts family; throws when it has none.
  rocksdb::ColumnFamilyHandle* counts_family_locked(TableHandle handle) const;
  // Marks which records of `batch` with a supplied id are stored already
  // (or appear twice in it), so that they are not counted again.
  std::vector<bool> find_stored_locked(const core::RecordBatch& batch);
  [[noreturn]] void fail(const char* what, const rocksdb::Status& status) const;
  void check_writable(const char* what) const;
  // Writes other than activities go to RocksDB from their caller's thread:
  // on a full disk they are refused (StoreFull), not left waiting for room
  // in the log (log_space.h).
  void check_room(const char* what) const;
  std::string waiting_for_room() const;  // what the gate says meanwhile
  // Looks at the disk's free space and RocksDB's background errors, resumes
  // RocksDB once its disk has room again, and opens or shuts the write gate
  // to match. Called once a second, and by writers at most every 100 ms.
  void watch_disk();
  // After a write of counts failed (its gathered counts are lost; their
  // marks remain): once writes are taken again, recounts what the marks
  // name, as an open would. Runs on the counts writer's thread.
  void recount_after_failure();
  std::atomic<bool> recount_due_{false};

  std::string dir_;              // the data directory
  bool advertised_ = false;      // a serving note of ours is in dir_
  bool tables_checked_ = false;  // check_table_files() passed at open

  const std::string location_;
  const bool read_only_;
  bool counting_ = true;  // EmbeddedOptions::counts
  rocksdb::ColumnFamilyOptions family_options_;
  rocksdb::ColumnFamilyOptions counts_options_;  // family_options_ plus the counts merge operator
  std::shared_ptr<Retention> retention_;
  // The logs wait for disk space instead of failing (log_space.h). The Env
  // that gives RocksDB their file system outlives the DB.
  std::shared_ptr<LogSpace> log_space_ = std::make_shared<LogSpace>();
  std::unique_ptr<rocksdb::Env> env_;
  std::unique_ptr<rocksdb::DB> db_;

  // Guards tables_ and handles_ and the column family handles in them:
  // shared for reads and writes of activities, exclusive to create or drop.
  mutable std::shared_mutex mu_;
  std::deque<Table> tables_;          // indexed by TableHandle; never shrinks
  std::atomic<bool> dropped_{false};  // a table was dropped while open
  std::map<std::string, TableHandle, std::less<>> handles_;
  std::unique_ptr<CountsKeeper> counts_;
  // Writes gathered counts once a second, off the writers' path (and
  // flush()'s: it then has at most a second's worth left to write); its
  // failures are reported by sync().
  std::unique_ptr<PeriodicTask> counts_writer_;

  std::shared_ptr<RocksLog> log_;
  std::shared_ptr<StoreEvents> events_;
  std::shared_ptr<WriteGate> gate_ = std::make_shared<WriteGate>();
  std::uint64_t floor_ = 0;  // bytes; writes are refused below it
  std::atomic<std::int64_t> free_bytes_{-1};
  std::mutex watch_mu_;  // one watch_disk() at a time
  std::atomic<std::int64_t> last_watch_ns_{0};
  std::atomic<std::uint64_t> bytes_since_watch_{0};  // activity bytes written since
  // Runs watch_disk() once a second; declared last, so it stops first.
  std::unique_ptr<PeriodicTask> disk_watch_;
};

}  // namespace cctv::store::embedded

#endif  // CCTV_STORE_EMBEDDED_ROCKS_STORE_H_
