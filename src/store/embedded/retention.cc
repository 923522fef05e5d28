#include "store/embedded/retention.h"

#include "core/bucket.h"
#include "core/coding.h"
#include "store/embedded/count_rows.h"
#include "store/embedded/key_layout.h"

namespace cctv::store::embedded {

namespace {

// Drops entries older than `horizon_us`, by the time their key holds.
class ExpiryFilter final : public rocksdb::CompactionFilter {
 public:
  ExpiryFilter(FamilyKind kind, std::int64_t horizon_us) : kind_(kind), horizon_us_(horizon_us) {}

  Decision FilterV2(int /*level*/, const rocksdb::Slice& key, ValueType /*type*/,
                    const rocksdb::Slice& /*existing_value*/, std::string* /*new_value*/,
                    std::string* /*skip_until*/) const override {
    const std::string_view k(key.data(), key.size());
    if (kind_ == FamilyKind::kCounts) return counts_row_end_us(k) <= horizon_us_ ? Decision::kRemove : Decision::kKeep;
    IndexKey parsed;
    if (!parse_index_key(k, parsed)) return Decision::kKeep;  // not ours to judge
    return parsed.time_us < horizon_us_ ? Decision::kRemove : Decision::kKeep;
  }
  const char* Name() const override { return "cctv.expiry"; }

 private:
  const FamilyKind kind_;
  const std::int64_t horizon_us_;
};

class ExpiryFilterFactory final : public rocksdb::CompactionFilterFactory {
 public:
  explicit ExpiryFilterFactory(std::weak_ptr<Retention> retention) : retention_(std::move(retention)) {}

  std::unique_ptr<rocksdb::CompactionFilter> CreateCompactionFilter(
      const rocksdb::CompactionFilter::Context& context) override {
    auto retention = retention_.lock();
    if (!retention) return nullptr;
    const std::int64_t horizon = retention->horizon_us(context.column_family_id);
    if (horizon == Retention::kForever) return nullptr;
    return std::make_unique<ExpiryFilter>(retention->kind(context.column_family_id), horizon);
  }
  const char* Name() const override { return "cctv.expiry"; }

 private:
  std::weak_ptr<Retention> retention_;
};

}  // namespace

std::int64_t counts_row_end_us(std::string_view key) {
  if (key.size() >= kRowKeyPrefix && (key[0] == kMinuteRow || key[0] == kHourRow)) {
    const std::int64_t period = core::read_be32(key.data() + 1);
    return key[0] == kMinuteRow ? (period + 1) * core::kHourUs : (period + 1) * core::kDayUs;
  }
  if (key.size() >= kSketchKeyPrefix && key[0] == kSketchRow) {
    const std::int64_t period = core::read_be32(key.data() + 2);
    return key[1] == 'm' ? (period + 1) * core::kHourUs : (period + 1) * core::kDayUs;
  }
  return std::numeric_limits<std::int64_t>::max();  // marks, and anything else
}

Retention::Retention(std::function<Timestamp()> clock) : clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return now(); };
}

void Retention::set(std::uint32_t family_id, FamilyKind kind, std::int64_t retention_us) {
  std::lock_guard lock(mu_);
  settings_[family_id] = Setting{kind, retention_us};
}

void Retention::forget(std::uint32_t family_id) {
  std::lock_guard lock(mu_);
  settings_.erase(family_id);
}

std::int64_t Retention::horizon_us(std::uint32_t family_id) const {
  std::int64_t retention = 0;
  {
    std::lock_guard lock(mu_);
    auto it = settings_.find(family_id);
    if (it != settings_.end()) retention = it->second.retention_us;
  }
  if (retention <= 0) return kForever;
  return clock_().time_since_epoch().count() - retention;
}

FamilyKind Retention::kind(std::uint32_t family_id) const {
  std::lock_guard lock(mu_);
  auto it = settings_.find(family_id);
  return it == settings_.end() ? FamilyKind::kActivities : it->second.kind;
}

std::shared_ptr<rocksdb::CompactionFilterFactory> Retention::filter_factory() {
  return std::make_shared<ExpiryFilterFactory>(weak_from_this());
}

}  // namespace cctv::store::embedded
