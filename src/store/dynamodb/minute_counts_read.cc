// MinuteCounts, the readers' side: closed hours from their items, open
// hours from the compactor's totals, and the newest write minutes from
// the writers' items -- each write minute counted once.
#include <algorithm>
#include <charconv>

#include "cctv/error.h"
#include "core/bucket.h"
#include "core/busiest.h"
#include "store/dynamodb/bulk_requests.h"
#include "store/dynamodb/count_items.h"
#include "store/dynamodb/json_access.h"
#include "store/dynamodb/minute_counts.h"
#include "store/dynamodb/requests.h"

namespace cctv::store::dynamodb {

namespace {

using core::floor_div;

// Every item of `key` with start in [lo, hi], read consistently.
void query_range(RequestEngine& engine, const std::string& remote, const std::string& key,
                 std::int64_t lo, std::int64_t hi,
                 const std::function<void(const rapidjson::Value&)>& visit) {
  QueryRequest q;
  q.table = remote;
  q.consistent = true;
  q.key_condition = {"#k = :k AND #s BETWEEN :lo AND :hi",
                     {{"#k", "key"}, {"#s", "start"}},
                     {{":k", Attr::s(key)}, {":lo", Attr::n(lo)}, {":hi", Attr::n(hi)}}};
  each_page(engine, q, [&](const rapidjson::Document& doc) {
    for (const auto& item : array_member(doc, "Items")) visit(item);
  });
}

}  // namespace

void MinuteCounts::each_folded(const std::string& remote, const OpenHour& o, int bucket,
                               const std::function<void(MinuteRecord& record)>& visit,
                               bool with_entries, bool consistent) {
  if (o.rebuilt_pages > 0) {
    // The hour as recounted by a rebuild: pages 0 .. rebuilt_pages - 1
    // (pages beyond are left from a longer recount before).
    QueryRequest q;
    q.table = remote;
    q.consistent = consistent;
    q.key_condition = {
        "#k = :k AND #s < :n",
        {{"#k", "key"}, {"#s", "start"}},
        {{":k", Attr::s(rebuilt_hour_key(o.hour, bucket))}, {":n", Attr::n(o.rebuilt_pages)}}};
    std::int64_t pages = 0;
    each_page(engine_, q, [&](const rapidjson::Document& doc) {
      for (const auto& item : array_member(doc, "Items")) {
        std::string bytes;
        std::vector<MinuteRecord> records;
        if (!base64_decode(b_value(item, "d"), bytes) || !decode_records(bytes, records)) {
          throw StoreError("a counts item in DynamoDB (key '" + std::string(s_value(item, "key")) +
                           "') is malformed; `cctv counts rebuild` writes counts anew");
        }
        for (MinuteRecord& r : records) {
          if (!with_entries) r.entries.clear();
          visit(r);
        }
        ++pages;
      }
    });
    if (pages != o.rebuilt_pages) {
      throw StoreError("counts of hour " + std::to_string(o.hour) + " (" + remote +
                       ") miss pages of their rebuild; `cctv counts rebuild` writes them anew");
    }
  }
  if (o.ws.empty()) return;
  const std::set<std::int64_t> ws(o.ws.begin(), o.ws.end());
  read_minutes(
      remote, *ws.begin(), std::min(*ws.rbegin(), o.w), bucket,
      [&](std::int64_t w, MinuteRecord& r) {
        if (ws.count(w) != 0 && w <= o.w) visit(r);
      },
      with_entries, consistent);
}

MinuteCounts::Progress MinuteCounts::read_progress(const std::string& remote) {
  Progress p;
  const GetItemRequest get{remote, {{"key", Attr::s(kProgressKey)}, {"start", Attr::n(0)}}, true};
  std::vector<Outcome> outcomes = engine_.run("GetItem", {get.body()});
  if (!outcomes.front().ok) {
    if (outcomes.front().failure == Failure::kTableMissing) return p;
    throw engine_.error("GetItem (counts)", outcomes.front());
  }
  const rapidjson::Document& doc = outcomes.front().answer;
  auto item = doc.FindMember("Item");
  if (item == doc.MemberEnd()) return p;  // nothing counted yet
  learn_fences(remote, item->value);
  p.to = n_value(item->value, "to");
  p.closed_to = n_value(item->value, "closed_to");
  // Readers look at write minutes up to the newest any writer used.
  p.last_w = has_attribute(item->value, "last_w") ? n_value(item->value, "last_w") : p.to;
  p.late_w = has_attribute(item->value, "late_w") ? n_value(item->value, "late_w") : -1;
  p.dirty = !has_attribute(item->value, "dirty") || n_value(item->value, "dirty") != 0;
  return p;
}

std::set<std::pair<std::int64_t, int>> MinuteCounts::read_dirty(const std::string& remote,
                                                                std::int64_t h0, std::int64_t h1) {
  std::set<std::pair<std::int64_t, int>> out;
  query_range(engine_, remote, std::string(kDirtyKey), dirty_item_start(h0, 0),
              dirty_item_start(h1 + 1, 0) - 1, [&](const rapidjson::Value& item) {
                out.insert(dirty_item_of(n_value(item, "start")));
              });
  return out;
}

std::set<std::int64_t> MinuteCounts::dirty_hours(const std::string& remote, const Progress& p,
                                                 std::int64_t h0, std::int64_t h1, int bucket) {
  std::set<std::int64_t> out;
  if (!p.dirty || h0 > h1) return out;
  for (const auto& [hour, bucket_of] : read_dirty(remote, h0, h1)) {
    if (bucket_of == bucket) out.insert(hour);
  }
  return out;
}

std::vector<std::int64_t> MinuteCounts::counts(const std::string& remote, std::string_view target,
                                               Bucket bucket, std::int64_t first, std::size_t n) {
  std::vector<std::int64_t> out(n, 0);
  if (n == 0) return out;
  const Progress p = read_progress(remote);
  if (p.to < 0 && p.last_w < 0) return out;
  const std::int64_t width = core::bucket_width_us(bucket) / 60'000'000;  // minutes
  const std::int64_t m0 = first * width;
  const std::int64_t m1 = (first + static_cast<std::int64_t>(n)) * width;  // exclusive
  const std::int64_t h0 = floor_div(m0, 60);
  const std::int64_t h1 = floor_div(m1 - 1, 60);
  const int b = count_bucket(target);
  auto add = [&](std::int64_t minute, std::int64_t count) {
    if (minute < m0 || minute >= m1) return;
    out[static_cast<std::size_t>(floor_div(minute, width) - first)] += count;
  };
  // The write minute each hour's source holds to: records of later write
  // minutes are added from the writers' items.
  std::map<std::int64_t, std::int64_t> held;

  // Closed hours, but those folded into since: their totals are the
  // compactor's until it closes them again.
  const std::int64_t closed_end = std::min(h1, p.closed_to - 1);
  const std::set<std::int64_t> dirty = dirty_hours(remote, p, h0, closed_end, b);
  // Hours of closed days come from the day items (but minutes, which only
  // the hour items hold); the closed hours of a day not closed yet from
  // the hour items.
  const std::int64_t days_end = bucket == Bucket::kMinute
                                    ? std::min(h0, closed_end + 1)
                                    : std::min(floor_div(p.closed_to, 24) * 24, closed_end + 1);
  if (std::max(h0, days_end) <= closed_end) {
    query_range(engine_, remote, hour_minutes_key(target), std::max(h0, days_end) * 3600,
                closed_end * 3600, [&](const rapidjson::Value& item) {
                  const std::int64_t hour = floor_div(n_value(item, "start"), 3600);
                  if (dirty.count(hour) != 0) return;
                  held[hour] = n_value(item, "w");
                  if (bucket != Bucket::kMinute) {
                    add(hour * 60, n_value(item, "n"));
                    return;
                  }
                  for_each_minute(item, [&](int minute, std::int64_t count) {
                    add(hour * 60 + minute, count);
                  });
                });
  }
  if (h0 < days_end) {
    query_range(engine_, remote, day_key(target), floor_div(h0, 24) * 86400,
                floor_div(days_end - 1, 24) * 86400, [&](const rapidjson::Value& item) {
                  const std::int64_t day = floor_div(n_value(item, "start"), 86400);
                  for_each_hour(item, [&](int h, std::int64_t count, std::int64_t w) {
                    const std::int64_t hour = day * 24 + h;
                    if (hour < h0 || hour >= days_end || dirty.count(hour) != 0) return;
                    held[hour] = w;
                    add(hour * 60, count);
                  });
                });
  }
  // Open hours: the compactor's totals, or, by the minute, the items that
  // added to them.
  std::vector<std::pair<std::int64_t, int>> open_keys;
  for (std::int64_t h : dirty) open_keys.emplace_back(h, b);
  for (std::int64_t h = std::max(h0, p.closed_to); h <= h1; ++h) open_keys.emplace_back(h, b);
  for (const auto& [key, o] : read_open_hours(remote, open_keys)) {
    held[key.first] = o.w;
    if (bucket != Bucket::kMinute) {
      for (const MinuteRecord& t : o.totals) {
        if (t.target == target) add(key.first * 60, t.count);
      }
      continue;
    }
    const std::int64_t hour = key.first;
    each_folded(remote, o, b, [&](MinuteRecord& r) {
      if (r.target == target && floor_div(r.minute, 60) == hour) add(r.minute, r.count);
    });
  }
  // Write minutes not folded yet.
  read_minutes(remote, p.to + 1, p.last_w, b, [&](std::int64_t w, MinuteRecord& r) {
    if (r.target != target) return;
    const auto it = held.find(floor_div(r.minute, 60));
    if (it == held.end() || w > it->second) add(r.minute, r.count);
  });
  return out;
}

std::vector<core::HyperLogLog> MinuteCounts::sketches(const std::string& remote,
                                                      std::string_view target, Bucket bucket,
                                                      std::int64_t first, std::size_t n) {
  std::vector<core::HyperLogLog> out(n);
  if (n == 0) return out;
  const Progress p = read_progress(remote);
  if (p.to < 0 && p.last_w < 0) return out;
  const std::int64_t width = core::bucket_width_us(bucket) / 60'000'000;
  const std::int64_t m0 = first * width;
  const std::int64_t m1 = (first + static_cast<std::int64_t>(n)) * width;
  const std::int64_t h0 = floor_div(m0, 60);
  const std::int64_t h1 = floor_div(m1 - 1, 60);
  const int b = count_bucket(target);
  auto slot = [&](std::int64_t minute) -> core::HyperLogLog* {
    if (minute < m0 || minute >= m1) return nullptr;
    return &out[static_cast<std::size_t>(floor_div(minute, width) - first)];
  };
  std::map<std::int64_t, std::int64_t> held;
  // Closed hours' sketches, unless minutes are asked for: those come from
  // the writers' items, as for open hours (and hours folded into since
  // they closed).
  const std::int64_t closed_end = std::min(h1, p.closed_to - 1);
  const std::set<std::int64_t> dirty = dirty_hours(remote, p, h0, closed_end, b);
  if (bucket != Bucket::kMinute && h0 <= closed_end) {
    query_range(engine_, remote, hour_minutes_key(target), h0 * 3600, closed_end * 3600,
                [&](const rapidjson::Value& item) {
                  const std::int64_t hour = floor_div(n_value(item, "start"), 3600);
                  if (dirty.count(hour) != 0) return;
                  core::HyperLogLog* s = slot(hour * 60);
                  if (s == nullptr) return;
                  held[hour] = n_value(item, "w");
                  std::string bytes;
                  if (!base64_decode(b_value(item, "s"), bytes) || !s->merge_encoded(bytes)) {
                    throw StoreError("a distinct-actor sketch in DynamoDB (key '" +
                                     std::string(s_value(item, "key")) +
                                     "') is malformed; `cctv counts rebuild` writes it anew");
                  }
                });
  }
  std::vector<std::pair<std::int64_t, int>> keys;
  for (std::int64_t h : dirty) {
    if (bucket != Bucket::kMinute) keys.emplace_back(h, b);
  }
  for (std::int64_t h = bucket == Bucket::kMinute ? h0 : std::max(h0, p.closed_to); h <= h1; ++h) {
    keys.emplace_back(h, b);
  }
  for (const auto& [key, o] : read_open_hours(remote, keys)) {
    if (held.count(key.first) != 0) continue;
    held[key.first] = o.w;
    const std::int64_t hour = key.first;
    each_folded(
        remote, o, b,
        [&](MinuteRecord& r) {
          if (r.target != target || floor_div(r.minute, 60) != hour) return;
          if (core::HyperLogLog* s = slot(r.minute)) {
            for (std::uint32_t e : r.entries) s->add_entry(e);
          }
        },
        true);
  }
  read_minutes(
      remote, p.to + 1, p.last_w, b,
      [&](std::int64_t w, MinuteRecord& r) {
        if (r.target != target) return;
        const auto it = held.find(floor_div(r.minute, 60));
        if (it != held.end() && w <= it->second) return;
        if (core::HyperLogLog* s = slot(r.minute)) {
          for (std::uint32_t e : r.entries) s->add_entry(e);
        }
      },
      true);
  return out;
}

std::vector<TargetCount> MinuteCounts::top_targets(const std::string& remote,
                                                   std::int64_t from_minute, std::int64_t to_minute,
                                                   std::size_t limit) {
  std::vector<TargetCount> out;
  if (from_minute >= to_minute || limit == 0) return out;
  const Progress p = read_progress(remote);
  if (p.to < 0 && p.last_w < 0) return out;
  const std::int64_t h0 = floor_div(from_minute, 60);
  const std::int64_t h1 = floor_div(to_minute - 1, 60);
  // A closed day, whole, closed again since anything was added to it, and
  // nothing recorded late waits to be folded: its ranked list is the
  // answer.
  if (from_minute % 1440 == 0 && to_minute == from_minute + 1440 && h1 < p.closed_to &&
      p.late_w <= p.to && (!p.dirty || read_dirty(remote, h0, h1).empty())) {
    // The whole table ("") is in the list, first.
    for (const MinuteRecord& r : read_ranked(remote, day_rank_key(from_minute / 1440),
                                             limit == SIZE_MAX ? SIZE_MAX : limit + 1, false)) {
      if (!r.target.empty() && out.size() < limit) out.push_back(TargetCount{r.target, r.count});
    }
    return out;
  }
  std::map<std::string, std::int64_t> totals;
  // Hour -> the write minute each bucket's source holds to (-1: none).
  std::map<std::int64_t, HeldMinutes> held;
  std::vector<std::pair<std::int64_t, int>> open_keys;
  std::set<std::int64_t> dirty_hours;
  if (h0 < p.closed_to && p.dirty) {
    for (const auto& [hour, bucket_of] : read_dirty(remote, h0, std::min(h1, p.closed_to - 1))) {
      dirty_hours.insert(hour);
    }
  }
  // Top targets read eventually consistently: a list a second behind the
  // last write is close enough, and costs half.
  constexpr bool kConsistent = false;
  // Whole days, or a day's closed hours from its start (today so far), are
  // the day's list; other closed hours the hour's.
  std::set<std::int64_t> covered;
  for (std::int64_t day = floor_div(h0, 24); day <= floor_div(h1, 24); ++day) {
    if (day * 1440 < from_minute || day * 24 >= p.closed_to) continue;
    RankedHead head;
    std::vector<MinuteRecord> ranked =
        read_ranked(remote, day_rank_key(day), SIZE_MAX, kConsistent, &head);
    const std::int64_t through = head.through;
    if (through < day * 24 || (through + 1) * 60 > to_minute) continue;
    // A list that does not say what it holds is read hour by hour.
    if (!head.held || std::ssize(*head.held) != through - day * 24 + 1) continue;
    const auto first_dirty = dirty_hours.lower_bound(day * 24);
    if (first_dirty != dirty_hours.end() && *first_dirty <= through) continue;
    for (const MinuteRecord& r : ranked) totals[r.target] += r.count;
    for (std::int64_t hour = day * 24; hour <= through; ++hour) {
      covered.insert(hour);
      held[hour] = (*head.held)[static_cast<std::size_t>(hour - day * 24)];
    }
  }
  for (std::int64_t hour = h0; hour <= h1; ++hour) {
    if (covered.count(hour) != 0) continue;
    const bool whole = hour * 60 >= from_minute && (hour + 1) * 60 <= to_minute;
    if (whole && hour < p.closed_to && dirty_hours.count(hour) == 0) {
      RankedHead head;
      std::vector<MinuteRecord> ranked =
          read_ranked(remote, hour_rank_key(hour), SIZE_MAX, kConsistent, &head);
      if (head.held && head.held->size() == 1) {
        for (const MinuteRecord& r : ranked) totals[r.target] += r.count;
        held[hour] = head.held->front();
        continue;
      }
    }
    for (int b = 0; b < kCountBuckets; ++b) open_keys.emplace_back(hour, b);
  }
  // Open hours, and the edges of the range: from the totals when whole,
  // else minute by minute from the items that added to them.
  // An hour the range covers from its start to now is whole: what lies
  // after now was recorded with a clock ahead of this one's.
  const std::int64_t now_minute = floor_div(now_us_(), 60'000'000);
  for (const auto& [key, o] : read_open_hours(remote, open_keys, kConsistent)) {
    const std::int64_t hour = key.first;
    const auto [of_hour, fresh] = held.try_emplace(hour);
    if (fresh) of_hour->second.fill(-1);
    of_hour->second[static_cast<std::size_t>(key.second)] = o.w;
    if (hour * 60 >= from_minute && ((hour + 1) * 60 <= to_minute || to_minute > now_minute)) {
      for (const MinuteRecord& t : o.totals) totals[t.target] += t.count;
      continue;
    }
    each_folded(
        remote, o, key.second,
        [&](MinuteRecord& r) {
          if (floor_div(r.minute, 60) == hour && r.minute >= from_minute && r.minute < to_minute)
            totals[r.target] += r.count;
        },
        false, kConsistent);
  }
  // The newest write minutes.
  read_minutes(
      remote, p.to + 1, p.last_w, -1,
      [&](std::int64_t w, MinuteRecord& r) {
        if (r.minute < from_minute || r.minute >= to_minute) return;
        const auto it = held.find(floor_div(r.minute, 60));
        if (it == held.end() || w > it->second[static_cast<std::size_t>(count_bucket(r.target))])
          totals[r.target] += r.count;
      },
      false, kConsistent);
  totals.erase("");
  for (auto& [target, n] : totals) {
    if (n > 0) out.push_back(TargetCount{target, n});
  }
  core::keep_busiest(out, limit);
  return out;
}

}  // namespace cctv::store::dynamodb
