// The DynamoDB store: cctv tables as DynamoDB tables (layout in
// item_codec.h and docs/dynamodb.md), written with BatchWriteItem and read
// with Query, every request through one RequestEngine. Its methods are
// kept by job: dynamo_tables.cc, dynamo_writes.cc, dynamo_queries.cc,
// dynamo_retention.cc, and what they share in dynamo_store.cc.
#ifndef CCTV_STORE_DYNAMODB_DYNAMO_STORE_H_
#define CCTV_STORE_DYNAMODB_DYNAMO_STORE_H_

#include <rapidjson/document.h>

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "cctv/dynamo_options.h"
#include "store/dynamodb/dynamo_counts.h"
#include "store/dynamodb/minute_counts.h"
#include "store/dynamodb/put_tokens.h"
#include "store/dynamodb/request_engine.h"
#include "store/periodic_task.h"
#include "store/store.h"

namespace cctv::store::dynamodb {

class DynamoStore final : public Store {
 public:
  // Resolves settings (throws InvalidArgument listing where it looked when
  // region or credentials are missing). Makes no request yet. `clock` says
  // what time it is for retention; empty: the system clock.
  static std::unique_ptr<DynamoStore> open(const DynamoOptions& options, std::string location,
                                           bool read_only, const Environment& env,
                                           std::function<Timestamp()> clock = {});
  // Writes the counts gathered last.
  ~DynamoStore() override;

  const std::string& location() const override { return location_; }
  std::vector<std::string> list_tables() override;
  std::optional<TableHandle> find_table(std::string_view name) override;
  std::string missing_table(std::string_view name) const override;
  TableHandle create_table(std::string_view name, const TableOptions& options) override;
  TableInfo describe_table(std::string_view name) override;
  void drop_table(std::string_view name) override;
  void write(const core::RecordBatch& batch, bool sync) override;
  // Writes the counts gathered so far (a write DynamoDB acknowledged is
  // durable).
  void sync() override;
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
  void rebuild_counts(TableHandle table, std::int64_t from_us, std::int64_t to_us) override;
  void alter_table(std::string_view name, const TableOptions& options) override;
  // Deletes the activities and counts retention has expired now (DynamoDB's
  // TTL may take days), and gives the rest the expires_at of the current
  // settings.
  void apply_retention(std::string_view name) override;
  std::vector<StoreRequestMetrics> request_metrics() const override { return engine_.metrics(); }
  // The minutes layout: writes the counts gathered and gives table
  // `name`'s compactor a round now, as the background task does every few
  // seconds (for tests, which move the clock). Returns whether this
  // process held the lease.
  bool compact_counts_now(std::string_view name);
  // Leaves the counts as a process killed now would (kill -9): what was
  // gathered and not sent is forgotten, and nothing more is written or
  // compacted. For tests of the repair of dead writers.
  void abandon_counts();
  // `hook` runs at each stage of this store's compactor rounds where a
  // rebuild may land (MinuteCounts::RoundStage). For tests of rebuilds
  // that race the compactor.
  void on_compactor_stage(std::function<void(MinuteCounts::RoundStage)> hook);
  // Stops the background task (flushes, heartbeats, compactor rounds), as
  // if the process were paused; sync() still flushes. For tests.
  void pause_counts_task();

 private:
  struct Table {
    std::string name;         // cctv's name
    std::string remote_name;  // DynamoDB's: prefix + name
    bool live = false;
    bool has_actor_index = false;
    TableOptions options;  // read from the counts table's meta item
    // The hour from which its counts are in the minutes layout (its meta
    // item's marker; kMinutesNever without one).
    std::int64_t minutes_from = kMinutesNever;
  };
  // What a counts table's meta item says.
  struct Meta {
    TableOptions options;
    std::optional<std::int64_t> minutes_from;  // the marker, if set
    bool counts_table = true;                  // false: the table has none (the 2014 gem's)
  };

  DynamoStore(const DynamoOptions& options, AwsConfig config, std::string location, bool read_only,
              Environment env, std::function<Timestamp()> clock);

