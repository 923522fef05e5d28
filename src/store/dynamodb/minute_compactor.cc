// MinuteCounts, the compactor: the lease, folding sealed write minutes
// into the open hours' totals, and closing hours into per-target items and
// ranked lists.
#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <thread>

#include "cctv/error.h"
#include "core/bucket.h"
#include "store/dynamodb/bulk_requests.h"
#include "store/dynamodb/count_items.h"
#include "store/dynamodb/item_codec.h"
#include "store/dynamodb/json_access.h"
#include "store/dynamodb/minute_counts.h"
#include "store/dynamodb/requests.h"

namespace cctv::store::dynamodb {

namespace {

constexpr std::int64_t kLeaseSeconds = 30;
// Work per round, so that a round ends and renews its lease in time.
constexpr int kFoldsPerRound = 30;
constexpr int kClosesPerRound = 6;
constexpr std::size_t kDirtyPerRound = 64;
// Entries of a ranked page: about 6 KB, two read units.
constexpr std::size_t kRankPage = 200;
constexpr std::size_t kOpenHoursPerBatchGet = 100;

// Conditions that keep a compactor that lost its lease (or a retry of an
// old write) from putting back less than is there: an item holding write
// minutes up to `w` replaces one holding fewer (or, `or_equal`, as many).
Expression holds_less_than(std::int64_t w, bool or_equal = false,
                           std::string_view attribute = "w") {
  return {std::string("attribute_not_exists(#w) OR #w ") + (or_equal ? "<=" : "<") + " :w",
          {{"#w", std::string(attribute)}},
          {{":w", Attr::n(w)}}};
}

Attrs progress_key() { return {{"key", Attr::s(kProgressKey)}, {"start", Attr::n(0)}}; }

std::int64_t expiry_after(std::int64_t end_s, std::int64_t retention_s) {
  return retention_s > 0 ? end_s + retention_s : 0;
}

// Whether counts of time ending at `end_s` are past their retention at
// `now_s`.
bool expired_by(std::int64_t end_s, std::int64_t retention_s, std::int64_t now_s) {
  const std::int64_t expires = expiry_after(end_s, retention_s);
  return expires > 0 && expires <= now_s;
}

// Whether every count of `hour` is past its retention at `now_s` -- its
// day's too, which outlive it: they expire, and no reader (by the minute,
// hour or day) looks there any more.
bool past_retention(std::int64_t hour, std::int64_t retention_s, std::int64_t now_s) {
  return expired_by((core::floor_div(hour, 24) + 1) * 86'400, retention_s, now_s);
}

// `attrs` with expires_at when it expires.
Attrs expiring(Attrs attrs, std::int64_t expires_at) {
  if (expires_at > 0) attrs.emplace_back("expires_at", Attr::n(expires_at));
  return attrs;
}

[[noreturn]] void malformed_item(std::string_view what, std::string_view key) {
  throw StoreError("a counts item in DynamoDB (" + std::string(what) + ", key '" +
                   std::string(key) + "') is malformed; `cctv counts rebuild` writes counts anew");
}

std::vector<MinuteRecord> records_of(const rapidjson::Value& item, const char* attribute) {
  std::string bytes;
  std::vector<MinuteRecord> records;
  if (!base64_decode(b_value(item, attribute), bytes) || !decode_records(bytes, records)) {
    malformed_item(attribute, s_value(item, "key"));
  }
  return records;
}

// The PutItem of open hour `key` (hour, bucket) holding what `o` holds
// and `adds` (target -> count) of write minute `write_minute`.
std::string open_hour_body(const std::string& remote, std::pair<std::int64_t, int> key,
                           const OpenHour& o, const std::map<std::string, std::int64_t>& adds,
                           std::int64_t write_minute, std::int64_t expires_at) {
  std::map<std::string, std::int64_t> totals;
  for (const MinuteRecord& t : o.totals) totals[t.target] += t.count;
  for (const auto& [target, n] : adds) totals[target] += n;
  std::vector<MinuteRecord> records;
  records.reserve(totals.size());
  for (auto& [target, n] : totals) records.push_back(MinuteRecord{target, key.first * 60, n, {}});
  std::string payload;
  encode_records(records, payload);
  std::vector<std::int64_t> ws = o.ws;
  ws.push_back(write_minute);
  Attrs item = {{"key", Attr::s(open_hour_key(key.first, key.second))},
                {"start", Attr::n(0)},
                {"w", Attr::n(write_minute)},
                {"ws", Attr::ns(std::move(ws))},
                {"t", Attr::b(payload)}};
  if (o.closed_w >= 0) item.emplace_back("cw", Attr::n(o.closed_w));
  if (o.rebuilt_w >= 0) {
    item.emplace_back("rb", Attr::n(o.rebuilt_w));
    item.emplace_back("rp", Attr::n(o.rebuilt_pages));
  }
  const std::string json = attrs_json(expiring(item, expires_at));
  PutItemRequest put{remote, json, {}};
  put.condition = holds_less_than(write_minute);
  return put.body();
}

}  // namespace

std::optional<MinuteCounts::Progress> MinuteCounts::take_lease(const std::string& remote) {
  const std::int64_t now_s = now_us_() / 1'000'000;
  UpdateItemRequest lease;
  lease.table = remote;
  lease.key = progress_key();
  lease.update = {"SET #h = :me, #u = :until",
                  {{"#h", "holder"}, {"#u", "until"}},
                  {{":me", Attr::s(lease_holder_)}, {":until", Attr::n(now_s + kLeaseSeconds)}}};
  // Only where a writer has started counting, and nobody else holds it.
  lease.condition = {"attribute_exists(#t) AND (attribute_not_exists(#h) OR #h = :me OR #u < :now)",
                     {{"#t", "to"}, {"#h", "holder"}, {"#u", "until"}},
                     {{":me", Attr::s(lease_holder_)}, {":now", Attr::n(now_s)}}};
  lease.return_new = true;
  const std::vector<Outcome> outcomes = engine_.run("UpdateItem", {lease.body()});
  const Outcome& o = outcomes.front();
  if (!o.ok) {
    if (o.failure == Failure::kTableMissing) return Progress{};
    if (o.failure != Failure::kConditionFailed) throw engine_.error("UpdateItem (counts lease)", o);
    // Another process holds the lease -- or nothing is counted by the
    // minute yet, and there is nothing to do.
    return read_progress(remote).to < 0 ? std::optional<Progress>(Progress{}) : std::nullopt;
  }
  const rapidjson::Value& item = object_member(o.answer, "Attributes");
  learn_fences(remote, item);
  Progress p;
  p.to = n_value(item, "to");
  p.closed_to = n_value(item, "closed_to");
  p.dirty = !has_attribute(item, "dirty") || n_value(item, "dirty") != 0;
  p.dirty_version = has_attribute(item, "dv") ? n_value(item, "dv") : 0;
  return p;
}

bool MinuteCounts::save_progress(const std::string& remote, const Progress& progress) {
  const std::int64_t now_s = now_us_() / 1'000'000;
  UpdateItemRequest save;
  save.table = remote;
  save.key = progress_key();
  save.update = {"SET #t = :t, #c = :c, #u = :until",
                 {{"#t", "to"}, {"#c", "closed_to"}, {"#u", "until"}},
                 {{":t", Attr::n(progress.to)},
                  {":c", Attr::n(progress.closed_to)},
                  {":until", Attr::n(now_s + kLeaseSeconds)}}};
  if (progress.dirty) {
    save.update.text += ", #d = :d";
    save.update.names.emplace_back("#d", "dirty");
    save.update.values.emplace_back(":d", Attr::n(1));
  }
  // A compactor that lost its lease stops here: what it wrote since is
  // written again, idempotently, by the next.
  save.condition = {"#h = :me", {{"#h", "holder"}}, {{":me", Attr::s(lease_holder_)}}};
  const std::vector<Outcome> outcomes = engine_.run("UpdateItem", {save.body()});
  const Outcome& o = outcomes.front();
  if (!o.ok && o.failure != Failure::kConditionFailed)
    throw engine_.error("UpdateItem (counts progress)", o);
  return o.ok;
}

void MinuteCounts::clear_dirty(const std::string& remote, const Progress& progress) {
  UpdateItemRequest clear;
  clear.table = remote;
  clear.key = progress_key();
  clear.update = {"SET #d = :zero", {{"#d", "dirty"}}, {{":zero", Attr::n(0)}}};
  clear.condition = {"#h = :me AND (attribute_not_exists(#v) OR #v = :v)",
                     {{"#h", "holder"}, {"#v", "dv"}},
                     {{":me", Attr::s(lease_holder_)}, {":v", Attr::n(progress.dirty_version)}}};
  // A failed condition leaves `dirty` set: the next round looks again.
  engine_.run_conditional("UpdateItem", {clear.body()}, "UpdateItem (counts progress)");
}

void MinuteCounts::on_round_stage(std::function<void(RoundStage)> hook) {
  std::lock_guard lock(hook_mu_);
  round_stage_hook_ = std::move(hook);
}

void MinuteCounts::reach(RoundStage stage) {
  std::function<void(RoundStage)> hook;
  {
    std::lock_guard lock(hook_mu_);
    hook = round_stage_hook_;
  }
  if (hook) hook(stage);
}

void MinuteCounts::read_minutes(
    const std::string& remote, std::int64_t first_w, std::int64_t last_w, int bucket,
    const std::function<void(std::int64_t w, MinuteRecord& record)>& visit, bool with_entries,
    bool consistent) {
  if (first_w > last_w) return;
  std::vector<std::string> bodies;
  std::vector<QueryRequest> queries;
  for (const bool entries : {false, true}) {
    if (entries && !with_entries) break;
    for (int b = bucket < 0 ? 0 : bucket; b < (bucket < 0 ? kCountBuckets : bucket + 1); ++b) {
      QueryRequest q;
      q.table = remote;
      q.consistent = consistent;
      q.key_condition = {"#k = :k AND #s BETWEEN :lo AND :hi",
                         {{"#k", "key"}, {"#s", "start"}},
                         {{":k", Attr::s(entries ? minute_sketch_key(b) : minute_item_key(b))},
                          {":lo", Attr::n(first_w * kWriteMinuteScale)},
                          {":hi", Attr::n((last_w + 1) * kWriteMinuteScale - 1)}}};
      bodies.push_back(q.body());
      queries.push_back(std::move(q));
    }
  }
  // With entries, an item's records wait for the entries item of the same
  // start (the counts of one part of one writer's minute of one bucket).
  struct Part {
    std::vector<MinuteRecord> records;
    std::string entries;  // the s# payload, when read
    std::string key;
  };
  std::map<std::pair<std::string, std::int64_t>, Part> parts;  // (bucket, start)
  const std::vector<Outcome> outcomes =
      engine_.run("Query", std::move(bodies),
                  [&](std::size_t i, const rapidjson::Document& answer) -> std::optional<FollowUp> {
                    for (const auto& item : array_member(answer, "Items")) {
                      const std::string_view key = s_value(item, "key");
                      const std::int64_t start = n_value(item, "start");
                      // A fenced writer's uncommitted items: recounted apart.
                      if (has_attribute(item, "g") && is_void(remote, start, n_value(item, "g")))
                        continue;
                      if (!with_entries) {
                        for (MinuteRecord& r : records_of(item, "d"))
                          visit(write_minute_of(start), r);
                        continue;
                      }
                      Part& part = parts[{std::string(key.substr(2)), start}];
                      if (key.starts_with("s#")) {
                        if (!base64_decode(b_value(item, "d"), part.entries))
                          malformed_item("d", key);
                      } else {
                        part.records = records_of(item, "d");
                        part.key = std::string(key);
                      }
                    }
                    return next_page(queries[i], answer);
                  });
  for (const Outcome& o : outcomes) {
    if (!o.ok && o.failure != Failure::kTableMissing) throw engine_.error("Query (counts)", o);
  }
  for (auto& [where, part] : parts) {
    // Entries without counts: the counts item was moved to a later minute.
    if (part.key.empty()) continue;
    // Counts without entries: those were not written (yet); the counts
    // stand, the sketch misses them.
    if (!part.entries.empty() && !decode_entries(part.entries, part.records)) {
      malformed_item("d", "s#" + where.first);
    }
    for (MinuteRecord& r : part.records) visit(write_minute_of(where.second), r);
  }
}

std::map<std::pair<std::int64_t, int>, OpenHour> MinuteCounts::read_open_hours(
    const std::string& remote, const std::vector<std::pair<std::int64_t, int>>& keys,
    bool consistent) {
  std::map<std::pair<std::int64_t, int>, OpenHour> out;
  std::vector<std::string> bodies;
  for (std::size_t begin = 0; begin < keys.size(); begin += kOpenHoursPerBatchGet) {
    BatchGetRequest get{remote, {}, consistent};
    for (std::size_t i = begin; i < std::min(keys.size(), begin + kOpenHoursPerBatchGet); ++i) {
      get.keys.push_back(
          {{"key", Attr::s(open_hour_key(keys[i].first, keys[i].second))}, {"start", Attr::n(0)}});
    }
    bodies.push_back(get.body());
  }
  const std::vector<Outcome> outcomes = engine_.run(
      "BatchGetItem", std::move(bodies), [&](std::size_t, const rapidjson::Document& answer) {
        auto responses = answer.FindMember("Responses");
        if (responses != answer.MemberEnd() && responses->value.IsObject()) {
          for (const auto& table : responses->value.GetObject()) {
            if (!table.value.IsArray()) throw StoreError("BatchGetItem: Responses is malformed");
            for (const auto& item : table.value.GetArray()) {
              const std::string_view key = s_value(item, "key");
              std::int64_t hour = 0;
              int bucket = 0;
              const std::string_view rest = key.substr(2);
              const auto hash = rest.find('#');
              auto [e1, c1] = std::from_chars(rest.data(), rest.data() + hash, hour);
              auto [e2, c2] =
                  std::from_chars(rest.data() + hash + 1, rest.data() + rest.size(), bucket);
              if (!key.starts_with("o#") || hash == std::string_view::npos || c1 != std::errc() ||
                  c2 != std::errc()) {
                malformed_item("o#", key);
              }
              OpenHour& o = out[{hour, bucket}];
              o.hour = hour;
              o.w = n_value(item, "w");
              if (has_attribute(item, "rb")) {
                o.rebuilt_w = n_value(item, "rb");
                o.rebuilt_pages = n_value(item, "rp");
              }
              o.closed_w = has_attribute(item, "cw") ? n_value(item, "cw") : -1;
              o.ws = ns_value(item, "ws");
              o.totals = records_of(item, "t");
            }
          }
        }
        return resend_unprocessed(answer, "BatchGetItem");
      });
  for (const Outcome& o : outcomes) {
    if (!o.ok && o.failure != Failure::kTableMissing)
      throw engine_.error("BatchGetItem (counts)", o);
  }
  return out;
}

void MinuteCounts::fold(const std::string& remote, std::int64_t write_minute, Progress& progress,
                        std::int64_t retention_s) {
  // The write minute's counts by (hour, bucket), then by target.
  std::map<std::pair<std::int64_t, int>, std::map<std::string, std::int64_t>> adds;
  read_minutes(remote, write_minute, write_minute, -1, [&](std::int64_t, MinuteRecord& r) {
    const std::int64_t hour = core::floor_div(r.minute, 60);
    adds[{hour, count_bucket(r.target)}][r.target] += r.count;
  });
  // Hours past the counts' retention: no reader looks there, and their
  // items would expire as written -- a mark among them would wait for a
  // close that finds its o# item gone.
  const std::int64_t now_s = now_us_() / 1'000'000;
  std::erase_if(
      adds, [&](const auto& add) { return past_retention(add.first.first, retention_s, now_s); });
  if (adds.empty()) return;
  std::vector<std::pair<std::int64_t, int>> keys;
  for (const auto& [key, targets] : adds) keys.push_back(key);
  auto open = read_open_hours(remote, keys);
  std::vector<std::string> puts;
  std::vector<std::string> dirty;
  for (const auto& [key, targets] : adds) {
    OpenHour& o = open[key];
    // Folded already by a compactor that stopped (or lost its lease)
    // before saving: the totals stand, the mark below is made again.
    if (o.w < write_minute)
      puts.push_back(open_hour_body(remote, key, o, targets, write_minute,
                                    expiry_after((key.first + 1) * 3600, retention_s)));
    if (key.first < progress.closed_to) {
      // Saved with `to` below: readers look for marks from then on.
      progress.dirty = true;
      // The mark names the write minute folded: it goes only once a close
      // has held that much (another compactor may close the hour between
      // this mark landing and the o# item).
      const std::string mark =
          attrs_json({{"key", Attr::s(kDirtyKey)},
                      {"start", Attr::n(dirty_item_start(key.first, key.second))},
                      {"w", Attr::n(write_minute)}});
      PutItemRequest put_mark{remote, mark, {}};
      put_mark.condition = holds_less_than(write_minute);
      dirty.push_back(put_mark.body());
    }
  }
  // One round for both: a failed condition is only ever an item another
  // compactor wrote first, as far or further.
  puts.insert(puts.end(), std::make_move_iterator(dirty.begin()),
              std::make_move_iterator(dirty.end()));
  engine_.run_conditional("PutItem", std::move(puts), "PutItem (counts)");
}

std::string MinuteCounts::day_hour_update(const std::string& remote, std::string_view target,
                                          std::int64_t hour, std::int64_t n, std::int64_t w,
                                          std::int64_t retention_s) {
  const std::int64_t day = core::floor_div(hour, 24);
  const int hour_of_day = static_cast<int>(hour - day * 24);
  UpdateItemRequest d;
  d.table = remote;
  d.key = {{"key", Attr::s(day_key(target))}, {"start", Attr::n(day * 86400)}};
  d.update = {
      "SET #h = :n, #w = :w",
      {{"#h", hour_attribute(hour_of_day)}, {"#w", hour_attribute(hour_of_day, 'w')}, {"#v", "v"}},
      {{":n", Attr::n(n)}, {":w", Attr::n(w)}, {":one", Attr::n(1)}}};
  d.condition = holds_less_than(w, true, hour_attribute(hour_of_day, 'w'));
  if (retention_s > 0) {
    d.update.text += ", #e = :e";
    d.update.names.emplace_back("#e", "expires_at");
    d.update.values.emplace_back(":e", Attr::n(expiry_after((day + 1) * 86400, retention_s)));
  }
  // After every SET: an ADD clause ends what it is given.
  d.update.text += " ADD #v :one";
  return d.body();
}

std::map<int, std::int64_t> MinuteCounts::close_hour(const std::string& remote, std::int64_t hour,
                                                     const std::vector<int>& buckets,
                                                     bool day_closed, std::int64_t retention_s) {
  std::map<int, std::int64_t> closed;
  std::vector<std::pair<std::int64_t, int>> keys;
  for (int b : buckets) keys.emplace_back(hour, b);
  const auto open = read_open_hours(remote, keys);
  const std::int64_t expires = expiry_after((hour + 1) * 3600, retention_s);
  for (const auto& [key, o] : open) {
    closed[key.second] = o.w;
    if (o.closed_w == o.w) continue;
    // Every target's minutes and actors in the hour, from the write
    // minutes that added to it.
    struct Hour {
      std::array<std::int64_t, 60> minutes{};
      std::vector<std::uint32_t> entries;
    };
    std::map<std::string, Hour> targets;
    each_folded(
        remote, o, key.second,
        [&](MinuteRecord& r) {
          if (r.minute < hour * 60 || r.minute >= (hour + 1) * 60) return;
          Hour& h = targets[r.target];
          h.minutes[static_cast<std::size_t>(r.minute - hour * 60)] += r.count;
          h.entries.insert(h.entries.end(), r.entries.begin(), r.entries.end());
        },
        true);
    std::vector<std::string> puts;
    std::vector<std::string> updates;
    std::string sketch;
    for (auto& [target, h] : targets) {
      std::int64_t n = 0;
      Attrs minutes_item = {{"key", Attr::s(hour_minutes_key(target))},
                            {"start", Attr::n(hour * 3600)}};
      for (int m = 0; m < 60; ++m) {
        if (h.minutes[static_cast<std::size_t>(m)] == 0) continue;
        n += h.minutes[static_cast<std::size_t>(m)];
        minutes_item.emplace_back(minute_attribute(m),
                                  Attr::n(h.minutes[static_cast<std::size_t>(m)]));
      }
      core::HyperLogLog::normalize_entries(h.entries);
      sketch.clear();
      core::HyperLogLog::encode_entries(h.entries, sketch);
      minutes_item.emplace_back("n", Attr::n(n));
      minutes_item.emplace_back("s", Attr::b(sketch));
      minutes_item.emplace_back("w", Attr::n(o.w));
      const std::string item = attrs_json(expiring(minutes_item, expires));
      PutItemRequest put{remote, item, {}};
      put.condition = holds_less_than(o.w, true);
      puts.push_back(put.body());
      // A day's item is written when the day closes; an hour closed again
      // later updates its own hour there.
      if (!day_closed) continue;
      updates.push_back(day_hour_update(remote, target, hour, n, o.w, retention_s));
    }
    // A failed condition: a close holding more is there already.
    engine_.run_conditional("PutItem", std::move(puts), "PutItem (counts)");
    engine_.run_conditional("UpdateItem", std::move(updates), "UpdateItem (counts)");
    UpdateItemRequest mark_closed;
    mark_closed.table = remote;
    mark_closed.key = {{"key", Attr::s(open_hour_key(key.first, key.second))},
                       {"start", Attr::n(0)}};
    mark_closed.update = {"SET #c = :w", {{"#c", "cw"}}, {{":w", Attr::n(o.w)}}};
    mark_closed.condition = {"#w = :w", {{"#w", "w"}}, {}};
    engine_.run_conditional("UpdateItem", {mark_closed.body()}, "UpdateItem (counts)");
  }
  return closed;
}

namespace {

// Writes `ranked` as pages of key `key`; page 0 also says how many pages
// there are, through which hour (for a day) and what its hours' sources
// held (`held`, encode_held_minutes()). Every page carries the list's
// version, and replaces only a list of a version as high or lower.
std::vector<std::string> ranked_pages(const std::string& remote, const std::string& key,
                                      const std::vector<MinuteRecord>& ranked, std::int64_t through,
                                      const std::string& held, std::int64_t version,
                                      std::int64_t expires) {
  std::vector<std::string> bodies;
  const std::size_t pages = std::max<std::size_t>(1, (ranked.size() + kRankPage - 1) / kRankPage);
  for (std::size_t p = 0; p < pages; ++p) {
    std::string payload;
    const std::size_t begin = p * kRankPage;
    encode_records(std::span(ranked).subspan(begin, std::min(kRankPage, ranked.size() - begin)),
                   payload);
    Attrs item = {{"key", Attr::s(key)},
                  {"start", Attr::n(static_cast<std::int64_t>(p))},
                  {"r", Attr::b(payload)},
                  {"v", Attr::n(version)}};
    if (p == 0) {
      item.emplace_back("pages", Attr::n(static_cast<std::int64_t>(pages)));
      item.emplace_back("through", Attr::n(through));
      if (!held.empty()) item.emplace_back("hw", Attr::b(held));
    }
    const std::string json = attrs_json(expiring(item, expires));
    PutItemRequest put{remote, json, {}};
    put.condition = holds_less_than(version, true, "v");
    bodies.push_back(put.body());
  }
  return bodies;
}

// Every target's count, busiest first. The whole table ("") is in it, for
// its day items; readers of top targets skip it.
std::vector<MinuteRecord> ranked_list(std::map<std::string, std::int64_t>& totals,
                                      std::int64_t minute) {
  std::vector<MinuteRecord> ranked;
  ranked.reserve(totals.size());
  for (auto& [target, n] : totals) {
    if (n > 0) ranked.push_back(MinuteRecord{target, minute, n, {}});
  }
  std::sort(ranked.begin(), ranked.end(), [](const MinuteRecord& a, const MinuteRecord& b) {
    return a.count != b.count ? a.count > b.count : a.target < b.target;
  });
  return ranked;
}

}  // namespace

std::vector<MinuteRecord> MinuteCounts::read_ranked(const std::string& remote,
                                                    const std::string& key, std::size_t at_most,
                                                    bool consistent, RankedHead* head,
                                                    bool* torn_list) {
  QueryRequest q;
  q.table = remote;
  q.consistent = consistent;
  q.key_condition = {"#k = :k", {{"#k", "key"}}, {{":k", Attr::s(key)}}};
  // The pages that hold `at_most` entries (all of them: no limit).
  if (at_most != SIZE_MAX)
    q.limit = std::max<std::size_t>(1, at_most / kRankPage + (at_most % kRankPage != 0 ? 1 : 0));
  // A list is rewritten page by page, all pages at once: pages of two
  // versions read together, or a page 0 whose pages are not all there
  // yet, are no list, and are read again -- a little later, and
  // consistently, since an eventually consistent read may keep finding a
  // replica half way through the rewrite.
  constexpr int kAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    std::vector<MinuteRecord> out;
    RankedHead read_head;
    std::int64_t pages = -1;
    std::size_t read = 0;
    bool torn = false;
    std::string start;
    for (;;) {
      q.start_after = start;
      const rapidjson::Document doc = engine_.call("Query", q.body());
      for (const auto& item : array_member(doc, "Items")) {
        const std::int64_t version = has_attribute(item, "v") ? n_value(item, "v") : 0;
        if (n_value(item, "start") == 0) {
          pages = n_value(item, "pages");
          read_head.through = n_value(item, "through");
          read_head.version = version;
          if (has_attribute(item, "hw")) {
            std::string bytes;
            std::vector<HeldMinutes> held;
            if (!base64_decode(b_value(item, "hw"), bytes) || !decode_held_minutes(bytes, held))
              malformed_item("hw", key);
            read_head.held = std::move(held);
          }
        }
        if (pages >= 0 && n_value(item, "start") >= pages) continue;  // left from a longer list
        if (version != read_head.version) torn = true;
        std::vector<MinuteRecord> records = records_of(item, "r");
        out.insert(out.end(), std::make_move_iterator(records.begin()),
                   std::make_move_iterator(records.end()));
        ++read;
      }
      auto lek = doc.FindMember("LastEvaluatedKey");
      if (torn || out.size() >= at_most || (pages >= 0 && static_cast<std::int64_t>(read) >= pages))
        break;
      if (lek == doc.MemberEnd()) {
        torn = pages >= 0;  // pages missing
        break;
      }
      start = json_text(lek->value);
    }
    if (!torn) {
      if (head != nullptr) *head = std::move(read_head);
      return out;
    }
    if (attempt == kAttempts) {
      if (torn_list != nullptr) {
        *torn_list = true;
        if (head != nullptr) *head = std::move(read_head);
        return {};
      }
      throw StoreError("the ranked list '" + key + "' of " + remote + " changed during each of " +
                       std::to_string(kAttempts) + " reads; try again");
    }
    q.consistent = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20 * attempt));
  }
}

