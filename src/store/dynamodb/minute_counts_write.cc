// MinuteCounts, the writer's side: gathering confirmed writes, freezing
// them into minute items, and sending those until DynamoDB has them.
#include <algorithm>
#include <random>
#include <utility>

#include "cctv/error.h"
#include "core/bucket.h"
#include "core/hyperloglog.h"
#include "store/dynamodb/bulk_requests.h"
#include "store/dynamodb/count_items.h"
#include "store/dynamodb/json_access.h"
#include "store/dynamodb/minute_counts.h"
#include "store/dynamodb/put_tokens.h"
#include "store/dynamodb/requests.h"

namespace cctv::store::dynamodb {

namespace {

// Payloads stay well under DynamoDB's 400 KB item, key and attributes
// included.
constexpr std::size_t kMaxPayload = 350 * 1024;
constexpr std::size_t kMinuteItemsPerBatch = 25;
// An item not confirmed this close to its minute's seal is moved to the
// current write minute (if it was not stored meanwhile).
constexpr std::int64_t kMoveMarginSeconds = 60;
// Sends of minute items give up after this many tries -- about 35 s at
// most, with 10 s request timeouts -- well within the margin above: an
// item is never confirmed after its minute was folded. What was given up
// on is checked and moved by the next flush.
constexpr int kSendAttempts = 3;

}  // namespace

std::uint64_t random_writer() {
  std::random_device device;
  return ((static_cast<std::uint64_t>(device()) << 32) ^ device()) % 10'000'000;
}

MinuteCounts::MinuteCounts(RequestEngine& engine, std::function<std::int64_t()> now,
                           std::int64_t dead_after_s)
    : engine_(engine),
      now_us_(std::move(now)),
      dead_after_s_(dead_after_s),
      writer_(random_writer()),
      lease_holder_("w" + std::to_string(writer_.load())) {
  generations_[generation_].since_s = now_us_() / 1'000'000;
}

void MinuteCounts::absorb(const core::RecordBatch& batch, const std::vector<bool>& counted,
                          const std::vector<std::uint64_t>& target_hashes,
                          const WriteTicket& ticket) {
  std::lock_guard lock(mu_);
  // Begun before this writer was fenced: the repair counts those.
  if (ticket.tag >> 32 != writer_) return;
  auto& gathering = generations_[ticket.generation].gathering;
  MinuteGathering* g = nullptr;
  std::uint32_t table = UINT32_MAX;
  // Each activity's lookups are asked for ahead of it (MinuteGathering::
  // prefetch), in the gathering of the table at hand: batches are mostly
  // of one table, and a hint into the wrong one costs nothing but itself.
  using Step = MinuteGathering::Prefetch;
  constexpr std::size_t kSlotAhead = 12, kTargetAhead = 8, kCellAhead = 4;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (g != nullptr) {
      if (i + kSlotAhead < batch.size()) g->prefetch(target_hashes[i + kSlotAhead], Step::kSlot);
      if (i + kTargetAhead < batch.size())
        g->prefetch(target_hashes[i + kTargetAhead], Step::kTarget);
      if (i + kCellAhead < batch.size()) {
        g->prefetch(target_hashes[i + kCellAhead], Step::kCell);
        __builtin_prefetch(batch[i + kCellAhead].target.data());  // compared with its name
      }
    }
    if (!counted[i]) continue;
    const core::RecordView r = batch[i];
    if (r.table != table) {
      table = r.table;
      g = &gathering[table];
    }
    g->add(r.target, target_hashes[i], core::minute_of(r.time_us), r.actor_entry);
  }
}

void MinuteCounts::forget(std::uint32_t table, const std::string& remote) {
  std::lock_guard send_lock(send_mu_);
  std::erase_if(unsent_, [&](const Frozen& f) { return f.remote == remote; });
  // Its writer record went with the table: no heartbeat goes there.
  std::lock_guard records_lock(records_mu_);
  records_.erase(remote);
  std::lock_guard lock(mu_);
  for (auto& [g, generation] : generations_) generation.gathering.erase(table);
  // Its activities left unsettled never will be: they went with the table,
  // and must not hold up this writer's commits to other tables.
  const std::string prefix = put_key_prefix(table);
  std::erase_if(unsettled_, [&](const auto& entry) {
    if (!entry.first.starts_with(prefix)) return false;
    release_unsettled(entry.second);
    return true;
  });
  any_unsettled_ = !unsettled_.empty();
  count_unsent({});
}

void MinuteCounts::count_unsent(const std::vector<Frozen>& sending) {
  for (auto& [g, generation] : generations_) generation.unsent = 0;
  for (const std::vector<Frozen>* items : {&std::as_const(unsent_), &sending}) {
    for (const Frozen& f : *items) {
      auto it = generations_.find(f.generation);
      if (it != generations_.end()) ++it->second.unsent;
    }
  }
}

