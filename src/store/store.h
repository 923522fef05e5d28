// The seam between what cctv does and where data lives. A Store keeps
// tables of activities, each indexed by target and by actor in (time, id)
// order, and answers range queries on either index.
//
// Implementations are safe for concurrent use: one writer (the ingest
// pipeline) calls write() while any number of threads query.
#ifndef CCTV_STORE_STORE_H_
#define CCTV_STORE_STORE_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cctv/activity.h"
#include "cctv/counts.h"
#include "cctv/error.h"
#include "cctv/health.h"
#include "cctv/metrics.h"
#include "cctv/table.h"
#include "cctv/view.h"
#include "core/hyperloglog.h"
#include "core/record_batch.h"
#include "store/write_gate.h"

namespace cctv::store {

// The store refused part of a write for a reason that sending it again
// cannot fix (DynamoDB's ValidationException, bad credentials). Everything
// else in the batch was written; `rejected()` activities were not.
class WriteRejected : public StoreError {
 public:
  WriteRejected(const std::string& what, std::size_t rejected) : StoreError(what), rejected_(rejected) {}
  std::size_t rejected() const noexcept { return rejected_; }

 private:
  std::size_t rejected_;
};

// A table as the store knows it for the life of the open store. A handle
// stays valid after its table is dropped: writing through it creates the
// table again, so a tracker that outlives a drop keeps working.
using TableHandle = std::uint32_t;

enum class Index { kTarget, kActor };

struct Query {
  TableHandle table;
  Index index;
  std::string_view key;  // the target or the actor
  std::int64_t from_us;  // inclusive
  std::int64_t to_us;    // exclusive
  Order order;
  std::size_t limit;
  // Where to continue: the next_position of an earlier page of this query,
  // or empty to start at the beginning of the range.
  std::string_view after;
};

struct QueryResult {
  std::vector<Activity> activities;  // at most Query::limit
  // Where the next page starts, in bytes only this kind of store reads;
  // empty when no activity follows.
  std::string next_position;
};

class Store {
 public:
  virtual ~Store() = default;

  // Where the store lives, for messages: "rocksdb:./cctv-data".
  virtual const std::string& location() const = 0;

  // Tables. Names are validated by the caller.
  virtual std::vector<std::string> list_tables() = 0;
  // Returns the handle of an existing table, or nullopt.
  virtual std::optional<TableHandle> find_table(std::string_view name) = 0;
  // The message for a table that does not exist: where it was looked for,
  // and the command that creates it.
  virtual std::string missing_table(std::string_view name) const = 0;
  // For a store whose writes create their tables themselves (a cctv server
  // does, unless --no-auto-create): a handle for a table that does not
  // exist yet, made by its first write. nullopt: the client creates it.
  virtual std::optional<TableHandle> created_by_first_write(std::string_view /*name*/) {
    return std::nullopt;
  }
  // Creates a table and returns its handle. Throws AlreadyExists.
  virtual TableHandle create_table(std::string_view name, const TableOptions& options) = 0;
  // Throws NotFound.
  virtual TableInfo describe_table(std::string_view name) = 0;
  // Throws NotFound.
  virtual void drop_table(std::string_view name) = 0;
  // Changes a table's retention. Throws NotFound, InvalidArgument when the
  // store cannot keep it.
  virtual void alter_table(std::string_view name, const TableOptions& options) = 0;
  // Removes what retention has expired now. Throws NotFound.
  virtual void apply_retention(std::string_view name) = 0;

  // Writes every record of `batch` into both indexes of its table. Writing a
  // record whose (table, target, time, id) exists already replaces it with
  // the same content, so retries store it once. When it returns, the batch
  // survives the process being killed (it is in the embedded store's
  // write-ahead log, or confirmed by DynamoDB); with `sync`, a power loss
  // too. Throws WriteRejected when the store refused some records for good
  // (the rest are written), StoreError on any other failure (then retrying
  // the whole batch is safe).
  virtual void write(const core::RecordBatch& batch, bool sync) = 0;

  // Makes everything written so far durable against power loss, counts
  // included. Throws StoreError.
  virtual void sync() = 0;

  // Leaves `url`, where a server serving this store listens, for other
  // processes that open the store (the embedded store's serving note,
  // embedded/serving_note.h), until the store closes. Throws StoreError.
  virtual void advertise(const std::string& /*url*/) {}

