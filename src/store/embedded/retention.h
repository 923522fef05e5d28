// Retention on the embedded store: how long each column family keeps what
// it holds, and the compaction filter that drops what has expired, reading
// the time straight from the key (activities: their time; counts: the end
// of the row's hour or day). Expired data costs nothing to remove: it goes
// when RocksDB rewrites its file anyway, or at once on apply_retention.
//
// Thread-safe.
#ifndef CCTV_STORE_EMBEDDED_RETENTION_H_
#define CCTV_STORE_EMBEDDED_RETENTION_H_

#include <rocksdb/compaction_filter.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "cctv/time.h"

namespace cctv::store::embedded {

enum class FamilyKind { kActivities, kCounts };

class Retention : public std::enable_shared_from_this<Retention> {
 public:
  // `clock` says what time it is; empty: the system clock.
  explicit Retention(std::function<Timestamp()> clock);

  static constexpr std::int64_t kForever = std::numeric_limits<std::int64_t>::min();

  // Keeps what family `family_id` holds for `retention_us` (0: forever).
  void set(std::uint32_t family_id, FamilyKind kind, std::int64_t retention_us);
  void forget(std::uint32_t family_id);

  // The oldest time `family_id` keeps now: data before it has expired.
  // kForever when it keeps everything.
  std::int64_t horizon_us(std::uint32_t family_id) const;

  FamilyKind kind(std::uint32_t family_id) const;

  // For ColumnFamilyOptions::compaction_filter_factory of every family.
  std::shared_ptr<rocksdb::CompactionFilterFactory> filter_factory();

 private:
  struct Setting {
    FamilyKind kind;
    std::int64_t retention_us;
  };

  std::function<Timestamp()> clock_;
  mutable std::mutex mu_;
  std::unordered_map<std::uint32_t, Setting> settings_;
};

// When a counts key's row ends (the end of its hour or day, in µs), or
// nullopt-like INT64_MAX for keys that never expire (marks).
std::int64_t counts_row_end_us(std::string_view key);

}  // namespace cctv::store::embedded

#endif  // CCTV_STORE_EMBEDDED_RETENTION_H_