void MinuteCounts::rank_hour(const std::string& remote, std::int64_t hour,
                             std::int64_t retention_s) {
  std::vector<std::pair<std::int64_t, int>> keys;
  for (int b = 0; b < kCountBuckets; ++b) keys.emplace_back(hour, b);
  std::map<std::string, std::int64_t> totals;
  // The list's version: how far its sources went. Each o# item only ever
  // holds more write minutes, so a list read later sums as high or higher.
  std::int64_t version = 0;
  HeldMinutes held;
  held.fill(-1);
  for (const auto& [key, o] : read_open_hours(remote, keys)) {
    for (const MinuteRecord& t : o.totals) totals[t.target] += t.count;
    version += o.w + 1;
    held[static_cast<std::size_t>(key.second)] = o.w;
  }
  const std::vector<MinuteRecord> ranked = ranked_list(totals, hour * 60);
  engine_.run_conditional(
      "PutItem",
      ranked_pages(remote, hour_rank_key(hour), ranked, hour, encode_held_minutes({&held, 1}),
                   version, expiry_after((hour + 1) * 3600, retention_s)),
      "PutItem (counts)");
}

void MinuteCounts::rank_day(const std::string& remote, std::int64_t day, bool day_items,
                            std::int64_t w, std::int64_t retention_s) {
  std::map<std::string, std::int64_t> totals;
  // target -> its count in each hour of the day
  std::map<std::string, std::array<std::int64_t, 24>> hours;
  std::int64_t through = -1;
  // The sum of its hours' lists' versions, empty lists too: a rebuild
  // that finds an hour empty raises that hour's version, and the day's
  // list must follow it.
  std::int64_t version = 0;
  // What each hour's list held; none once one of them does not say.
  std::optional<std::vector<HeldMinutes>> held(std::in_place);
  const std::int64_t now_s = now_us_() / 1'000'000;
  for (std::int64_t hour = day * 24; hour < (day + 1) * 24; ++hour) {
    RankedHead head;
    // An hour past the counts' retention, while its day is not: DynamoDB's
    // TTL removes its list page by page, and what is left counts nothing
    // -- but its version still does.
    const bool expired = expired_by((hour + 1) * 3600, retention_s, now_s);
    bool torn = false;
    const std::vector<MinuteRecord> ranked =
        read_ranked(remote, hour_rank_key(hour), SIZE_MAX, true, &head, expired ? &torn : nullptr);
    if (torn) head.held.reset();
    if (held) {
      HeldMinutes& of_hour = held->emplace_back();
      of_hour.fill(-1);
      if (head.held && head.held->size() == 1) {
        of_hour = head.held->front();
      } else if (!ranked.empty()) {
        held.reset();
      }
    }
    version += head.version;
    if (ranked.empty()) continue;
    through = hour;
    for (const MinuteRecord& r : ranked) {
      totals[r.target] += r.count;
      if (day_items) hours[r.target][static_cast<std::size_t>(hour - day * 24)] = r.count;
    }
  }
  if (day_items) {
    // Every target's day item: its hours, for series over many days.
    std::vector<std::string> puts;
    const std::int64_t expires = expiry_after((day + 1) * 86400, retention_s);
    for (const auto& [target, counts_of] : hours) {
      Attrs item = {{"key", Attr::s(day_key(target))}, {"start", Attr::n(day * 86400)}};
      const auto bucket = static_cast<std::size_t>(count_bucket(target));
      for (int h = 0; h < 24; ++h) {
        const auto hh = static_cast<std::size_t>(h);
        if (counts_of[hh] == 0) continue;
        item.emplace_back(hour_attribute(h), Attr::n(counts_of[hh]));
        // The write minute the hour's list held the target's bucket to;
        // `w` (all folded then) for lists that do not say. A compactor
        // that lost its lease may have read lists ranked past its own `w`.
        const std::int64_t held_to = held && (*held)[hh][bucket] >= 0 ? (*held)[hh][bucket] : w;
        item.emplace_back(hour_attribute(h, 'w'), Attr::n(held_to));
      }
      // Versioned as the day's list; an hour closed again since adds to
      // `v` (close_hour), so that this never puts back less.
      item.emplace_back("v", Attr::n(version));
      const std::string json = attrs_json(expiring(item, expires));
      PutItemRequest put{remote, json, {}};
      put.condition = holds_less_than(version, true, "v");
      puts.push_back(put.body());
    }
    engine_.run_conditional("PutItem", std::move(puts), "PutItem (counts)");
  }
  const std::vector<MinuteRecord> ranked = ranked_list(totals, day * 1440);
  std::string held_bytes;
  if (held && through >= day * 24) {
    held->resize(static_cast<std::size_t>(through - day * 24 + 1));
    held_bytes = encode_held_minutes(*held);
  }
  engine_.run_conditional("PutItem",
                          ranked_pages(remote, day_rank_key(day), ranked, through, held_bytes,
                                       version, expiry_after((day + 1) * 86400, retention_s)),
                          "PutItem (counts)");
}

