#include "store/dynamodb/minute_records.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "core/coding.h"
#include "core/hyperloglog.h"

namespace cctv::store::dynamodb {

namespace {

constexpr char kVersion = 1;
using core::HyperLogLog;
constexpr std::uint32_t kMaxEntry = (HyperLogLog::kRegisters << HyperLogLog::kRankBits) - 1;

void append_entries(std::span<const std::uint32_t> entries, std::string& out) {
  core::append_varint(out, entries.size());
  std::uint32_t previous = 0;
  for (std::uint32_t e : entries) {
    core::append_varint(out, e - previous);
    previous = e;
  }
}

// Reads what append_entries() wrote; false for entries out of order, for a
// register twice, or beyond a sketch.
bool read_entries(std::string_view& in, std::vector<std::uint32_t>& entries) {
  std::uint64_t n = 0;
  if (!core::read_varint(in, n) || n > core::HyperLogLog::kRegisters || n > in.size()) return false;
  entries.resize(static_cast<std::size_t>(n));
  std::uint64_t entry = 0;
  for (std::size_t k = 0; k < entries.size(); ++k) {
    std::uint64_t step = 0;
    if (!core::read_varint(in, step)) return false;
    // No step past the last entry (nor round past 2^64 to an earlier one).
    if (step > kMaxEntry - entry) return false;
    entry += step;
    // Ascending, one per register.
    if (k > 0 && HyperLogLog::entry_register(static_cast<std::uint32_t>(entry)) ==
                     HyperLogLog::entry_register(entries[k - 1])) {
      return false;
    }
    if (k > 0 && step == 0) return false;
    entries[k] = static_cast<std::uint32_t>(entry);
  }
  return true;
}

// A run's version byte and record count, generously.
constexpr std::size_t kRunHeaderBound = 16;

// Whether a record bounded by `bound` fits a run whose records so far
// (and header) are bounded by `size`.
bool fits_run(std::size_t size, std::size_t bound, std::size_t max_bytes) {
  return size + bound <= max_bytes;
}

// A record's target, minute (as a step from the record before) and count.
void append_record_head(std::string_view target, std::int64_t minute_step, std::int64_t count,
                        std::string& out) {
  core::append_length_prefixed(out, target);
  core::append_varint(out, core::zigzag_encode(minute_step));
  core::append_varint(out, static_cast<std::uint64_t>(count));
}

}  // namespace

void encode_records(std::span<const MinuteRecord> records, std::string& out, bool with_entries) {
  out.push_back(kVersion);
  core::append_varint(out, records.size());
  std::int64_t previous_minute = 0;
  for (const MinuteRecord& r : records) {
    append_record_head(r.target, r.minute - previous_minute, r.count, out);
    previous_minute = r.minute;
    if (!with_entries) {
      out.push_back(0);
      continue;
    }
    append_entries(r.entries, out);
  }
}

bool decode_records(std::string_view payload, std::vector<MinuteRecord>& out) {
  if (payload.empty() || payload.front() != kVersion) return false;
  payload.remove_prefix(1);
  std::uint64_t n = 0;
  // Each record takes at least 4 bytes: a bound that keeps a hostile count
  // from reserving memory it does not describe.
  if (!core::read_varint(payload, n) || n > payload.size() / 4) return false;
  std::vector<MinuteRecord> records(static_cast<std::size_t>(n));
  std::int64_t minute = 0;
  for (MinuteRecord& r : records) {
    std::string_view target;
    std::uint64_t delta = 0;
    std::uint64_t count = 0;
    if (!core::read_length_prefixed(payload, target) || !core::read_varint(payload, delta) ||
        !core::read_varint(payload, count)) {
      return false;
    }
    const std::int64_t step = core::zigzag_decode(delta);
    // Minutes stay within a few thousand years of the epoch.
    if (std::abs(step) > (std::int64_t{1} << 40) ||
        std::abs(minute + step) > (std::int64_t{1} << 40))
      return false;
    if (count == 0 || count > (std::uint64_t{1} << 40)) return false;
    r.target.assign(target);
    r.minute = minute += step;
    r.count = static_cast<std::int64_t>(count);
    if (!read_entries(payload, r.entries)) return false;
  }
  if (!payload.empty()) return false;
  out.insert(out.end(), std::make_move_iterator(records.begin()),
             std::make_move_iterator(records.end()));
  return true;
}

std::size_t encoded_size_bound(const MinuteRecord& record) {
  return encoded_size_bound(record.target.size(), record.entries.size());
}

std::size_t encoded_size_bound(std::size_t target_size, std::size_t entries) {
  // Length prefix, target, minute, count, entry count: varints of 10 bytes
  // at most; each entry (under 2^20) 3 bytes at most.
  return 10 + target_size + 10 + 10 + 10 + 3 * entries;
}

void encode_entries(std::span<const MinuteRecord> records, std::string& out) {
  out.push_back(kVersion);
  core::append_varint(out, records.size());
  for (const MinuteRecord& r : records) append_entries(r.entries, out);
}

bool decode_entries(std::string_view payload, std::span<MinuteRecord> records) {
  if (payload.empty() || payload.front() != kVersion) return false;
  payload.remove_prefix(1);
  std::uint64_t n = 0;
  if (!core::read_varint(payload, n) || n != records.size()) return false;
  std::vector<std::vector<std::uint32_t>> all(records.size());
  for (auto& entries : all) {
    if (!read_entries(payload, entries)) return false;
  }
  if (!payload.empty()) return false;
  for (std::size_t i = 0; i < records.size(); ++i) records[i].entries = std::move(all[i]);
  return true;
}

std::vector<std::span<const MinuteRecord>> split_records(std::span<const MinuteRecord> records,
                                                         std::size_t max_bytes) {
  std::vector<std::span<const MinuteRecord>> out;
  std::size_t begin = 0;
  while (begin < records.size()) {
    std::size_t end = begin;
    std::size_t size = kRunHeaderBound;
    while (end < records.size() &&
           (end == begin || fits_run(size, encoded_size_bound(records[end]), max_bytes))) {
      size += encoded_size_bound(records[end++]);
    }
    out.push_back(records.subspan(begin, end - begin));
    begin = end;
  }
  return out;
}

bool MinutePayloadBuilder::fits(std::size_t target_size, std::size_t entries,
                                std::size_t max_bytes) const noexcept {
  return records_ == 0 ||
         fits_run(size_bound_, encoded_size_bound(target_size, entries), max_bytes);
}

void MinutePayloadBuilder::add(std::string_view target, std::int64_t minute, std::int64_t count,
                               std::span<const std::uint32_t> entries) {
  if (records_ == 0) size_bound_ = kRunHeaderBound;
  size_bound_ += encoded_size_bound(target.size(), entries.size());
  append_record_head(target, minute - previous_minute_, count, counts_body_);
  counts_body_.push_back(0);  // no entries: they go in the sketches payload
  previous_minute_ = minute;
  append_entries(entries, sketches_body_);
  ++records_;
}

void MinutePayloadBuilder::finish(std::string& counts, std::string& sketches) {
  for (auto [out, body] :
       {std::pair(&counts, &counts_body_), std::pair(&sketches, &sketches_body_)}) {
    out->clear();
    out->reserve(11 + body->size());
    out->push_back(kVersion);
    core::append_varint(*out, records_);
    out->append(*body);
    body->clear();
  }
  records_ = 0;
  previous_minute_ = 0;
}

}  // namespace cctv::store::dynamodb
