// The items of a counts table `<table>.counts` (HASH `key` S, RANGE
// `start` N, epoch seconds):
//
//   key "h#<target>",  start hour  -> n (activities in the hour), m00..m59
//                                     (per minute, only minutes with any)
//   key "H#<hour>#<s>", start hash -> t (the target), n, m00..m59: the same
//                                     counts filed by hour, for top targets;
//                                     s = shard of the target (kTopShards)
//   key "mu#<target>", "hu#<target>", start minute/hour
//                                  -> s (HyperLogLog::encode(), B), v (version);
//                                     a day's is the union of its hours'
//                                     (earlier builds wrote "du#" items)
//   key "meta", start 0            -> the table's retention settings
//
// Target "" is the whole table (a target is never empty). Counts are
// numbers updated with ADD; every item may carry `expires_at` (bucket end
// plus the counts retention) for DynamoDB's TTL. Count items also hold one
// `w<writer>` number per process that wrote them: the last round applied.
#ifndef CCTV_STORE_DYNAMODB_COUNT_ITEMS_H_
#define CCTV_STORE_DYNAMODB_COUNT_ITEMS_H_

#include <rapidjson/document.h>

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cctv/counts.h"

namespace cctv::store::dynamodb {

// Top-target items of one hour are spread over this many partition keys,
// so that one hour's writes do not all land on one DynamoDB partition.
constexpr int kTopShards = 8;

inline constexpr std::string_view kCountsSuffix = ".counts";
inline constexpr std::string_view kMetaKey = "meta";
// A table's counts of hours from `minutes_from` (an attribute of its meta
// item) on are in the minutes layout, those before in the per-target one:
// how a table moves from one to the other. These say all, or none (no
// marker: a table counted before the minutes layout, and not moved yet),
// in hours whose microseconds an int64 still holds.
inline constexpr std::int64_t kMinutesAlways = -(std::int64_t{1} << 31);
inline constexpr std::int64_t kMinutesNever = std::int64_t{1} << 31;

std::string hour_key(std::string_view target);
// Whether a counts item is one of the per-target layout's (h#, H#, mu#,
// hu#, du#).
bool is_per_target_item(std::string_view key);
std::string sketch_key(Bucket bucket, std::string_view target);
std::string top_key(std::int64_t hour, int shard);
// The range key of a target's top-target items (and, modulo kTopShards,
// its shard): 63 bits of a hash, so two targets meet in one item with a
// chance of about 2^-63 per pair of targets in an hour.
std::int64_t target_hash(std::string_view target);
// The items of the "minutes" layout (minute_counts.h):
//
//   key "m#<b>", start W * 10^11 + writer * 10^4 + seq
//                                  -> d: minute records (B) without sketch
//                                     entries, the counts one writer wrote in
//                                     write minute W for targets of bucket b;
//                                     one partition per bucket, so that a range
//                                     of write minutes is one Query
//   key "s#<b>", the same start  -> d: the same records with their entries
//   key "c#", start 0            -> the compactor's lease (holder, until) and
//                                     progress: to (write minutes folded),
//                                     closed_to (hours closed), last_w
//   key "z#", start hour*64+b    -> an hour and bucket folded into after closing
//   key "k#", start writer       -> a writer's record: hb (heartbeat, epoch
//                                     s), da (dead after, s), c (generation
//                                     committed), cw (write minutes whose
//                                     items are all committed), cn (when its
//                                     next generation began); once fenced, f
//                                     (first void generation), rw (the write
//                                     minute its repair goes to)
//   key "i#<writer>", start H*10^5+seq -> d: (target, hour) records the
//                                     writer declared in hour H of its clock
//                                     before writing activities there
//   key "n#<writer>", start G*10^6+seq -> d: the ids (encode_intent_ids())
//                                     of the activities without ids of their
//                                     own that one write of the writer's
//                                     generation G was about to store
//   key "o#<H>#<b>", start 0     -> the hour's totals by target (t, records),
//                                     w, ws (write minutes folded in), cw;
//                                     after a rebuild rb (the write minute
//                                     its recount holds to), rp (its pages)
//   key "r#<H>#<b>", start page  -> d: the hour's records as recounted from
//                                     the activities (with entries)
//   key "h2#<target>", start hour -> n, m00..m59, s (the hour's distinct-actor
//                                     sketch), w
//   key "d2#<target>", start day  -> h00..h23, w: written when the day closes
//                                     (and an hour again when one is closed
//                                     again)
//   key "T#<H>", "D#<day>", start page -> r: (target, count) records, busiest
//                                     first; page 0 also pages, through, hw
//                                     (encode_held_minutes())
// Buckets of targets in the minutes layout: items per write minute, and
// per open hour.
inline constexpr int kCountBuckets = 64;
// The bucket of a target, from its name or from core::actor_hash() of it.
int count_bucket(std::string_view target);
int count_bucket_of_hash(std::uint64_t actor_hash);
inline constexpr std::string_view kProgressKey = "c#";
inline constexpr std::string_view kDirtyKey = "z#";
inline constexpr std::string_view kWritersKey = "k#";
std::string declaration_key(std::uint64_t writer);
std::string intent_key(std::uint64_t writer);
// The start of an intent item: generation and sequence (below 10^6).
inline constexpr std::int64_t kIntentScale = 1'000'000;
std::string minute_item_key(int bucket);
// The start of the z# item marking (hour, bucket), and back.
std::int64_t dirty_item_start(std::int64_t hour, int bucket);
std::pair<std::int64_t, int> dirty_item_of(std::int64_t start);
std::string minute_sketch_key(int bucket);
inline constexpr std::int64_t kWriteMinuteScale = 100'000'000'000;  // 10^11
// The start of a minute item: write minute, writer (below 10^7) and
// sequence (below 10^4); and the write minute of a start.
std::int64_t minute_item_start(std::int64_t write_minute, std::uint64_t writer,
                               std::uint64_t sequence);
inline std::int64_t write_minute_of(std::int64_t start) { return start / kWriteMinuteScale; }
// The writer of a minute item's start.
inline std::uint64_t writer_of(std::int64_t start) {
  return static_cast<std::uint64_t>(start % kWriteMinuteScale / 10'000);
}
std::string open_hour_key(std::int64_t hour, int bucket);
std::string rebuilt_hour_key(std::int64_t hour, int bucket);
std::string hour_minutes_key(std::string_view target);
std::string day_key(std::string_view target);
std::string hour_rank_key(std::int64_t hour);
std::string day_rank_key(std::int64_t day);

// The write minute each bucket of an hour held to (its o# item's `w`; -1
// where it had none) when a ranked list summed the hour: a reader adds to
// the list only the minute items of later write minutes. A reader who
// read the progress item before a round folded more, and closed and
// ranked the hour again, would otherwise count what was folded twice.
using HeldMinutes = std::array<std::int64_t, kCountBuckets>;
// A ranked list's `hw`: a version byte (1), then per hour, from the
// list's first, a varint mask of the buckets holding any and their write
// minutes, each as a zigzag varint difference from the one before.
std::string encode_held_minutes(std::span<const HeldMinutes> hours);
// A list holds a day's hours at most.
inline constexpr std::size_t kHeldHoursAtMost = 24;
// The hours of an `hw`; false for bytes that are none, or hold more than
// kHeldHoursAtMost hours (nothing is then appended to `out`).
bool decode_held_minutes(std::string_view bytes, std::vector<HeldMinutes>& out);

// An intent's `d`: a varint count, the smallest id, then each next id's
// difference from the one before, as varints. Ids a process assigns come in
// runs (core::next_id()), so most take a byte. Sorts `ids` and drops
// repeats.
void encode_intent_ids(std::vector<std::uint64_t>& ids, std::string& out);
// The ids of an intent's `d`, appended to `out`; false for bytes that are
// none (nothing is then appended).
bool decode_intent_ids(std::string_view bytes, std::vector<std::uint64_t>& out);

// The span of time an item counts, [start, end) in epoch seconds, from its
// key and start; false for an item that counts no time (the meta item).
bool count_item_span(std::string_view key, std::int64_t start, std::int64_t& span_start,
                     std::int64_t& span_end);
// "m00".."m59": the attribute of minute `minute_of_hour`.
std::string minute_attribute(int minute_of_hour);
// "h00".."h23": the attribute of hour `hour_of_day` in a day item (and,
// with 'w', the write minute it holds to: "w00".."w23").
std::string hour_attribute(int hour_of_day, char prefix = 'h');

// Calls visit(minute of the hour, count) for each m00..m59 attribute of a
// count item.
void for_each_minute(const rapidjson::Value& item,
                     const std::function<void(int, std::int64_t)>& visit);
// Calls visit(hour of the day, count, write minute) for each h00..h23 of
// a day item (the write minute -1 where it names none).
void for_each_hour(const rapidjson::Value& item,
                   const std::function<void(int, std::int64_t, std::int64_t)>& visit);

}  // namespace cctv::store::dynamodb

#endif  // CCTV_STORE_DYNAMODB_COUNT_ITEMS_H_
