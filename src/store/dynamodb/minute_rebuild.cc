// MinuteCounts, rebuilding: hours recounted from the activities become
// the hours' base, replacing whatever the minute items said of them.
#include <algorithm>
#include <set>

#include "cctv/error.h"
#include "core/bucket.h"
#include "core/hyperloglog.h"
#include "store/dynamodb/count_items.h"
#include "store/dynamodb/item_codec.h"
#include "store/dynamodb/minute_counts.h"
#include "store/dynamodb/requests.h"

namespace cctv::store::dynamodb {

namespace {

// A recount's pages stay well under DynamoDB's 400 KB item.
constexpr std::size_t kRebuiltPageBytes = 350 * 1024;

// The JSON of a rebuild's item `attrs` counting time up to `end_s`.
std::string recount_item(Attrs attrs, std::int64_t end_s, std::int64_t retention_s) {
  if (retention_s > 0) attrs.emplace_back("expires_at", Attr::n(end_s + retention_s));
  return attrs_json(attrs);
}

}  // namespace

void MinuteCounts::rebuild(const std::string& remote, std::int64_t first_hour,
                           std::int64_t end_hour, const std::function<void(const Visit&)>& scan,
                           std::int64_t retention_s) {
  // The recount, gathered as writers gather, then by (hour, bucket).
  MinuteGathering gathering;
  scan([&](std::string_view target, std::string_view actor, std::int64_t time_us) {
    gathering.add(target, core::actor_hash(target), core::minute_of(time_us),
                  core::HyperLogLog::entry(core::actor_hash(actor)));
  });
  std::map<std::pair<std::int64_t, int>, std::vector<MinuteRecord>> recount;
  {
    std::vector<std::vector<MinuteRecord>> by_bucket = gathering.take(true);
    for (int b = 0; b < kCountBuckets; ++b) {
      for (MinuteRecord& r : by_bucket[static_cast<std::size_t>(b)])
        recount[{core::floor_div(r.minute, 60), b}].push_back(std::move(r));
    }
  }

  // The recount holds every write minute up to this one: minute items of
  // those minutes are not read for these hours any more, and this
  // process's next ones go to later minutes (next_write_minute_).
  const std::int64_t w = now_us_() / 60'000'000;
  {
    std::lock_guard send_lock(send_mu_);
    next_write_minute_ = std::max(next_write_minute_, w + 1);
  }
  engine_.run_conditional("UpdateItem", {progress_mark(remote, w)}, "UpdateItem (counts)");
  const Progress p = read_progress(remote);

  std::vector<std::pair<std::int64_t, int>> keys;
  for (std::int64_t hour = first_hour; hour < end_hour; ++hour) {
    for (int b = 0; b < kCountBuckets; ++b) keys.emplace_back(hour, b);
  }
  const std::map<std::pair<std::int64_t, int>, OpenHour> before = read_open_hours(remote, keys);
  // Hours written to in write minutes not folded yet: their o# items, made
  // now, hold those minutes too.
  std::set<std::pair<std::int64_t, int>> unfolded;
  read_minutes(remote, p.to + 1, std::max(p.last_w, w), -1, [&](std::int64_t, MinuteRecord& r) {
    const std::int64_t hour = core::floor_div(r.minute, 60);
    if (hour >= first_hour && hour < end_hour) unfolded.emplace(hour, count_bucket(r.target));
  });

  // Readers look for hours to be closed again from here on.
  UpdateItemRequest dirty;
  dirty.table = remote;
  dirty.key = {{"key", Attr::s(kProgressKey)}, {"start", Attr::n(0)}};
  dirty.update = {"SET #d = :one", {{"#d", "dirty"}}, {{":one", Attr::n(1)}}};
  engine_.call("UpdateItem", dirty.body());

  std::vector<std::string> pages;    // r#: first, so that no o# names a page not there
  std::vector<std::string> puts;     // o#, marks, closed items of targets gone
  std::vector<std::string> updates;  // day items' hours of targets gone
  std::string empty_sketch;
  core::HyperLogLog::encode_entries({}, empty_sketch);
  for (const auto& key : keys) {
    auto counted = recount.find(key);
    const auto old = before.find(key);
    if (counted == recount.end() && old == before.end() && unfolded.count(key) == 0) continue;
    std::vector<MinuteRecord> records;
    if (counted != recount.end()) records = std::move(counted->second);
    const auto [hour, bucket] = key;
    const std::int64_t hour_end_s = (hour + 1) * 3600;

    // At least one page: an hour the recount found empty says so.
    std::vector<std::span<const MinuteRecord>> parts = split_records(records, kRebuiltPageBytes);
    if (parts.empty()) parts.emplace_back();
    std::int64_t page_count = 0;
    for (const auto part : parts) {
      std::string payload;
      encode_records(part, payload);
      const std::string page = recount_item({{"key", Attr::s(rebuilt_hour_key(hour, bucket))},
                                             {"start", Attr::n(page_count)},
                                             {"d", Attr::b(payload)}},
                                            hour_end_s, retention_s);
      pages.push_back(PutItemRequest{remote, page, {}}.body());
      ++page_count;
    }

    std::map<std::string, std::int64_t> totals;
    for (const MinuteRecord& r : records) totals[r.target] += r.count;
    std::vector<MinuteRecord> total_records;
    for (const auto& [target, n] : totals) total_records.push_back({target, hour * 60, n, {}});
    std::string payload;
    encode_records(total_records, payload);
    const std::string open = recount_item({{"key", Attr::s(open_hour_key(hour, bucket))},
                                           {"start", Attr::n(0)},
                                           {"w", Attr::n(w)},
                                           {"rb", Attr::n(w)},
                                           {"rp", Attr::n(page_count)},
                                           {"t", Attr::b(payload)}},
                                          hour_end_s, retention_s);
    puts.push_back(PutItemRequest{remote, open, {}}.body());

    if ((hour + 1) * 60 <= w) {
      // Ended: closed again by the compactor, from the recount -- also if
      // it was not closed yet when the progress item was read, since a
      // round may close it in turn, from what the o# item held before,
      // while these items are on their way. (An hour that ends later is
      // closed only once sealed, minutes after they land.)
      const std::string mark = attrs_json({{"key", Attr::s(kDirtyKey)},
                                           {"start", Attr::n(dirty_item_start(hour, bucket))},
                                           {"w", Attr::n(w)}});
      puts.push_back(PutItemRequest{remote, mark, {}}.body());
      // Targets the hour counted that the recount does not have: their
      // closed items say nothing, as of the recount.
      if (old == before.end()) continue;
      const std::int64_t day = core::floor_div(hour, 24);
      for (const MinuteRecord& t : old->second.totals) {
        if (totals.count(t.target) != 0) continue;
        const std::string zero = recount_item({{"key", Attr::s(hour_minutes_key(t.target))},
                                               {"start", Attr::n(hour * 3600)},
                                               {"n", Attr::n(0)},
                                               {"s", Attr::b(empty_sketch)},
                                               {"w", Attr::n(w)}},
                                              hour_end_s, retention_s);
        puts.push_back(PutItemRequest{remote, zero, {}}.body());
        if ((day + 1) * 24 > p.closed_to) continue;
        updates.push_back(day_hour_update(remote, t.target, hour, 0, w, retention_s));
      }
    }
  }
  engine_.run_conditional("PutItem", std::move(pages), "PutItem (counts rebuild)");
  engine_.run_conditional("PutItem", std::move(puts), "PutItem (counts rebuild)");
  engine_.run_conditional("UpdateItem", std::move(updates), "UpdateItem (counts rebuild)");
  // Now that its marks are there: a compactor round that read the progress
  // item before this may not have seen them, and must not clear `dirty`.
  dirty.update = {
      "SET #d = :one ADD #v :one", {{"#d", "dirty"}, {"#v", "dv"}}, {{":one", Attr::n(1)}}};
  engine_.call("UpdateItem", dirty.body());
}

}  // namespace cctv::store::dynamodb