void MinuteCounts::flush(const std::function<CountsTarget(std::uint32_t)>& table_of) {
  if (abandoned_) return;
  std::lock_guard send_lock(send_mu_);
  const std::int64_t now_s = now_us_() / 1'000'000;
  const std::int64_t write_minute = std::max(now_s / 60, next_write_minute_);
  // Writes from now on take a new generation; each earlier one is taken
  // once no write of it is under way.
  std::vector<std::pair<std::int64_t, std::map<std::uint32_t, MinuteGathering>>> taken;
  {
    std::lock_guard lock(mu_);
    ++generation_;
    generations_[generation_].since_s = now_s;
    for (auto& [g, generation] : generations_) {
      if (g >= generation_ || generation.frozen || generation.writing > 0) continue;
      generation.frozen = true;
      if (generation.gathering.empty()) continue;
      generation.first_w = write_minute;
      taken.emplace_back(g, std::move(generation.gathering));
      generation.gathering.clear();
    }
  }
  std::vector<Frozen> items = std::move(unsent_);
  unsent_.clear();
  for (auto& [g, tables] : taken) {
    for (auto& [table, gathered] : tables) {
      const CountsTarget where = table_of(table);
      if (!where.live) continue;  // dropped meanwhile
      // Minute items are kept as long as the counts: activities recorded
      // late into an hour close it again from every item that added to it,
      // and readers take an hour's distinct actors per minute from them.
      const std::int64_t expires =
          where.retention_s > 0 ? write_minute * 60 + where.retention_s : 0;
      for (MinuteGathering::Payloads& p : gathered.take_payloads(kMaxPayload)) {
        items.push_back(Frozen{where.remote, g, write_minute, p.bucket,
                               minute_item_start(write_minute, writer_, sequence_++), p.oldest_hour,
                               std::move(p.counts), std::move(p.sketches), expires});
      }
    }
  }
  // Until its items are sent, a generation is not committed.
  {
    std::lock_guard lock(mu_);
    count_unsent(items);
  }
  if (!items.empty()) {
    try {
      move_late(items);
    } catch (...) {
      unsent_ = std::move(items);
      throw;
    }
    send(std::move(items));
  }
  {
    std::lock_guard lock(mu_);
    count_unsent({});
  }
  send_heartbeats();
}

void MinuteCounts::move_late(std::vector<Frozen>& items) {
  const std::int64_t now_s = now_us_() / 1'000'000;
  std::vector<std::size_t> late;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if ((items[i].write_minute + kSealMinutes) * 60 - kMoveMarginSeconds <= now_s)
      late.push_back(i);
  }
  if (late.empty()) return;
  // Were its counts stored after all (an answer lost)? Then they are done
  // (its sketch entries, if not, may still go: they are read when the hour
  // closes); else it moves, and the compactor has not folded its new
  // minute yet.
  std::erase_if(late, [&](std::size_t i) { return items[i].counts.empty(); });
  std::vector<std::string> gets;
  for (std::size_t i : late) {
    gets.push_back(GetItemRequest{
        items[i].remote,
        {{"key", Attr::s(minute_item_key(items[i].bucket))}, {"start", Attr::n(items[i].start)}},
        true}
                       .body());
  }
  const std::vector<Outcome> outcomes =
      engine_.run("GetItem", std::move(gets), {}, Patience::kBackground);
  std::vector<bool> stored(items.size(), false);
  for (std::size_t k = 0; k < late.size(); ++k) {
    const Outcome& o = outcomes[k];
    if (!o.ok) throw engine_.error("GetItem (counts)", o);
    if (o.answer.HasMember("Item")) {
      items[late[k]].counts.clear();
      stored[late[k]] = items[late[k]].sketches.empty();
    } else {
      items[late[k]].write_minute = std::max(now_s / 60, next_write_minute_);
      items[late[k]].start = minute_item_start(items[late[k]].write_minute, writer_, sequence_++);
    }
  }
  std::vector<Frozen> kept;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!stored[i]) kept.push_back(std::move(items[i]));
  }
  items = std::move(kept);
}

std::string MinuteCounts::progress_mark(const std::string& remote, std::int64_t w) const {
  UpdateItemRequest mark;
  mark.table = remote;
  mark.key = {{"key", Attr::s(kProgressKey)}, {"start", Attr::n(0)}};
  // The first writer starts the compactor at the first write minute it
  // may fold: every item of an earlier minute is moved before it is sent.
  const std::int64_t start = now_us_() / 60'000'000 - kSealMinutes;
  mark.update = {"SET #l = :w, #t = if_not_exists(#t, :t), #c = if_not_exists(#c, :c)",
                 {{"#l", "last_w"}, {"#t", "to"}, {"#c", "closed_to"}},
                 {{":w", Attr::n(w)}, {":t", Attr::n(start - 1)}, {":c", Attr::n(start / 60)}}};
  mark.condition = {"attribute_not_exists(#l) OR #l <= :w", {{"#l", "last_w"}}, {}};
  return mark.body();
}