  // Writes the counts gathered (all of them when `final`).
  void flush_counts(bool final);
  // A compactor's round on each live table (the minutes layout).
  void compact_counts();
  // rebuild_counts() of the minutes layout: recounts the whole days of
  // [from_us, to_us) and makes the recount their hours' counts.
  void rebuild_minute_counts(TableHandle handle, const Table& t, std::int64_t from_us,
                             std::int64_t to_us);
  // How the engine retries, renews credentials and counts index units.
  RequestEngine::Options engine_options(const DynamoOptions& options);
  // DescribeTable; nullopt when the table does not exist. Checks the key
  // schema and waits while the table is being created.
  std::optional<rapidjson::Document> describe_remote(const std::string& remote_name);
  TableHandle intern(std::string_view name);
  Table table(TableHandle handle);
  // table(handle).minutes_from, without copying the table: asked per
  // batch written.
  std::int64_t minutes_from(TableHandle handle);
  // Which layouts hold the buckets [first, first + n) of `bucket` of
  // table `t`: those before its marker, those from it on.
  struct Sides {
    bool per_target = false;
    bool by_minute = false;
  };
  static Sides sides_of(const Table& t, Bucket bucket, std::int64_t first, std::size_t n);
  // A live table, or NotFound.
  Table live_table(TableHandle handle);
  void create_remote(const std::string& remote_name);
  // Creates the counts table `remote` (ResourceInUse is fine).
  void create_counts_remote(const std::string& remote);
  // The same, for a table that is live; false (nothing made) for a dropped one.
  bool create_counts_if_live(const std::string& remote);
  void wait_until_active(const std::string& remote_name);
  // Makes a table dropped under a live tracker again (nothing when it
  // exists again already).
  void revive(TableHandle handle);
  // Revives each of `handles` once, however often it is named.
  void revive_each(std::vector<TableHandle> handles);
  void check_writable(const char* what) const;
  void check_counting(const Table& table) const;
  [[noreturn]] void not_found(std::string_view name) const;
  void mark_live(std::string_view name, bool has_actor_index, const TableOptions& options,
                 std::int64_t minutes_from);
  // The table's settings from its counts table (defaults when it has none).
  Meta read_meta(const std::string& remote_name);
  // Writes the table's settings (and, if given, its layout marker), leaving
  // the rest of its meta item as it is.
  void write_options(const std::string& remote_name, const TableOptions& options,
                     std::optional<std::int64_t> minutes_from = std::nullopt);
  // The hour from which the table's counts are in the minutes layout: its
  // marker; where it has none and this store moves tables to the minutes
  // layout (counts_layout=minutes, writable), the marker it sets now.
  std::int64_t counts_layout_of(const std::string& remote_name, const Meta& meta);
  // Turns DynamoDB's TTL on `expires_at` on for a table; a warning (not an
  // error) where the engine lacks it.
  void enable_ttl(const std::string& remote_name);
  // engine_.call() for an operation on table `name`: a missing table is
  // NotFound with the store's message.
  rapidjson::Document call_on_table(std::string_view operation, const std::string& body,
                                    std::string_view name);
  // Microseconds since the epoch now, and the oldest time a retention of
  // `kept` leaves visible (0 when it keeps everything).
  std::int64_t now_us() const;
  std::int64_t horizon_us(std::chrono::seconds kept) const;
  // Where the table's counts go.
  CountsTarget counts_target(const Table& table) const;
  // After DynamoDB refused the credentials: looks for them again where they
  // were found (options, environment, shared files), and signs with what
  // is there now if it changed -- renewed keys in ~/.aws/credentials are
  // picked up without a restart. At most once a second.
  void renew_credentials();
  // Deletes items of `remote` older than `horizon_s`, and sets expires_at of
  // the rest to `expires(item time)` (or removes it when 0). `time_of`
  // reads an item's time in epoch seconds, -1 for an item to leave alone.
  void reapply_retention(const std::string& remote, const std::vector<std::string>& key_attributes,
                         const std::function<std::int64_t(const rapidjson::Value& item)>& time_of,
                         std::int64_t horizon_s,
                         const std::function<std::int64_t(std::int64_t)>& expires);

  const DynamoOptions options_;
  const std::string location_;
  const bool read_only_;
  const Environment env_;
  const std::function<Timestamp()> clock_;
  std::mutex renew_mu_;
  std::chrono::steady_clock::time_point last_renewal_{};  // guarded by renew_mu_
  RequestEngine engine_;
  DynamoCounts counts_;                          // the per-target layout
  std::unique_ptr<MinuteCounts> minute_counts_;  // the minutes layout, when chosen

  // Tokens of conditional puts whose outcome is unknown.
  PutTokens put_tokens_;

  // Writes share it; a rebuild of counts holds it alone.
  std::shared_mutex rebuild_mu_;

  std::mutex mu_;  // guards tables_ and handles_
  std::vector<Table> tables_;
  std::map<std::string, TableHandle, std::less<>> handles_;

  // Writes gathered counts once a second; its failures are reported by
  // sync().
  std::unique_ptr<PeriodicTask> counts_writer_;
};

}  // namespace cctv::store::dynamodb

#endif  // CCTV_STORE_DYNAMODB_DYNAMO_STORE_H_
