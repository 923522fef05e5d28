// Counts what DynamoDB requests did -- sent, retried, throttled, failed --
// and the capacity they consumed, by operation.
//
// Thread-safe.
#ifndef CCTV_STORE_DYNAMODB_REQUEST_METRICS_H_
#define CCTV_STORE_DYNAMODB_REQUEST_METRICS_H_

#include <rapidjson/document.h>

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "cctv/metrics.h"

namespace cctv::store::dynamodb {

// Whether an operation consumes read units (Query, Scan, GetItem,
// BatchGetItem) rather than write units.
bool is_read_operation(std::string_view operation);

// Whether DynamoDB reports consumed capacity for an operation when asked
// (ReturnConsumedCapacity): the item operations, not the table ones.
bool reports_capacity(std::string_view operation);

// The capacity units an answer reports as consumed, from its
// ConsumedCapacity (an object, or one per table in an array). For a write
// to a table whose entry names no index units, the units of the table's
// `indexes_of(table)` global secondary indexes are added at the table's own
// (a write of an item projected whole into an index costs the same there,
// the rule for cctv's actor index); engines that report index units have
// them counted as reported.
double consumed_units(const rapidjson::Value& answer, bool write,
                      const std::function<int(std::string_view table)>& indexes_of);

class RequestMetrics {
 public:
  void sent(std::string_view operation, bool again);
  void throttled(std::string_view operation);
  void error(std::string_view operation);
  void consumed(std::string_view operation, double units);

  std::vector<StoreRequestMetrics> snapshot() const;

 private:
  StoreRequestMetrics& of(std::string_view operation);  // REQUIRES: mu_ held

  mutable std::mutex mu_;
  std::map<std::string, StoreRequestMetrics, std::less<>> by_operation_;
};

}  // namespace cctv::store::dynamodb

#endif  // CCTV_STORE_DYNAMODB_REQUEST_METRICS_H_