std::string MinuteCounts::late_mark(const std::string& remote, std::int64_t w) {
  UpdateItemRequest mark;
  mark.table = remote;
  mark.key = {{"key", Attr::s(kProgressKey)}, {"start", Attr::n(0)}};
  mark.update = {"SET #l = :w", {{"#l", "late_w"}}, {{":w", Attr::n(w)}}};
  mark.condition = {"attribute_not_exists(#l) OR #l < :w", {{"#l", "late_w"}}, {}};
  return mark.body();
}

void MinuteCounts::send(std::vector<Frozen> frozen) {
  // The progress item knows the newest write minute, so that readers know
  // how far to look; it is made by the first writer.
  // (and, apart, the newest holding records recorded late)
  std::map<std::string, std::int64_t> newest;
  std::map<std::string, std::int64_t> newest_late;
  auto raise = [](std::map<std::string, std::int64_t>& to, const Frozen& f) {
    auto [it, inserted] = to.emplace(f.remote, f.write_minute);
    if (!inserted) it->second = std::max(it->second, f.write_minute);
  };
  for (const Frozen& f : frozen) {
    raise(newest, f);
    if (is_late(f.oldest_hour, f.write_minute)) raise(newest_late, f);
  }
  std::vector<std::string> marks;
  for (const auto& [remote, w] : newest) marks.push_back(progress_mark(remote, w));
  for (const auto& [remote, w] : newest_late) marks.push_back(late_mark(remote, w));
  for (const Outcome& o : engine_.run("UpdateItem", std::move(marks), {}, Patience::kBackground)) {
    if (!o.ok && o.failure != Failure::kConditionFailed) {
      unsent_ = std::move(frozen);
      throw StoreError("counts were not written (kept, sent again with the next flush): " +
                       std::string(engine_.error("UpdateItem (counts progress)", o).what()));
    }
  }

  // Each frozen item's counts and sketches, as two items.
  struct Write {
    std::size_t frozen;
    bool counts;
    std::string json;
  };
  std::vector<Write> writes;
  for (std::size_t i = 0; i < frozen.size(); ++i) {
    const Frozen& f = frozen[i];
    for (const bool counts : {true, false}) {
      const std::string& payload = counts ? f.counts : f.sketches;
      if (payload.empty()) continue;
      Attrs item = {
          {"key", Attr::s(counts ? minute_item_key(f.bucket) : minute_sketch_key(f.bucket))},
          {"start", Attr::n(f.start)},
          {"g", Attr::n(f.generation)},
          {"d", Attr::b(payload)}};
      if (f.expires_at > 0) item.emplace_back("expires_at", Attr::n(f.expires_at));
      writes.push_back(Write{i, counts, attrs_json(item)});
    }
  }
  std::vector<std::string> bodies;
  for (std::size_t begin = 0; begin < writes.size(); begin += kMinuteItemsPerBatch) {
    BatchWriteRequest request;
    for (std::size_t k = begin; k < std::min(writes.size(), begin + kMinuteItemsPerBatch); ++k) {
      request.writes.push_back({frozen[writes[k].frozen].remote, writes[k].json, {}});
    }
    bodies.push_back(request.body());
  }
  const std::vector<Outcome> outcomes = engine_.run(
      "BatchWriteItem", std::move(bodies),
      [](std::size_t, const rapidjson::Document& a) {
        return resend_unprocessed(a, "BatchWriteItem");
      },
      Patience::kBackground, kSendAttempts);
  // What was written is done; the rest waits for the next flush.
  std::string failure;
  for (std::size_t c = 0; c < outcomes.size(); ++c) {
    for (std::size_t k = c * kMinuteItemsPerBatch;
         k < std::min(writes.size(), (c + 1) * kMinuteItemsPerBatch); ++k) {
      if (!outcomes[c].ok) continue;
      Frozen& f = frozen[writes[k].frozen];
      (writes[k].counts ? f.counts : f.sketches).clear();
    }
    if (!outcomes[c].ok) failure = engine_.error("BatchWriteItem (counts)", outcomes[c]).what();
  }
  for (Frozen& f : frozen) {
    if (!f.counts.empty() || !f.sketches.empty()) unsent_.push_back(std::move(f));
  }
  if (!failure.empty()) {
    throw StoreError(
        std::to_string(unsent_.size()) +
        " counts items were not written (kept, sent again with the next flush): " + failure);
  }
}

}  // namespace cctv::store::dynamodb