  // A close is under way: a write waiting for the store (for disk space)
  // gives up at `deadline`, and the close goes on.
  virtual void closing(std::chrono::steady_clock::time_point /*deadline*/) {}

  // How many batches are worth writing at once (the pipeline's writer
  // threads). write() must be safe to call that many times concurrently.
  virtual int writers() const { return 1; }

  // What recording checks before it queues anything; null for a store that
  // always takes writes (or fails them one by one).
  virtual std::shared_ptr<const WriteGate> write_gate() const { return nullptr; }
  // Whether the store takes writes, and its disk's room.
  virtual StoreHealth health() { return {}; }
  // What the store's requests to a remote service did, by operation
  // (cctv/metrics.h); empty for a store on local disk.
  virtual std::vector<StoreRequestMetrics> request_metrics() const { return {}; }

  // Returns up to q.limit activities in q.order. Throws NotFound when the
  // table was dropped, InvalidArgument("cursor") for a position this store
  // did not make.
  virtual QueryResult query(const Query& q) = 0;

  // Visits every activity of `table` with from_us <= time < to_us, target by
  // target (an activity's target's activities together).
  virtual void scan(TableHandle table, std::int64_t from_us, std::int64_t to_us,
                    const std::function<void(const Activity&)>& visit) = 0;

  // One page of scan(): up to `limit` activities of `table` with from_us <=
  // time < to_us, in scan()'s order, starting after `after` (the
  // next_position of the last page, or empty for the first). A page may
  // hold fewer than `limit` (DynamoDB filters after it reads) and still
  // have a next position; an empty next_position ends the scan. Throws
  // InvalidArgument("cursor") for a position this store did not make.
  virtual QueryResult scan_page(TableHandle table, std::int64_t from_us, std::int64_t to_us,
                                std::string_view after, std::size_t limit) = 0;

  // Counts, kept as activities are written. `target` "" means the whole
  // table. Buckets are numbered from the epoch (core/bucket.h); a bucket
  // before the epoch counts zero.
  //
  // Activities per minute (kMinute) or hour (kHour), n buckets from `first`.
  virtual std::vector<std::int64_t> counts(TableHandle table, std::string_view target, Bucket bucket,
                                           std::int64_t first, std::size_t n) = 0;
  // Distinct-actor sketches per minute, hour or UTC day.
  virtual std::vector<core::HyperLogLog> sketches(TableHandle table, std::string_view target, Bucket bucket,
                                                  std::int64_t first, std::size_t n) = 0;
  // A series, or distinct actors over a range, whole: for a store that
  // composes them itself (a cctv server does, from its own counts). The
  // default, nullopt, has the tracker compose them from counts() and
  // sketches(). `unique_actors`: the series of distinct actors rather than
  // of activities.
  virtual std::optional<Series> count_series(TableHandle /*table*/, std::string_view /*target*/,
                                             const TimeRange& /*range*/, Bucket /*bucket*/,
                                             const CountOptions& /*options*/,
                                             bool /*unique_actors*/) {
    return std::nullopt;
  }
  virtual std::optional<std::int64_t> unique_actors(TableHandle /*table*/,
                                                    std::string_view /*target*/,
                                                    const TimeRange& /*range*/) {
    return std::nullopt;
  }
  // Has counts read next take in every activity written before the call,
  // where the store can do so without waiting on a full disk: the embedded
  // store writes the counts it has gathered in memory. Called once before
  // each count or top query. When it cannot, the counts read lag as they
  // would without it; it does not throw.
  virtual void catch_up_counts() {}
  // Recounts the whole UTC days holding [from_us, to_us) from the table's
  // activities, replacing their counts. Writes wait meanwhile.
  virtual void rebuild_counts(TableHandle table, std::int64_t from_us, std::int64_t to_us) = 0;
  // The `limit` busiest targets in minutes [from_minute, to_minute), busiest
  // first, ties by target.
  virtual std::vector<TargetCount> top_targets(TableHandle table, std::int64_t from_minute,
                                               std::int64_t to_minute, std::size_t limit) = 0;
};

}  // namespace cctv::store

#endif  // CCTV_STORE_STORE_H_
