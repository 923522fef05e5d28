// MinuteCounts, the compactor's side of writers: waiting for live writers'
// commits, fencing dead ones, and recounting what they had not committed
// from the activities they declared.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "cctv/error.h"
#include "core/bucket.h"
#include "core/hyperloglog.h"
#include "store/dynamodb/bulk_requests.h"
#include "store/dynamodb/count_items.h"
#include "store/dynamodb/item_codec.h"
#include "store/dynamodb/json_access.h"
#include "store/dynamodb/minute_counts.h"
#include "store/dynamodb/requests.h"
#include "store/dynamodb/sort_key.h"

namespace cctv::store::dynamodb {

namespace {

// A repair's items take sequence numbers from here in their writer's
// number: above any a writer uses in one write minute.
constexpr std::uint64_t kRepairSequence = 9000;
constexpr std::size_t kRepairPayload = 350 * 1024;
constexpr std::size_t kRepairItemsPerBatch = 25;
constexpr std::int64_t kRepairedKeptSeconds = 86'400;

Attrs writer_key(std::uint64_t writer) {
  return {{"key", Attr::s(kWritersKey)}, {"start", Attr::n(static_cast<std::int64_t>(writer))}};
}

// A fence as the progress item lists it: writer * 2^32 + first void
// generation.
std::int64_t fence_entry(std::uint64_t writer, std::int64_t from) {
  return static_cast<std::int64_t>(writer << 32) + from;
}

}  // namespace

void MinuteCounts::learn_fences(const std::string& remote, const rapidjson::Value& item) {
  const std::vector<std::int64_t> listed = ns_value(item, "vd");
  if (listed.empty()) return;
  std::lock_guard lock(fences_mu_);
  auto& fences = fences_[remote];
  for (std::int64_t v : listed) {
    // One fence per writer; were there two, the earlier is the one.
    auto [it, inserted] = fences.emplace(static_cast<std::uint64_t>(v) >> 32, v & 0xffffffff);
    if (!inserted) it->second = std::min(it->second, v & 0xffffffff);
  }
}

bool MinuteCounts::is_void(const std::string& remote, std::int64_t start, std::int64_t g) {
  if (g <= 0) return false;  // a repair's, or written before generations
  std::lock_guard lock(fences_mu_);
  auto table = fences_.find(remote);
  if (table == fences_.end()) return false;
  auto fence = table->second.find(writer_of(start));
  return fence != table->second.end() && g >= fence->second;
}

std::vector<MinuteCounts::WriterState> MinuteCounts::read_writers(const std::string& remote) {
  std::vector<WriterState> out;
  QueryRequest q;
  q.table = remote;
  q.consistent = true;
  q.key_condition = {"#k = :k", {{"#k", "key"}}, {{":k", Attr::s(kWritersKey)}}};
  each_page(engine_, q, [&](const rapidjson::Document& doc) {
    for (const auto& item : array_member(doc, "Items")) {
      WriterState s;
      s.writer = static_cast<std::uint64_t>(n_value(item, "start"));
      s.heartbeat_s = n_value(item, "hb");
      s.dead_after_s = n_value(item, "da");
      s.committed = n_value(item, "c");
      s.committed_w = n_value(item, "cw");
      s.next_since_s = n_value(item, "cn");
      if (has_attribute(item, "f")) {
        s.fenced_from = n_value(item, "f");
        s.repair_w = n_value(item, "rw");
        s.repaired = has_attribute(item, "r");
      }
      out.push_back(s);
    }
  });
  return out;
}

bool MinuteCounts::fence(const std::string& remote, WriterState& s) {
  const std::int64_t now_s = now_us_() / 1'000'000;
  if (s.fenced_from < 0) {
    UpdateItemRequest f;
    f.table = remote;
    f.key = writer_key(s.writer);
    // The repair goes to the current write minute: not sealed, and no
    // compactor folds before it has repaired every fenced writer. (Not a
    // later one: a rebuild this minute holds the minutes up to this one,
    // and with them the repair of activities it recounted.)
    f.update = {"SET #f = :f, #rw = :rw",
                {{"#f", "f"}, {"#rw", "rw"}},
                {{":f", Attr::n(s.committed + 1)}, {":rw", Attr::n(now_s / 60)}}};
    // Only if it stayed silent since it was read.
    f.condition = {"#hb = :hb AND attribute_not_exists(#f)",
                   {{"#hb", "hb"}},
                   {{":hb", Attr::n(s.heartbeat_s)}}};
    f.return_new = true;
    const std::vector<Outcome> outcomes = engine_.run("UpdateItem", {f.body()});
    const Outcome& o = outcomes.front();
    if (!o.ok && o.failure != Failure::kConditionFailed)
      throw engine_.error("UpdateItem (counts writer fence)", o);
    if (!o.ok) {
      // It beat again, or another compactor fenced it first.
      const GetItemRequest get{remote, writer_key(s.writer), true};
      const rapidjson::Document doc = engine_.call("GetItem", get.body());
      auto item = doc.FindMember("Item");
      if (item == doc.MemberEnd() || !has_attribute(item->value, "f")) return false;
      s.fenced_from = n_value(item->value, "f");
      s.repair_w = n_value(item->value, "rw");
    } else {
      const rapidjson::Value& item = object_member(o.answer, "Attributes");
      s.fenced_from = n_value(item, "f");
      s.repair_w = n_value(item, "rw");
      spdlog::warn(
          "{}: counts writer {} has been silent since {} s ago; its counts from generation {} on "
          "are recounted from its activities",
          remote, s.writer, now_s - s.heartbeat_s, s.fenced_from);
    }
  }
  // Readers skip its void items from now on: the progress item lists the
  // fence, and names the repair's write minute.
  UpdateItemRequest list;
  list.table = remote;
  list.key = {{"key", Attr::s(kProgressKey)}, {"start", Attr::n(0)}};
  list.update = {
      "ADD #v :v", {{"#v", "vd"}}, {{":v", Attr::ns({fence_entry(s.writer, s.fenced_from)})}}};
  engine_.call("UpdateItem", list.body());
  engine_.run_conditional("UpdateItem",
                          {progress_mark(remote, s.repair_w), late_mark(remote, s.repair_w)},
                          "UpdateItem (counts)");
  std::lock_guard lock(fences_mu_);
  fences_[remote][s.writer] = s.fenced_from;
  return true;
}

void MinuteCounts::repair(const std::string& remote, const WriterState& s,
                          std::int64_t retention_s) {
  const std::string activities = remote.substr(0, remote.size() - kCountsSuffix.size());
  // Each of the writer's items of `key` from `from` on: `decode` reads
  // its `d`, false for bytes that are none.
  auto each_of = [&](const std::string& key, std::int64_t from, const char* what,
                     const std::function<bool(std::string_view)>& decode) {
    QueryRequest q;
    q.table = remote;
    q.consistent = true;
    q.key_condition = {"#k = :k AND #s >= :from",
                       {{"#k", "key"}, {"#s", "start"}},
                       {{":k", Attr::s(key)}, {":from", Attr::n(from)}}};
    each_page(engine_, q, [&](const rapidjson::Document& doc) {
      for (const auto& item : array_member(doc, "Items")) {
        std::string bytes;
        if (!base64_decode(b_value(item, "d"), bytes) || !decode(bytes)) {
          throw StoreError(std::string("a counts ") + what + " in " + remote + " (writer " +
                           std::to_string(s.writer) +
                           ") is malformed; `cctv counts rebuild` recounts its hours");
        }
      }
    });
  };
  // What it declared since its first void generation began: declarations
  // are by the hour of its clock.
  std::set<std::pair<std::string, std::int64_t>> touched;  // (target, hour)
  each_of(declaration_key(s.writer), s.next_since_s / 3600 * 100'000, "declaration",
          [&](std::string_view bytes) {
            std::vector<MinuteRecord> records;
            if (!decode_records(bytes, records)) return false;
            for (MinuteRecord& r : records) touched.emplace(std::move(r.target), r.minute / 60);
            return true;
          });
  // The ids its writes of void generations were about to store (writers
  // of before intents left none: their items all carry the tag).
  std::vector<std::uint64_t> intended;
  each_of(intent_key(s.writer), s.fenced_from * kIntentScale, "intent",
          [&](std::string_view bytes) { return decode_intent_ids(bytes, intended); });
  std::sort(intended.begin(), intended.end());

  // Its activities of void generations, there: tagged with one, or
  // untagged and intended.
  const std::int64_t tag = static_cast<std::int64_t>(s.writer << 32);
  std::vector<QueryRequest> queries;
  for (const auto& [target, hour] : touched) {
    QueryRequest q;
    q.table = activities;
    q.consistent = true;
    q.key_condition = {"#t = :t AND #s BETWEEN :lo AND :hi",
                       {{"#t", "target"}, {"#s", "timestamp"}},
                       {{":t", Attr::s(target)},
                        {":lo", Attr::s(lower_bound_key(hour * core::kHourUs))},
                        {":hi", Attr::s(upper_bound_key((hour + 1) * core::kHourUs))}}};
    q.filter = {intended.empty() ? "#c BETWEEN :c0 AND :c1"
                                 : "#c BETWEEN :c0 AND :c1 OR attribute_not_exists(#c)",
                {{"#c", kCountsTagAttribute}},
                {{":c0", Attr::n(tag + s.fenced_from)}, {":c1", Attr::n(tag + 0xffffffffLL)}}};
    queries.push_back(std::move(q));
  }
  std::vector<std::string> bodies;
  for (const QueryRequest& q : queries) bodies.push_back(q.body());
  // As writers gather.
  MinuteGathering gathering;
  std::size_t found = 0;
  const std::vector<Outcome> outcomes = engine_.run(
      "Query", std::move(bodies),
      [&](std::size_t i, const rapidjson::Document& answer) -> std::optional<FollowUp> {
        for (const auto& item : array_member(answer, "Items")) {
          const Activity a = read_item(item);
          if (!has_attribute(item, kCountsTagAttribute) &&
              !std::binary_search(intended.begin(), intended.end(), a.id))
            continue;
          const std::int64_t minute = core::minute_of(a.time.time_since_epoch().count());
          const std::uint32_t entry = core::HyperLogLog::entry(core::actor_hash(a.actor));
          gathering.add(a.target, core::actor_hash(a.target), minute, entry);
          ++found;
        }
        return next_page(queries[i], answer);
      });
  for (const Outcome& o : outcomes) {
    if (!o.ok && o.failure != Failure::kTableMissing)
      throw engine_.error("Query (counts repair)", o);
  }

  // Its recount, as minute items of the repair minute. Their keys and
  // content follow from what is stored, so a repair done again (a
  // compactor that lost its lease) writes the same items.
  std::vector<std::string> puts;
  const std::int64_t expires = retention_s > 0 ? s.repair_w * 60 + retention_s : 0;
  std::uint64_t sequence = kRepairSequence;
  const std::vector<std::vector<MinuteRecord>> by_bucket = gathering.take(true);
  for (int b = 0; b < kCountBuckets; ++b) {
    for (const auto part : split_records(by_bucket[static_cast<std::size_t>(b)], kRepairPayload)) {
      const std::int64_t start = minute_item_start(s.repair_w, s.writer, sequence++);
      for (const bool counts : {true, false}) {
        std::string payload;
        if (counts) {
          encode_records(part, payload, false);
        } else {
          encode_entries(part, payload);
        }
        Attrs item = {{"key", Attr::s(counts ? minute_item_key(b) : minute_sketch_key(b))},
                      {"start", Attr::n(start)},
                      {"d", Attr::b(payload)}};
        if (expires > 0) item.emplace_back("expires_at", Attr::n(expires));
        puts.push_back(attrs_json(item));
      }
    }
  }
  std::vector<std::string> batches;
  for (std::size_t begin = 0; begin < puts.size(); begin += kRepairItemsPerBatch) {
    BatchWriteRequest request;
    for (std::size_t k = begin; k < std::min(puts.size(), begin + kRepairItemsPerBatch); ++k)
      request.writes.push_back({remote, puts[k], {}});
    batches.push_back(request.body());
  }
  for (const Outcome& o : engine_.run("BatchWriteItem", std::move(batches),
                                      [](std::size_t, const rapidjson::Document& a) {
                                        return resend_unprocessed(a, "BatchWriteItem");
                                      })) {
    if (!o.ok) throw engine_.error("BatchWriteItem (counts repair)", o);
  }
  // Done: the repair minute need not wait any more.
  UpdateItemRequest done;
  done.table = remote;
  done.key = writer_key(s.writer);
  done.update = {"SET #r = :one", {{"#r", "r"}}, {{":one", Attr::n(1)}}};
  done.condition = {"#f = :f", {{"#f", "f"}}, {{":f", Attr::n(s.fenced_from)}}};
  engine_.run_conditional("UpdateItem", {done.body()}, "UpdateItem (counts writer)");
  spdlog::info("{}: counts writer {} repaired: {} activities of {} (target, hour)s recounted",
               remote, s.writer, found, touched.size());
}

bool MinuteCounts::repair_dead(const std::string& remote, std::vector<WriterState>& writers,
                               const std::function<bool()>& hold, std::int64_t retention_s) {
  const std::int64_t now_s = now_us_() / 1'000'000;
  for (std::size_t i = 0; i < writers.size();) {
    WriterState& s = writers[i];
    if (s.repaired) {
      // Kept a day after its last heartbeat, for the writer to find fenced.
      if (s.heartbeat_s + kRepairedKeptSeconds < now_s) {
        DeleteItemRequest gone{
            remote, writer_key(s.writer), {"attribute_exists(#r)", {{"#r", "r"}}, {}}};
        engine_.run_conditional("DeleteItem", {gone.body()}, "DeleteItem (counts writer)");
      }
      writers.erase(writers.begin() + static_cast<std::ptrdiff_t>(i));
      continue;
    }
    if (s.fenced_from < 0 && s.heartbeat_s + s.dead_after_s >= now_s) {  // alive
      ++i;
      continue;
    }
    if (!hold()) return false;
    if (!fence(remote, s)) {  // it beat again
      s = WriterState{s.writer, now_s, s.dead_after_s, s.committed, -1, 0, -1, -1, false};
      ++i;
      continue;
    }
    if (!hold()) return false;
    repair(remote, s, retention_s);
    writers.erase(writers.begin() + static_cast<std::ptrdiff_t>(i));
  }
  return true;
}

}  // namespace cctv::store::dynamodb