bool MinuteCounts::compact(const std::string& remote, std::int64_t retention_s) {
  if (abandoned_) return false;
  std::optional<Progress> taken = take_lease(remote);
  if (!taken) return false;
  if (taken->to < 0) return true;  // nothing counted by the minute yet
  Progress p = *taken;
  auto now_s = [this] { return now_us_() / 1'000'000; };
  std::int64_t lease_until = now_s() + kLeaseSeconds;
  // Every step starts with at least half the lease left, renewing it when
  // less is: a round that ran slow (throttling) stops at the next step
  // once another process has taken over, rather than work beside it.
  auto hold = [&] {
    if (now_s() + kLeaseSeconds / 2 < lease_until) return true;
    if (!save_progress(remote, p)) return false;
    lease_until = now_s() + kLeaseSeconds;
    return true;
  };
  auto save = [&] {
    if (!save_progress(remote, p)) return false;
    lease_until = now_s() + kLeaseSeconds;
    return true;
  };
  const std::int64_t now_minute = now_us_() / 60'000'000;
  // Writers taken for dead are fenced and repaired first; the sealed write
  // minutes are folded, in order, saving after each, once every live
  // writer committed what it wrote there.
  std::vector<WriterState> writers = read_writers(remote);
  if (!repair_dead(remote, writers, hold, retention_s)) return false;
  for (int folds = 0; folds < kFoldsPerRound && p.to + 1 + kSealMinutes <= now_minute; ++folds) {
    if (!hold()) return false;
    const std::int64_t w = p.to + 1;
    if (std::any_of(writers.begin(), writers.end(),
                    [w](const WriterState& s) { return s.committed_w < w; }))
      break;
    fold(remote, p.to + 1, p, retention_s);
    ++p.to;
    if (!save()) return false;
  }
  // Close the hours whose write minutes are all folded: an hour's
  // activities are frozen by the minute after it ends.
  // An hour closed in turn closes its day after its last hour; one closed
  // again (activities recorded late) updates its day if that was closed.
  auto close_and_rank = [&](std::int64_t hour, const std::vector<int>& buckets, bool in_turn) {
    const std::int64_t day = core::floor_div(hour, 24);
    const bool day_closed = !in_turn && (day + 1) * 24 <= p.closed_to;
    std::map<int, std::int64_t> closed = close_hour(remote, hour, buckets, day_closed, retention_s);
    rank_hour(remote, hour, retention_s);
    // The day's list grows with each hour closed, so that "today so far"
    // is one list and the open hours.
    rank_day(remote, day, in_turn && hour - day * 24 == 23, p.to, retention_s);
    return closed;
  };
  std::vector<int> all(kCountBuckets);
  for (int b = 0; b < kCountBuckets; ++b) all[static_cast<std::size_t>(b)] = b;
  for (int closes = 0; closes < kClosesPerRound && (p.closed_to + 1) * 60 + 1 <= p.to; ++closes) {
    if (!hold()) return false;
    close_and_rank(p.closed_to, all, true);
    reach(RoundStage::kHourClosed);
    ++p.closed_to;
    if (!save()) return false;
  }
  // Close again the hours that late activities were folded into.
  if (!hold()) return false;
  QueryRequest q;
  q.table = remote;
  q.consistent = true;
  q.key_condition = {"#k = :k", {{"#k", "key"}}, {{":k", Attr::s(kDirtyKey)}}};
  q.limit = kDirtyPerRound;
  const rapidjson::Document doc = engine_.call("Query", q.body());
  // hour -> its marked buckets, and the write minute each mark names
  std::map<std::int64_t, std::map<int, std::int64_t>> dirty;
  for (const auto& item : array_member(doc, "Items")) {
    const auto [hour, bucket] = dirty_item_of(n_value(item, "start"));
    dirty[hour][bucket] = has_attribute(item, "w") ? n_value(item, "w") : -1;
  }
  std::vector<std::string> done;
  for (const auto& [hour, marks] : dirty) {
    if (!hold()) return false;
    // Marked before it passed the counts' retention: its o# items have
    // expired, or will, and a close would find nothing to close, so its
    // marks go unclosed -- else they would stay (and `dirty` with them)
    // for good.
    const bool expired = past_retention(hour, retention_s, now_s());
    std::map<int, std::int64_t> closed;
    if (!expired) {
      std::vector<int> buckets;
      for (const auto& [bucket, w] : marks) buckets.push_back(bucket);
      closed = close_and_rank(hour, buckets, false);
    }
    // A mark goes once the close held what it names, and only if no fold
    // has named more since: a fold whose mark landed before its o# item
    // (they are sent together) is closed again next round.
    for (const auto& [bucket, w] : marks) {
      DeleteItemRequest d{
          remote,
          {{"key", Attr::s(kDirtyKey)}, {"start", Attr::n(dirty_item_start(hour, bucket))}},
          {}};
      if (!expired) {
        const auto held = closed.find(bucket);
        if (held == closed.end() || held->second < w) continue;
        d.condition = holds_less_than(held->second, true);
      }
      done.push_back(d.body());
    }
  }
  if (!hold()) return false;
  engine_.run_conditional("DeleteItem", std::move(done), "DeleteItem (counts)");
  if (dirty.empty() && p.dirty) {
    // Nothing waits to be closed again: readers need not look -- unless a
    // rebuild marked hours since this round read the progress item.
    reach(RoundStage::kClearingDirty);
    clear_dirty(remote, p);
  }
  return true;
}

