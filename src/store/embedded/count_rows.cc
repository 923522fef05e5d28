#include "store/embedded/count_rows.h"

#include <map>

#include "core/coding.h"
#include "core/hyperloglog.h"

namespace cctv::store::embedded {

namespace {

// Slots of a row: 60 minutes in an hour row, 24 hours and the day in a day
// row of sketches.
constexpr std::uint32_t kMaxSlots = 60;

// Adds a stored count to a slot's total; false (a malformed row) when it
// cannot be a count: past int64, or a sum past it. Only damaged data gets
// there, and wrapping would be undefined.
bool add_count(std::int64_t& total, std::uint64_t count) {
  return count <= static_cast<std::uint64_t>(INT64_MAX) &&
         !__builtin_add_overflow(total, static_cast<std::int64_t>(count), &total);
}

// Reads the count part at the front of `encoded` into slot -> count, and
// leaves `encoded` after it.
bool read_counts(std::string_view& encoded, std::map<std::uint32_t, std::int64_t>& into) {
  std::uint64_t n = 0;
  if (!core::read_varint(encoded, n) || n > kMaxSlots) return false;
  for (std::uint64_t i = 0; i < n; ++i) {
    std::uint64_t slot = 0, count = 0;
    if (!core::read_varint(encoded, slot) || !core::read_varint(encoded, count) ||
        slot >= kMaxSlots)
      return false;
    if (!add_count(into[static_cast<std::uint32_t>(slot)], count)) return false;
  }
  return true;
}

// Reads a sketch part (the rest of `encoded`; empty: none) into slot -> sketch.
bool read_sketches(std::string_view encoded, std::map<std::uint32_t, core::HyperLogLog>& into) {
  if (encoded.empty()) return true;
  std::uint64_t n = 0;
  if (!core::read_varint(encoded, n) || n > kMaxSlots) return false;
  for (std::uint64_t i = 0; i < n; ++i) {
    std::uint64_t slot = 0;
    std::string_view sketch;
    if (!core::read_varint(encoded, slot) || slot >= kMaxSlots ||
        !core::read_length_prefixed(encoded, sketch)) {
      return false;
    }
    if (!into[static_cast<std::uint32_t>(slot)].merge_encoded(sketch)) return false;
  }
  return encoded.empty();
}

// Skips the count part at the front of `encoded`.
bool skip_counts(std::string_view& encoded) {
  std::map<std::uint32_t, std::int64_t> ignored;
  return read_counts(encoded, ignored);
}

void encode_sketch_map(const std::map<std::uint32_t, core::HyperLogLog>& slots, std::string& out) {
  std::vector<std::string> encoded(slots.size());
  SketchSlots views;
  std::size_t i = 0;
  for (const auto& [slot, hll] : slots) {
    hll.encode(encoded[i]);
    views.emplace_back(slot, encoded[i]);
    ++i;
  }
  encode_sketch_row(views, out);
}

class CountsMergeOperator final : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& key, const rocksdb::Slice* existing, const rocksdb::Slice& value,
             std::string* new_value, rocksdb::Logger* /*logger*/) const override {
    // With no existing value the operand is combined with nothing: checked,
    // and written back in canonical form.
    return combine(std::string_view(key.data(), key.size()),
                   existing == nullptr ? std::string_view()
                                       : std::string_view(existing->data(), existing->size()),
                   std::string_view(value.data(), value.size()), *new_value);
  }
  const char* Name() const override { return "cctv.counts.v1"; }
};

}  // namespace

void append_row_key(std::string& out, char kind, std::int64_t period, std::string_view target) {
  out.push_back(kind);
  core::append_be32(out, static_cast<std::uint32_t>(period));
  out.append(target);
}

std::string row_key(char kind, std::int64_t period, std::string_view target) {
  std::string key;
  key.reserve(kRowKeyPrefix + target.size());
  append_row_key(key, kind, period, target);
  return key;
}

std::int64_t sketch_row(Bucket bucket, std::int64_t number) {
  switch (bucket) {
    case Bucket::kMinute:
      return number / 60;
    case Bucket::kHour:
      return number / 24;
    case Bucket::kDay:
      return number;
  }
  return number;
}

std::uint32_t sketch_slot(Bucket bucket, std::int64_t number) {
  switch (bucket) {
    case Bucket::kMinute:
      return static_cast<std::uint32_t>(number % 60);
    case Bucket::kHour:
      return static_cast<std::uint32_t>(number % 24);
    case Bucket::kDay:
      return kDaySlot;
  }
  return kDaySlot;
}

void append_sketch_key(std::string& out, Bucket bucket, std::int64_t number,
                       std::string_view target) {
  if (bucket == Bucket::kMinute) {
    append_row_key(out, kMinuteRow, sketch_row(bucket, number), target);
    return;
  }
  out.push_back(kSketchRow);
  out.push_back('h');
  core::append_be32(out, static_cast<std::uint32_t>(sketch_row(bucket, number)));
  out.append(target);
}

std::string sketch_key(Bucket bucket, std::int64_t number, std::string_view target) {
  std::string key;
  key.reserve(kSketchKeyPrefix + target.size());
  append_sketch_key(key, bucket, number, target);
  return key;
}

