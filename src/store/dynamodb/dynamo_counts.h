// Keeps the DynamoDB store's counts in each table's companion table
// `<table>.counts` (layout in count_items.h and docs/dynamodb.md): gathers
// them from confirmed writes in memory, writes them when asked (the store
// asks once a second, from its own thread, and on flush) -- one `ADD` per
// (target, hour) and one sketch write per (target, bucket) instead of one
// per activity -- and answers count queries.
//
// Counted once: a count update carries this writer's round number and is
// applied only if the item has not seen it (a condition on the item), so an
// update sent again after its answer was lost adds nothing. Sketches are
// merged (union is idempotent) by read, merge, and a write conditional on
// the version read, so concurrent writers do not lose each other's actors.
// What a round could not write is kept and sent first by the next one.
//
// Thread-safe.
#ifndef CCTV_STORE_DYNAMODB_DYNAMO_COUNTS_H_
#define CCTV_STORE_DYNAMODB_DYNAMO_COUNTS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "cctv/counts.h"
#include "core/count_aggregator.h"
#include "core/hyperloglog.h"
#include "core/record_batch.h"
#include "store/dynamodb/json_access.h"
#include "store/dynamodb/request_engine.h"

namespace cctv::store::dynamodb {

// Where a table's counts go.
struct CountsTarget {
  std::string remote;            // the DynamoDB table: "<prefix><table>.counts"
  std::int64_t retention_s = 0;  // how long counts are kept (expires_at); 0: forever
  bool live = true;              // false once the table is dropped: its counts are discarded
};

class DynamoCounts {
 public:
  using TableOf = std::function<CountsTarget(std::uint32_t table)>;
  // Creates a counts table that does not exist (a table made by the 2014
  // gem has none); may be called for one that does. Returns false when the
  // table it counts was dropped: its counts are then discarded.
  using CreateTable = std::function<bool(const std::string& remote)>;

  DynamoCounts(RequestEngine& engine, CreateTable create_table);

  // Gathers the counts of `batch`'s records whose `counted` flag is set
  // (written now, and not stored before).
  void absorb(const core::RecordBatch& batch, const std::vector<bool>& counted);

  // Writes the counts gathered, and the sketches when `sketches_too` or
  // when they have waited kSketchRounds rounds: a sketch item is rewritten
  // whole (a dense one is 16 KiB, 16 write units), so a busy target's
  // sketches are written every ten seconds, not every second. Throws
  // StoreError; what it could not write stays in memory and goes first on
  // the next call.
  void flush(const TableOf& table_of, bool sketches_too);

  // Drops what was gathered, or waits to be sent, for a table being dropped
  // (its counts table `remote`).
  void forget(std::uint32_t table, const std::string& remote);

  // Counts `aggregator` holds into `where` now (a rebuild). Throws
  // StoreError.
  void write_now(core::CountAggregator& aggregator, const CountsTarget& where);

  // Activities per minute (kMinute) or hour (kHour) of `target` ("" for the
  // whole table), for `n` buckets from bucket number `first`.
  std::vector<std::int64_t> counts(const std::string& remote, std::string_view target,
                                   Bucket bucket, std::int64_t first, std::size_t n);
  // Distinct-actor sketches per minute, hour or UTC day.
  std::vector<core::HyperLogLog> sketches(const std::string& remote, std::string_view target,
                                          Bucket bucket, std::int64_t first, std::size_t n);
  // The `limit` targets with most activities in minutes [from, to), exact.
  std::vector<TargetCount> top_targets(const std::string& remote, std::int64_t from_minute,
                                       std::int64_t to_minute, std::size_t limit);
  // Deletes every count and sketch of UTC days [first_day, end_day).
  void erase_days(const std::string& remote, std::int64_t first_day, std::int64_t end_day);

 private:
  struct SketchWrite {
    std::string remote;
    std::string key;
    std::int64_t start;  // epoch seconds
    core::HyperLogLog sketch;
    std::int64_t expires_at;  // 0: never
  };
  struct Round {
    std::vector<std::string> updates;  // UpdateItem bodies, each applied at most once
    std::vector<std::string> remotes;  // the table of each update
    // One write per item: a sketch for an item already waiting (from an
    // earlier round) is merged into it as it is added.
    std::vector<SketchWrite> sketches;
    std::map<std::tuple<std::string, std::string, std::int64_t>, std::size_t>
        sketch_index;  // (remote, key, start)

    bool empty() const { return updates.empty() && sketches.empty(); }
    void add_sketch(SketchWrite write);
    // After `sketches` changed other than through add_sketch.
    void reindex();
  };

  // Adds the writes of `aggregator`'s counts to `round`.
  void plan(core::CountAggregator& aggregator, const CountsTarget& where, Round& round);
  // Sends `round` (its sketches only with `sketches_too`); what it could
  // not write stays in it. Throws StoreError after trying hard.
  void send(Round& round, bool sketches_too);
  void send_updates(Round& round);
  void send_sketches(Round& round);
  // Visits every item of the counts table `remote` (with `filter`, a
  // FilterExpression on #k (the key) and :p (`prefix`): those it passes).
  void scan_all(const std::string& remote, const char* filter, std::string_view prefix,
                const std::function<void(const rapidjson::Value&)>& visit);
  // Visits every item of every page `operation` (Query or Scan) on
  // `remote` returns, read consistently; `conditions` adds the request's
  // other members.
  void each_item(const char* operation, const std::string& remote,
                 const std::function<void(Writer&)>& conditions,
                 const std::function<void(const rapidjson::Value&)>& visit);
  // Visits every item a Query body (without ExclusiveStartKey) returns,
  // page after page.
  void query_all(const std::string& remote, const std::function<void(Writer&)>& conditions,
                 const std::function<void(const rapidjson::Value&)>& visit);

  RequestEngine& engine_;
  const CreateTable create_table_;
  // This writer's name in count items, different in every process.
  const std::string writer_;

  std::mutex mu_;  // guards gathering_
  std::map<std::uint32_t, core::CountAggregator> gathering_;
  std::mutex write_mu_;  // one round at a time; guards the rest
  std::map<std::uint32_t, core::CountAggregator> taken_;
  std::uint64_t round_number_ = 0;
  std::uint64_t sketch_round_ = 0;  // the round that last wrote sketches
  Round unsent_;                    // left by a failed round
};

}  // namespace cctv::store::dynamodb

#endif  // CCTV_STORE_DYNAMODB_DYNAMO_COUNTS_H_
