// What a Client's ingest pipeline and its store have done so far: counters
// for monitoring (the HTTP server exports them in Prometheus format). Plain struct, a
// consistent snapshot taken by Client::metrics().
#ifndef CCTV_METRICS_H_
#define CCTV_METRICS_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "cctv/export.h"

namespace cctv {

// Upper bounds, in microseconds, of the batch-write latency histogram's
// buckets; a last, unbounded bucket follows them.
inline constexpr std::array<std::uint64_t, 14> kBatchLatencyBoundsUs = {
    100, 250, 500, 1'000, 2'500, 5'000, 10'000, 25'000, 50'000, 100'000, 250'000, 500'000,
    1'000'000, 2'500'000};

// What a store's requests to a remote service did, for one operation
// (DynamoDB's "BatchWriteItem", "Query", ...). Capacity units are
// DynamoDB's: what it reports as consumed, plus, where an engine reports no
// index units (dynalite), the write units of the table's indexes counted by
// DynamoDB's rules. docs/dynamodb.md turns them into money.
struct CCTV_EXPORT StoreRequestMetrics {
  std::string operation;
  std::uint64_t requests = 0;   // sent, every retry and follow-up included
  std::uint64_t retries = 0;    // sent again: after a failure, or for items left unprocessed
  std::uint64_t throttles = 0;  // answered "slow down"
  std::uint64_t errors = 0;     // answered with another error, or not answered in time
  double read_units = 0;
  double write_units = 0;
};

struct CCTV_EXPORT Metrics {
  std::uint64_t accepted = 0;     // activities record_activity()/record() accepted
  std::uint64_t written = 0;      // activities the store confirmed
  std::uint64_t failed = 0;       // activities not written: refused by the store for good,
                                  // or given up on when closing (each also logged and reported)
  std::uint64_t retried = 0;      // batch writes that failed and were tried again
  std::uint64_t queue_depth = 0;  // accepted, not yet written or failed
  std::uint64_t batches = 0;      // batch writes completed
  // Batch-write latency: total and the count per bucket (not cumulative);
  // bucket i holds latencies <= kBatchLatencyBoundsUs[i] (and above the
  // previous bound), the last bucket everything larger.
  std::uint64_t batch_latency_us_total = 0;
  std::array<std::uint64_t, kBatchLatencyBoundsUs.size() + 1> batch_latency_buckets{};
  // The store's requests by operation: DynamoDB's; empty for the embedded
  // store.
  std::vector<StoreRequestMetrics> store_requests;
};

}  // namespace cctv

#endif  // CCTV_METRICS_H_