void encode_sketch_row(const SketchSlots& slots, std::string& out) {
  core::append_varint(out, slots.size());
  for (const auto& [slot, sketch] : slots) {
    core::append_varint(out, slot);
    core::append_length_prefixed(out, sketch);
  }
}

void encode_minute_row(const Slots& counts, const SketchSlots& sketches, std::string& out) {
  encode_row(counts, out);
  encode_sketch_row(sketches, out);
}

bool merge_sketch_slot(std::string_view key, std::string_view encoded, std::uint32_t slot,
                       core::HyperLogLog& into) {
  if (!key.empty() && key[0] == kMinuteRow) {
    if (!skip_counts(encoded)) return false;
    if (encoded.empty()) return true;  // an 'M' row without sketches
  }
  std::uint64_t n = 0;
  if (!core::read_varint(encoded, n) || n > kMaxSlots) return false;
  for (std::uint64_t i = 0; i < n; ++i) {
    std::uint64_t s = 0;
    std::string_view sketch;
    if (!core::read_varint(encoded, s) || !core::read_length_prefixed(encoded, sketch))
      return false;
    if (slot == kDaySlot) {
      // The day: the union of its hours.
      if (!into.merge_encoded(sketch)) return false;
    } else if (s == slot) {
      return into.merge_encoded(sketch);
    }
  }
  return encoded.empty();
}

bool combine(std::string_view key, std::string_view existing, std::string_view add,
             std::string& out) {
  if (key.empty()) return false;
  out.clear();
  if (key[0] == kSketchRow) {
    std::map<std::uint32_t, core::HyperLogLog> slots;
    if (!read_sketches(existing, slots) || !read_sketches(add, slots) || add.empty()) return false;
    encode_sketch_map(slots, out);
    return true;
  }
  if (key[0] != kMinuteRow && key[0] != kHourRow) return false;
  std::map<std::uint32_t, std::int64_t> counts;
  std::map<std::uint32_t, core::HyperLogLog> sketches;
  for (std::string_view part : {existing, add}) {
    if (part.empty()) continue;
    if (!read_counts(part, counts) ||
        (key[0] == kHourRow && !counts.empty() && counts.rbegin()->first >= 24)) {
      return false;
    }
    // Hour rows hold counts only; minute rows may go on with sketches.
    if (key[0] == kHourRow ? !part.empty() : !read_sketches(part, sketches)) return false;
  }
  encode_row(Slots(counts.begin(), counts.end()), out);
  if (!sketches.empty()) encode_sketch_map(sketches, out);
  return true;
}

bool slots_before(std::string_view key, std::string_view encoded, std::uint32_t end_slot,
                  std::string& out) {
  if (key.empty()) return false;
  out.clear();
  std::map<std::uint32_t, std::int64_t> counts;
  std::map<std::uint32_t, core::HyperLogLog> sketches;
  if (key[0] == kSketchRow) {
    if (!read_sketches(encoded, sketches)) return false;
  } else if (key[0] == kMinuteRow || key[0] == kHourRow) {
    if (!read_counts(encoded, counts)) return false;
    if (key[0] == kHourRow ? !encoded.empty() : !read_sketches(encoded, sketches)) return false;
  } else {
    return false;
  }
  counts.erase(counts.lower_bound(end_slot), counts.end());
  sketches.erase(sketches.lower_bound(end_slot), sketches.end());
  if (counts.empty() && sketches.empty()) return true;
  if (key[0] == kSketchRow) {
    encode_sketch_map(sketches, out);
  } else {
    encode_row(Slots(counts.begin(), counts.end()), out);
    if (!sketches.empty()) encode_sketch_map(sketches, out);
  }
  return true;
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

bool add_row(char kind, std::string_view encoded, std::vector<std::int64_t>& totals) {
  std::uint64_t n = 0;
  if (!core::read_varint(encoded, n) || n > kMaxSlots) return false;
  for (std::uint64_t i = 0; i < n; ++i) {
    std::uint64_t slot = 0, count = 0;
    if (!core::read_varint(encoded, slot) || !core::read_varint(encoded, count) ||
        slot >= totals.size()) {
      return false;
    }
    if (!add_count(totals[slot], count)) return false;
  }
  // What follows, in a minute row, is its sketches; an hour row ends here.
  return kind == kMinuteRow || encoded.empty();
}

void encode_dirty(std::int64_t min_us, std::int64_t max_us, std::string& out) {
  core::append_varint(out, static_cast<std::uint64_t>(min_us));
  core::append_varint(out, static_cast<std::uint64_t>(max_us));
}

bool decode_dirty(std::string_view encoded, std::int64_t& min_us, std::int64_t& max_us) {
  std::uint64_t a = 0, b = 0;
  if (!core::read_varint(encoded, a) || !core::read_varint(encoded, b) || !encoded.empty())
    return false;
  min_us = static_cast<std::int64_t>(a);
  max_us = static_cast<std::int64_t>(b);
  return true;
}

std::shared_ptr<rocksdb::MergeOperator> counts_merge_operator() {
  return std::make_shared<CountsMergeOperator>();
}

}  // namespace cctv::store::embedded
