// The DynamoDB store's reads: views by target and by actor, scans, and
// counts.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <map>
#include <thread>
#include <unordered_map>

#include "cctv/error.h"
#include "cctv/table.h"
#include "core/bucket.h"
#include "core/busiest.h"
#include "core/coding.h"
#include "core/hyperloglog.h"
#include "core/validate.h"
#include "store/dynamodb/bulk_requests.h"
#include "store/dynamodb/count_items.h"
#include "store/dynamodb/dynamo_store.h"
#include "store/dynamodb/item_codec.h"
#include "store/dynamodb/json_access.h"
#include "store/dynamodb/requests.h"
#include "store/dynamodb/sort_key.h"

namespace cctv::store::dynamodb {

namespace {

// The position after an activity, as a cursor carries it: its sort key, and
// for the actor index also its target (the table key DynamoDB needs to
// resume a GSI query).
std::string make_position(const std::string& sort_key, const std::string& target, Index index) {
  std::string position;
  core::append_length_prefixed(position, sort_key);
  if (index == Index::kActor) position += target;
  return position;
}

// A Scan of `table` for activities whose sort keys lie in [lower, upper]:
// consistent, so that it sees what flush() wrote.
ScanRequest scan_request(const std::string& table, const std::string& lower,
                         const std::string& upper) {
  ScanRequest scan;
  scan.table = table;
  scan.consistent = true;
  scan.filter = {"#ts BETWEEN :lo AND :hi",
                 {{"#ts", "timestamp"}},
                 {{":lo", Attr::s(lower)}, {":hi", Attr::s(upper)}}};
  return scan;
}

// ExclusiveStartKey for `position`.
std::string start_key(std::string_view position, Index index, std::string_view key) {
  std::string_view sort_key;
  if (!core::read_length_prefixed(position, sort_key) || !parse_sort_key(sort_key, "") ||
      (index == Index::kTarget) != position.empty()) {
    throw InvalidArgument("cursor", "was made by another kind of store or query");
  }
  Attrs start{{"timestamp", Attr::s(sort_key)}};
  if (index == Index::kActor) {
    start.emplace_back("actor", Attr::s(key));
    start.emplace_back("target", Attr::s(position));
  } else {
    start.emplace_back("target", Attr::s(key));
  }
  return attrs_json(start);
}

}  // namespace

QueryResult DynamoStore::query(const Query& q) {
  const Table t = live_table(q.table);
  if (q.index == Index::kActor && !t.has_actor_index) {
    // A property of the table, not a failing store: retrying cannot help.
    throw InvalidArgument(
        "actor", "DynamoDB table '" + t.remote_name +
                     "' has no actor-index (tables made by the 2014 "
                     "gem have none), so it cannot be viewed by actor; add the index with: " +
                     add_index_command(t.remote_name));
  }
  QueryResult result;
  // Expired activities DynamoDB's TTL has not deleted yet stay hidden.
  const std::string lower = lower_bound_key(std::max(q.from_us, horizon_us(t.options.retention)));
  const std::string upper = upper_bound_key(q.to_us);
  if (lower > upper) return result;

  const std::size_t want = q.limit + 1;  // one more tells whether a page follows
  std::vector<std::string> sort_keys;
  QueryRequest request;
  request.table = t.remote_name;
  if (q.index == Index::kActor) {
    request.index = kActorIndex;
  } else {
    request.consistent = true;  // views see what flush() wrote
  }
  request.key_condition = {
      "#k = :k AND #ts BETWEEN :lo AND :hi",
      {{"#k", q.index == Index::kActor ? "actor" : "target"}, {"#ts", "timestamp"}},
      {{":k", Attr::s(q.key)}, {":lo", Attr::s(lower)}, {":hi", Attr::s(upper)}}};
  request.forward = q.order == Order::kOldestFirst;
  std::string start = q.after.empty() ? std::string() : start_key(q.after, q.index, q.key);
  while (result.activities.size() < want) {
    request.limit = want - result.activities.size();
    request.start_after = start;
    const rapidjson::Document doc = call_on_table("Query", request.body(), t.name);
    for (const auto& item : array_member(doc, "Items")) {
      result.activities.push_back(read_item(item));
      sort_keys.emplace_back(s_value(item, "timestamp"));
    }
    auto lek = doc.FindMember("LastEvaluatedKey");
    if (lek == doc.MemberEnd()) break;
    start = json_text(lek->value);
  }
  if (result.activities.size() > q.limit) {
    result.activities.resize(q.limit);
    const Activity& last = result.activities.back();
    result.next_position = make_position(sort_keys[q.limit - 1], last.target, q.index);
  }
  return result;
}

void DynamoStore::scan(TableHandle handle, std::int64_t from_us, std::int64_t to_us,
                       const std::function<void(const Activity&)>& visit) {
  const Table t = live_table(handle);
  const std::string lower = lower_bound_key(std::max(from_us, horizon_us(t.options.retention)));
  const std::string upper = upper_bound_key(to_us);
  if (lower > upper) return;
  try {
    ScanRequest scan = scan_request(t.remote_name, lower, upper);
    each_page(engine_, scan, [&](const rapidjson::Document& doc) {
      for (const auto& item : array_member(doc, "Items")) visit(read_item(item));
    });
  } catch (const RequestError& e) {
    if (e.type() == "ResourceNotFoundException") not_found(t.name);
    throw;
  }
}

QueryResult DynamoStore::scan_page(TableHandle handle, std::int64_t from_us, std::int64_t to_us,
                                   std::string_view after, std::size_t limit) {
  // A position is the base table's key of the last item read (which the
  // filter may have dropped): its sort key, length-prefixed, then its target.
  std::string_view sort_key;
  std::string_view target = after;
  if (!after.empty() && (!core::read_length_prefixed(target, sort_key) ||
                         !parse_sort_key(sort_key, "") || target.empty())) {
    throw InvalidArgument("cursor", "was made by another kind of store or query");
  }
  const Table t = live_table(handle);
  QueryResult result;
  const std::string lower = lower_bound_key(std::max(from_us, horizon_us(t.options.retention)));
  const std::string upper = upper_bound_key(to_us);
  if (lower > upper) return result;
  ScanRequest scan = scan_request(t.remote_name, lower, upper);
  // Limit counts the items read before the filter: a page may come back
  // short, or empty, with more to read.
  scan.limit = limit;
  const std::string start =
      after.empty() ? std::string()
                    : attrs_json({{"target", Attr::s(target)}, {"timestamp", Attr::s(sort_key)}});
  scan.start_after = start;
  const rapidjson::Document doc = call_on_table("Scan", scan.body(), t.name);
  for (const auto& item : array_member(doc, "Items")) result.activities.push_back(read_item(item));
  const auto lek = doc.FindMember("LastEvaluatedKey");
  if (lek != doc.MemberEnd() && lek->value.IsObject()) {
    const std::string last_sort_key(s_value(lek->value, "timestamp"));
    const std::string last_target(s_value(lek->value, "target"));
    core::append_length_prefixed(result.next_position, last_sort_key);
    result.next_position += last_target;
  }
  return result;
}

std::vector<std::int64_t> DynamoStore::counts(TableHandle handle, std::string_view target,
                                              Bucket bucket, std::int64_t first, std::size_t n) {
  const Table t = live_table(handle);
  check_counting(t);
  // Each layout holds only the hours on its side of the table's marker,
  // so a range across it is the sum of both.
  const Sides sides = sides_of(t, bucket, first, n);
  std::vector<std::int64_t> out(n, 0);
  if (sides.per_target) out = counts_.counts(counts_target(t).remote, target, bucket, first, n);
  if (sides.by_minute) {
    const std::vector<std::int64_t> by_minute =
        minute_counts_->counts(counts_target(t).remote, target, bucket, first, n);
    for (std::size_t i = 0; i < n; ++i) out[i] += by_minute[i];
  }
  // Minutes and hours live in hour items, which expire whole.
  core::clear_buckets_before(
      out, first,
      core::first_bucket_kept(bucket, core::kHourUs, horizon_us(t.options.counts_retention)));
  return out;
}

std::vector<core::HyperLogLog> DynamoStore::sketches(TableHandle handle, std::string_view target,
                                                     Bucket bucket, std::int64_t first,
                                                     std::size_t n) {
  const Table t = live_table(handle);
  check_counting(t);
  const Sides sides = sides_of(t, bucket, first, n);
  std::vector<core::HyperLogLog> out(n);
  if (sides.per_target) out = counts_.sketches(counts_target(t).remote, target, bucket, first, n);
  if (sides.by_minute) {
    const std::vector<core::HyperLogLog> by_minute =
        minute_counts_->sketches(counts_target(t).remote, target, bucket, first, n);
    for (std::size_t i = 0; i < n; ++i) out[i].merge(by_minute[i]);
  }
  // A sketch item holds one bucket (a day: the union of its hours' items).
  core::clear_buckets_before(out, first,
                             core::first_bucket_kept(bucket, core::bucket_width_us(bucket),
                                                     horizon_us(t.options.counts_retention)));
  return out;
}

std::vector<TargetCount> DynamoStore::top_targets(TableHandle handle, std::int64_t from_minute,
                                                  std::int64_t to_minute, std::size_t limit) {
  const Table t = live_table(handle);
  check_counting(t);
  from_minute =
      std::max(from_minute, core::first_bucket_kept(Bucket::kMinute, core::kHourUs,
                                                    horizon_us(t.options.counts_retention)));
  const std::int64_t split = t.minutes_from * 60;
  if (from_minute >= split) {
    return minute_counts_->top_targets(counts_target(t).remote, from_minute, to_minute, limit);
  }
  if (to_minute <= split) {
    return counts_.top_targets(counts_target(t).remote, from_minute, to_minute, limit);
  }
  // Across the marker: every target of both sides, summed.
  std::map<std::string, std::int64_t> totals;
  for (const TargetCount& c :
       counts_.top_targets(counts_target(t).remote, from_minute, split, SIZE_MAX)) {
    totals[c.target] += c.count;
  }
  for (const TargetCount& c :
       minute_counts_->top_targets(counts_target(t).remote, split, to_minute, SIZE_MAX)) {
    totals[c.target] += c.count;
  }
  std::vector<TargetCount> out;
  out.reserve(totals.size());
  for (const auto& [target, n] : totals) out.push_back(TargetCount{target, n});
  core::keep_busiest(out, limit);
  return out;
}

void DynamoStore::rebuild_counts(TableHandle handle, std::int64_t from_us, std::int64_t to_us) {
  check_writable("rebuild counts");
  const Table t = live_table(handle);
  check_counting(t);
  // Each layout recounts the hours on its side of the table's marker.
  const std::int64_t split_us = t.minutes_from * core::kHourUs;
  if (to_us > split_us) rebuild_minute_counts(handle, t, std::max(from_us, split_us), to_us);
  if (from_us >= split_us) return;
  // Alone: no batch of this store is written (and counted) meanwhile.
  std::unique_lock rebuilding(rebuild_mu_);
  const CountsTarget where = counts_target(t);
  counts_.flush([this](std::uint32_t h) { return counts_target(table(h)); }, true);
  const std::int64_t first_day = core::floor_div(from_us, core::kDayUs);
  const std::int64_t end_day = core::floor_div(to_us - 1, core::kDayUs) + 1;
  counts_.erase_days(where.remote, first_day, end_day);
  core::CountAggregator aggregator;
  std::string selected;
  std::size_t gathered = 0;
  scan(handle, first_day * core::kDayUs, std::min(end_day * core::kDayUs, split_us),
       [&](const Activity& a) {
         if (a.target != selected) {
           aggregator.select(a.target);
           selected = a.target;
         }
         const std::int64_t time_us = a.time.time_since_epoch().count();
         aggregator.add(core::minute_of(time_us),
                        core::HyperLogLog::entry(core::actor_hash(a.actor)));
         // Written in parts, so a large table does not gather in memory whole.
         if (++gathered % 200'000 == 0) {
           counts_.write_now(aggregator, where);
           selected.clear();
         }
       });
  counts_.write_now(aggregator, where);
}

void DynamoStore::rebuild_minute_counts(TableHandle handle, const Table& t, std::int64_t from_us,
                                        std::int64_t to_us) {
  std::unique_lock rebuilding(rebuild_mu_);
  flush_counts(true);
  const std::int64_t first_day = core::floor_div(from_us, core::kDayUs);
  const std::int64_t end_day = core::floor_div(to_us - 1, core::kDayUs) + 1;
  // Whole days, but not the hours before the table's marker.
  const std::int64_t first_hour = std::max(first_day * 24, t.minutes_from);
  minute_counts_->rebuild(
      counts_target(t).remote, first_hour, end_day * 24,
      [&](const MinuteCounts::Visit& visit) {
        scan(handle, first_hour * core::kHourUs, end_day * core::kDayUs, [&](const Activity& a) {
          visit(a.target, a.actor, a.time.time_since_epoch().count());
        });
      },
      t.options.counts_retention.count());
}

}  // namespace cctv::store::dynamodb
