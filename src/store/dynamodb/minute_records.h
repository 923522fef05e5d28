// What one writer saw of targets in minutes -- activities, and the sketch
// entries of their actors -- packed into the payload of one counts item.
//
// On DynamoDB, counts are written as write-once packed items, one per
// (writer, write minute, bucket of targets), instead of an update per
// target: a retry rewrites the same item, so nothing counts twice, and a
// busy minute of 10,000 targets costs 64 items, not 10,000 updates. This
// file is their payload's format; docs/dynamodb.md has the layout.
//
// Payload: a version byte (1), varint record count, then per record:
// varint length and bytes of the target, zigzag varint of the minute's
// difference from the record before (the first: from 0), varint count,
// varint entry count, and the entries as varint differences, ascending.
#ifndef CCTV_STORE_DYNAMODB_MINUTE_RECORDS_H_
#define CCTV_STORE_DYNAMODB_MINUTE_RECORDS_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cctv::store::dynamodb {

struct MinuteRecord {
  std::string target;       // "" for the whole table
  std::int64_t minute = 0;  // when the activities happened: minutes since the epoch
  std::int64_t count = 0;   // activities, at least 1
  // The actors' HyperLogLog entries (core/hyperloglog.h): ascending, one per
  // register, the highest rank seen (HyperLogLog::normalize_entries()).
  std::vector<std::uint32_t> entries;

  friend bool operator==(const MinuteRecord&, const MinuteRecord&) = default;
};

// Appends the payload of `records` to `out`; without `with_entries`, as if
// their entries were empty.
void encode_records(std::span<const MinuteRecord> records, std::string& out,
                    bool with_entries = true);

// The records of a payload, appended to `out`. False for bytes that are no
// payload of this version (data another program wrote, or damage): the
// caller reports it, and nothing is half-read into `out`.
bool decode_records(std::string_view payload, std::vector<MinuteRecord>& out);

// The bytes encode_records() gives `record` at most: for splitting records
// among items under DynamoDB's 400 KB.
std::size_t encoded_size_bound(const MinuteRecord& record);
// The same for a record of a target of `target_size` bytes with `entries`
// entries.
std::size_t encoded_size_bound(std::size_t target_size, std::size_t entries);

// `records` in runs whose payloads stay within `max_bytes` each (a record
// larger than that alone in its run); none for no records.
std::vector<std::span<const MinuteRecord>> split_records(std::span<const MinuteRecord> records,
                                                         std::size_t max_bytes);

// The sketch entries of `records` alone, in their order: kept apart from
// the records' counts (which name the targets), and paired with them
// again by decode_entries(). Format: a version byte (1), varint record
// count, then per record varint entry count and the entries as varint
// differences.
void encode_entries(std::span<const MinuteRecord> records, std::string& out);
// Gives each of `records` the entries `payload` holds for it. False when
// the payload is not of this version or does not hold exactly as many
// records; `records` is then left as it was.
bool decode_entries(std::string_view payload, std::span<MinuteRecord> records);

// The two payloads of a run of records that a writer sends apart --
// encode_records(run, counts, false) and encode_entries(run, sketches) --
// built one record at a time, for a caller that holds no MinuteRecords
// (minute_gathering.h).
//
// Not thread-safe.
class MinutePayloadBuilder {
 public:
  // Appends a record; `entries` as MinuteRecord::entries.
  void add(std::string_view target, std::int64_t minute, std::int64_t count,
           std::span<const std::uint32_t> entries);
  std::size_t records() const noexcept { return records_; }
  // Whether a record of a target of `target_size` bytes with `entries`
  // entries may join the run without its payload passing `max_bytes` --
  // split_records()'s rule: a run holds at least one record.
  bool fits(std::size_t target_size, std::size_t entries, std::size_t max_bytes) const noexcept;
  // The payloads of the records added, in `counts` and `sketches`
  // (replaced); the builder is empty again.
  void finish(std::string& counts, std::string& sketches);

 private:
  std::size_t records_ = 0;
  std::int64_t previous_minute_ = 0;
  std::size_t size_bound_ = 0;  // of the payload so far, as split_records() counts
  std::string counts_body_;
  std::string sketches_body_;
};

}  // namespace cctv::store::dynamodb

#endif  // CCTV_STORE_DYNAMODB_MINUTE_RECORDS_H_
