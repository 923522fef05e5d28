#include "store/embedded/time_span.h"

#include <algorithm>
#include <string>

#include "core/coding.h"
#include "store/embedded/key_layout.h"

namespace cctv::store::embedded {

namespace {

constexpr const char* kMinTime = "cctv.min_time_us";
constexpr const char* kMaxTime = "cctv.max_time_us";

std::string be64(std::int64_t v) {
  std::string out;
  core::append_be64(out, static_cast<std::uint64_t>(v));
  return out;
}

class TimeSpanCollector final : public rocksdb::TablePropertiesCollector {
 public:
  rocksdb::Status AddUserKey(const rocksdb::Slice& key, const rocksdb::Slice& /*value*/,
                             rocksdb::EntryType /*type*/, rocksdb::SequenceNumber /*seq*/,
                             uint64_t /*file_size*/) override {
    if (key.size() < kKeySuffixBytes) return rocksdb::Status::OK();  // not an index key
    const auto t = static_cast<std::int64_t>(~core::read_be64(key.data() + key.size() - kKeySuffixBytes));
    min_ = std::min(min_, t);
    max_ = std::max(max_, t);
    return rocksdb::Status::OK();
  }

  rocksdb::Status Finish(rocksdb::UserCollectedProperties* properties) override {
    if (min_ <= max_) {
      properties->emplace(kMinTime, be64(min_));
      properties->emplace(kMaxTime, be64(max_));
    }
    return rocksdb::Status::OK();
  }

  rocksdb::UserCollectedProperties GetReadableProperties() const override { return {}; }
  const char* Name() const override { return "cctv.TimeSpan"; }

 private:
  std::int64_t min_ = INT64_MAX;
  std::int64_t max_ = INT64_MIN;
};

class TimeSpanCollectorFactory final : public rocksdb::TablePropertiesCollectorFactory {
 public:
  rocksdb::TablePropertiesCollector* CreateTablePropertiesCollector(
      rocksdb::TablePropertiesCollectorFactory::Context /*context*/) override {
    return new TimeSpanCollector();
  }
  const char* Name() const override { return "cctv.TimeSpan"; }
};

}  // namespace

std::shared_ptr<rocksdb::TablePropertiesCollectorFactory> time_span_collector_factory() {
  return std::make_shared<TimeSpanCollectorFactory>();
}

bool may_overlap(const rocksdb::TableProperties& properties, std::int64_t from_us, std::int64_t to_us) {
  const auto& user = properties.user_collected_properties;
  const auto lo = user.find(kMinTime);
  const auto hi = user.find(kMaxTime);
  if (lo == user.end() || hi == user.end() || lo->second.size() != 8 || hi->second.size() != 8) return true;
  const auto min = static_cast<std::int64_t>(core::read_be64(lo->second.data()));
  const auto max = static_cast<std::int64_t>(core::read_be64(hi->second.data()));
  return max >= from_us && min < to_us;
}

}  // namespace cctv::store::embedded
