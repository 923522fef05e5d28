#include "store/dynamodb/request_metrics.h"

#include "store/dynamodb/json_access.h"

namespace cctv::store::dynamodb {

namespace {

// Units one ConsumedCapacity entry reports.
double entry_units(const rapidjson::Value& entry, bool write,
                   const std::function<int(std::string_view)>& indexes_of) {
  if (!entry.IsObject()) return 0;
  const double table_units = [&] {
    if (auto table = entry.FindMember("Table");
        table != entry.MemberEnd() && table->value.IsObject()) {
      if (auto units = number_member(table->value, "CapacityUnits")) return *units;
    }
    return number_member(entry, "CapacityUnits").value_or(0);
  }();
  double total = number_member(entry, "CapacityUnits").value_or(table_units);
  const bool reports_indexes = entry.HasMember("GlobalSecondaryIndexes");
  if (write && !reports_indexes && indexes_of) {
    const std::string table = string_member(entry, "TableName");
    total += table_units * indexes_of(table);
  }
  return total;
}

}  // namespace

bool is_read_operation(std::string_view operation) {
  return operation == "Query" || operation == "Scan" || operation == "GetItem" ||
         operation == "BatchGetItem";
}

bool reports_capacity(std::string_view operation) {
  return is_read_operation(operation) || operation == "PutItem" || operation == "UpdateItem" ||
         operation == "DeleteItem" || operation == "BatchWriteItem";
}

double consumed_units(const rapidjson::Value& answer, bool write,
                      const std::function<int(std::string_view)>& indexes_of) {
  if (!answer.IsObject()) return 0;
  auto it = answer.FindMember("ConsumedCapacity");
  if (it == answer.MemberEnd()) return 0;
  if (!it->value.IsArray()) return entry_units(it->value, write, indexes_of);
  double total = 0;
  for (const auto& entry : it->value.GetArray()) total += entry_units(entry, write, indexes_of);
  return total;
}

StoreRequestMetrics& RequestMetrics::of(std::string_view operation) {
  auto it = by_operation_.find(operation);
  if (it == by_operation_.end()) {
    it = by_operation_.emplace(std::string(operation), StoreRequestMetrics{}).first;
    it->second.operation = std::string(operation);
  }
  return it->second;
}

void RequestMetrics::sent(std::string_view operation, bool again) {
  std::lock_guard lock(mu_);
  StoreRequestMetrics& m = of(operation);
  ++m.requests;
  if (again) ++m.retries;
}

void RequestMetrics::throttled(std::string_view operation) {
  std::lock_guard lock(mu_);
  ++of(operation).throttles;
}

void RequestMetrics::error(std::string_view operation) {
  std::lock_guard lock(mu_);
  ++of(operation).errors;
}

void RequestMetrics::consumed(std::string_view operation, double units) {
  if (units == 0) return;
  std::lock_guard lock(mu_);
  StoreRequestMetrics& m = of(operation);
  (is_read_operation(operation) ? m.read_units : m.write_units) += units;
}

std::vector<StoreRequestMetrics> RequestMetrics::snapshot() const {
  std::lock_guard lock(mu_);
  std::vector<StoreRequestMetrics> out;
  out.reserve(by_operation_.size());
  for (const auto& [name, m] : by_operation_) out.push_back(m);
  return out;
}

}  // namespace cctv::store::dynamodb
