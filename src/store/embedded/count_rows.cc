#include "store/embedded/count_rows.h"

#include <map>

#include "core/coding.h"
#include "core/hyperloglog.h"

namespace cctv::store::embedded {

namespace {

void append_be32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

char sketch_kind(Bucket bucket) {
  switch (bucket) {
    case Bucket::kMinute: return 'm';
    case Bucket::kHour: return 'h';
    case Bucket::kDay: return 'd';
  }
  return 'd';
}

// Slots of a row: 60 minutes in an hour row, 24 hours in a day row.
constexpr std::uint32_t kMaxSlots = 60;

bool read_row(std::string_view encoded, std::map<std::uint32_t, std::int64_t>& into) {
  std::uint64_t n = 0;
  if (!core::read_varint(encoded, n) || n > kMaxSlots) return false;
  for (std::uint64_t i = 0; i < n; ++i) {
    std::uint64_t slot = 0, count = 0;
    if (!core::read_varint(encoded, slot) || !core::read_varint(encoded, count) || slot >= kMaxSlots) return false;
    into[static_cast<std::uint32_t>(slot)] += static_cast<std::int64_t>(count);
  }
  return encoded.empty();
}

class CountsMergeOperator final : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& key, const rocksdb::Slice* existing, const rocksdb::Slice& value,
             std::string* new_value, rocksdb::Logger* /*logger*/) const override {
    const std::string_view add(value.data(), value.size());
    if (key.size() == 0) return false;
    if (key[0] == kSketchRow) {
      core::HyperLogLog sketch;
      if (existing != nullptr && !sketch.merge_encoded(std::string_view(existing->data(), existing->size()))) {
        return false;
      }
      if (!sketch.merge_encoded(add)) return false;
      new_value->clear();
      sketch.encode(*new_value);
      return true;
    }
    if (key[0] != kMinuteRow && key[0] != kHourRow) return false;
    std::map<std::uint32_t, std::int64_t> slots;
    if (existing != nullptr && !read_row(std::string_view(existing->data(), existing->size()), slots)) return false;
    if (!read_row(add, slots)) return false;
    new_value->clear();
    core::append_varint(*new_value, slots.size());
    for (const auto& [slot, count] : slots) {
      core::append_varint(*new_value, slot);
      core::append_varint(*new_value, static_cast<std::uint64_t>(count));
    }
    return true;
  }
  const char* Name() const override { return "cctv.counts.v1"; }
};

}  // namespace

std::string row_key(char kind, std::int64_t period, std::string_view target) {
  std::string key;
  key.reserve(kRowKeyPrefix + target.size());
  key.push_back(kind);
  append_be32(key, static_cast<std::uint32_t>(period));
  key.append(target);
  return key;
}

std::string sketch_key(Bucket bucket, std::int64_t period, std::string_view target) {
  std::string key;
  key.reserve(kSketchKeyPrefix + target.size());
  key.push_back(kSketchRow);
  key.push_back(sketch_kind(bucket));
  append_be32(key, static_cast<std::uint32_t>(period));
  key.append(target);
  return key;
}

std::string dirty_key(std::uint64_t n) {
  std::string key(1, kDirtyMark);
  core::append_be64(key, n);
  return key;
}

void encode_row(const Slots& slots, std::string& out) {
  core::append_varint(out, slots.size());
  for (const auto& [slot, count] : slots) {
    core::append_varint(out, slot);
    core::append_varint(out, static_cast<std::uint64_t>(count));
  }
}

bool add_row(std::string_view encoded, std::vector<std::int64_t>& totals) {
  std::uint64_t n = 0;
  if (!core::read_varint(encoded, n) || n > kMaxSlots) return false;
  for (std::uint64_t i = 0; i < n; ++i) {
    std::uint64_t slot = 0, count = 0;
    if (!core::read_varint(encoded, slot) || !core::read_varint(encoded, count) || slot >= totals.size()) {
      return false;
    }
    totals[slot] += static_cast<std::int64_t>(count);
  }
  return encoded.empty();
}

void encode_dirty(std::int64_t min_us, std::int64_t max_us, std::string& out) {
  core::append_varint(out, static_cast<std::uint64_t>(min_us));
  core::append_varint(out, static_cast<std::uint64_t>(max_us));
}

bool decode_dirty(std::string_view encoded, std::int64_t& min_us, std::int64_t& max_us) {
  std::uint64_t a = 0, b = 0;
  if (!core::read_varint(encoded, a) || !core::read_varint(encoded, b) || !encoded.empty()) return false;
  min_us = static_cast<std::int64_t>(a);
  max_us = static_cast<std::int64_t>(b);
  return true;
}

std::shared_ptr<rocksdb::MergeOperator> counts_merge_operator() {
  return std::make_shared<CountsMergeOperator>();
}

}  // namespace cctv::store::embedded