void MinuteCounts::drop_records_before(const std::string& remote, std::int64_t minute) {
  // Counts and entries items of one (bucket, start) hold the same records
  // in the same order, so they are filtered together.
  struct Part {
    std::vector<MinuteRecord> records;
    std::string entries;
    bool has_entries = false;
    std::int64_t expires_at = 0;
  };
  std::map<std::pair<std::string, std::int64_t>, Part> parts;
  ScanRequest scan;
  scan.table = remote;
  scan.consistent = true;
  scan.filter = {"begins_with(#k, :m) OR begins_with(#k, :s)",
                 {{"#k", "key"}},
                 {{":m", Attr::s("m#")}, {":s", Attr::s("s#")}}};
  each_page(engine_, scan, [&](const rapidjson::Document& doc) {
    for (const auto& item : array_member(doc, "Items")) {
      const std::string_view key = s_value(item, "key");
      Part& part = parts[{std::string(key.substr(2)), n_value(item, "start")}];
      if (has_attribute(item, "expires_at")) part.expires_at = n_value(item, "expires_at");
      if (key.starts_with("s#")) {
        if (!base64_decode(b_value(item, "d"), part.entries)) malformed_item("d", key);
        part.has_entries = true;
      } else {
        part.records = records_of(item, "d");
      }
    }
  });
  std::vector<std::string> rewrites;
  std::vector<std::string> deletes;
  for (auto& [where, part] : parts) {
    if (part.has_entries && !part.records.empty() && !decode_entries(part.entries, part.records)) {
      malformed_item("d", "s#" + where.first);
    }
    const auto kept = std::remove_if(part.records.begin(), part.records.end(),
                                     [&](const MinuteRecord& r) { return r.minute < minute; });
    if (kept == part.records.end()) continue;
    part.records.erase(kept, part.records.end());
    for (const char* prefix : {"m#", "s#"}) {
      const bool entries = prefix[0] == 's';
      if (entries && !part.has_entries) continue;
      Attrs item = {{"key", Attr::s(prefix + where.first)}, {"start", Attr::n(where.second)}};
      if (part.records.empty()) {
        deletes.push_back(attrs_json(item));
        continue;
      }
      std::string payload;
      if (entries) {
        encode_entries(part.records, payload);
      } else {
        std::vector<MinuteRecord> counts_only;
        for (const MinuteRecord& r : part.records)
          counts_only.push_back(MinuteRecord{r.target, r.minute, r.count, {}});
        encode_records(counts_only, payload);
      }
      item.emplace_back("d", Attr::b(payload));
      if (part.expires_at > 0) item.emplace_back("expires_at", Attr::n(part.expires_at));
      rewrites.push_back(PutItemRequest{remote, attrs_json(item), {}}.body());
    }
  }
  for (const Outcome& o : engine_.run("PutItem", std::move(rewrites))) {
    if (!o.ok) throw engine_.error("PutItem (counts retention)", o);
  }
  delete_items(engine_, remote, deletes);
}

}  // namespace cctv::store::dynamodb
