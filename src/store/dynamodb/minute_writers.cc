// MinuteCounts, the writer's record: generations, heartbeats and commits,
// declarations of what a write touches, and starting again once fenced.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "cctv/error.h"
#include "store/dynamodb/count_items.h"
#include "store/dynamodb/json_access.h"
#include "store/dynamodb/minute_counts.h"
#include "store/dynamodb/requests.h"

namespace cctv::store::dynamodb {

namespace {

constexpr std::size_t kDeclarationBytes = 350 * 1024;
// Declarations are read by a repair of a writer dead for dead_after, of
// the generations it had not committed: a week covers any such.
constexpr std::int64_t kDeclarationSeconds = 7 * 86400;
// Ids in one intent item: under 300 KB however far apart they are.
constexpr std::size_t kIdsPerIntent = 20'000;

// How often a writer renews its heartbeat, and how old the last one taken
// may be when it writes activities: a writer paused between that check
// and its request (a stop, a slow network) has the rest of dead_after
// before it can be taken for dead -- at the default six minutes, more than
// the five minutes DynamoDB accepts a signed request for.
std::int64_t heartbeat_every(std::int64_t dead_after_s) {
  return std::clamp<std::int64_t>(dead_after_s / 12, 1, 30);
}
std::int64_t fresh_for(std::int64_t dead_after_s) {
  return std::max<std::int64_t>(1, dead_after_s / 6);
}

std::uint64_t touch_hash(std::uint64_t target_hash, std::int64_t hour) {
  std::uint64_t h = target_hash;
  h ^= static_cast<std::uint64_t>(hour) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

// How many activities ahead a per-activity lookup prefetches: enough to
// cover a miss to memory, few enough that what it fetched is still cached.
constexpr std::size_t kLookAhead = 8;

}  // namespace

MinuteCounts::Commit MinuteCounts::committable(std::int64_t now_minute) {
  // A generation is done once writes stopped taking it, none of its writes
  // is under way or left activities unsettled, and its items were sent.
  for (auto it = generations_.begin(); it != generations_.end();) {
    const Generation& g = it->second;
    if (it->first >= generation_ || !g.frozen || g.writing > 0 || g.unsettled > 0 || g.unsent > 0)
      break;
    it = generations_.erase(it);
  }
  Commit c;
  c.generation = generations_.begin()->first - 1;
  c.next_since_s = generations_.begin()->second.since_s;
  std::int64_t first_w = now_minute;
  for (const auto& [g, generation] : generations_) first_w = std::min(first_w, generation.first_w);
  c.write_minute = first_w - 1;
  return c;
}

bool MinuteCounts::send_heartbeat(const std::string& remote, const Commit& commit, bool first) {
  const std::int64_t now_s = now_us_() / 1'000'000;
  if (first) {
    // The compactor works where the progress item is: a writer killed
    // before it sent any counts is repaired too.
    engine_.run_conditional("UpdateItem", {progress_mark(remote, now_s / 60)},
                            "UpdateItem (counts progress)");
  }
  UpdateItemRequest beat;
  beat.table = remote;
  beat.key = {{"key", Attr::s(kWritersKey)},
              {"start", Attr::n(static_cast<std::int64_t>(writer_))}};
  beat.update = {"SET #hb = :hb, #da = :da, #c = :c, #cw = :cw, #cn = :cn",
                 {{"#hb", "hb"}, {"#da", "da"}, {"#c", "c"}, {"#cw", "cw"}, {"#cn", "cn"}},
                 {{":hb", Attr::n(now_s)},
                  {":da", Attr::n(dead_after_s_)},
                  {":c", Attr::n(commit.generation)},
                  {":cw", Attr::n(commit.write_minute)},
                  {":cn", Attr::n(commit.next_since_s)}}};
  // Never after a fence; never behind a commit sent later that landed
  // first. Only the first makes the record: one gone was removed a day
  // after its writer was fenced.
  beat.condition = {std::string(first ? "" : "attribute_exists(#hb) AND ") +
                        "attribute_not_exists(#f) AND (attribute_not_exists(#c) OR #c <= :c)",
                    {{"#f", "f"}},
                    {}};
  std::vector<Outcome> outcomes =
      engine_.run("UpdateItem", {beat.body()}, {}, Patience::kBackground);
  const Outcome& o = outcomes.front();
  if (o.ok) return true;
  if (o.failure != Failure::kConditionFailed) throw engine_.error("UpdateItem (counts writer)", o);
  const GetItemRequest get{remote, beat.key, true};
  const rapidjson::Document doc = engine_.call("GetItem", get.body());
  auto item = doc.FindMember("Item");
  return item != doc.MemberEnd() && !has_attribute(item->value, "f");
}

void MinuteCounts::send_heartbeats() {
  if (abandoned_) return;
  const std::int64_t now_s = now_us_() / 1'000'000;
  Commit commit;
  {
    std::lock_guard lock(mu_);
    commit = committable(now_s / 60);
  }
  std::vector<std::pair<std::string, bool>> remotes;  // and whether it is the first
  {
    std::lock_guard lock(records_mu_);
    for (const auto& [remote, record] : records_)
      remotes.emplace_back(remote, record.confirmed_s < 0);
  }
  for (const auto& [remote, first] : remotes) {
    if (!send_heartbeat(remote, commit, first)) {
      fenced_ = true;
      restart_fenced();
      throw StoreError("counts writer of " + remote +
                       " was taken for dead and fenced; it starts again under a new number");
    }
    std::lock_guard lock(records_mu_);
    records_[remote].confirmed_s = now_s;
  }
}

void MinuteCounts::heartbeat() {
  if (abandoned_) return;
  std::lock_guard send_lock(send_mu_);
  if (fenced_) restart_fenced();
  const std::int64_t now_s = now_us_() / 1'000'000;
  bool due = false;
  {
    std::lock_guard lock(records_mu_);
    for (const auto& [remote, record] : records_) {
      due = due || record.confirmed_s + heartbeat_every(dead_after_s_) <= now_s;
    }
  }
  if (due) send_heartbeats();
}

void MinuteCounts::restart_fenced() {
  std::lock_guard records_lock(records_mu_);
  std::lock_guard lock(mu_);
  if (!fenced_) return;
  const std::uint64_t old = writer_;
  writer_ = random_writer();
  spdlog::error(
      "counts writer {} was taken for dead (no heartbeat for {} s) and what it had not "
      "committed is recounted from the activities; it goes on as writer {}. Activities it was "
      "writing meanwhile may be miscounted: `cctv counts rebuild` recounts them",
      old, dead_after_s_, writer_.load());
  records_.clear();
  // Everything not committed is void: the compactor recounts it.
  generations_.clear();
  unsent_.clear();
  unsettled_.clear();
  any_unsettled_ = false;
  ++generation_;
  generations_[generation_].since_s = now_us_() / 1'000'000;
  fenced_ = false;
}

MinuteCounts::WriteTicket MinuteCounts::begin_write(const std::vector<Touch>& touched) {
  if (fenced_) {
    std::lock_guard send_lock(send_mu_);
    restart_fenced();
  }
  std::unique_lock records_lock(records_mu_);
  const std::int64_t now_s = now_us_() / 1'000'000;
  const std::int64_t clock_hour = now_s / 3600;
  // What each counts table touched needs declared; taken as declared now,
  // and forgotten again should the declaring fail. Per activity: a hash
  // and a lookup.
  std::map<std::string, std::vector<MinuteRecord>> declare;
  std::map<std::string, std::vector<std::uint64_t>> intended;  // ids, by counts table
  std::vector<std::pair<Record*, std::uint64_t>> declaring;
  std::vector<std::string> stale;
  const std::string* last_remote = nullptr;
  Record* last = nullptr;
  std::vector<MinuteRecord>* list = nullptr;
  std::vector<std::uint64_t>* ids = nullptr;
  std::size_t unsupplied = 0;
  for (std::size_t k = 0; k < touched.size(); ++k) {
    const Touch& t = touched[k];
    if (last_remote == nullptr || (t.remote != last_remote && *t.remote != *last_remote)) {
      last_remote = t.remote;
      last = &records_[*last_remote];
      list = &declare[*last_remote];
      ids = &intended[*last_remote];
      if (last->declared_hour != clock_hour) {
        last->declared.clear();
        last->declared_hour = clock_hour;
      }
    }
    if (!t.supplied) {
      ids->push_back(t.id);
      ++unsupplied;
    }
    // With many targets each lookup is a cache miss: the ones ahead are
    // asked for while this one is taken.
    if (k + kLookAhead < touched.size()) {
      const Touch& ahead = touched[k + kLookAhead];
      last->declared.prefetch(touch_hash(ahead.target_hash, ahead.hour));
    }
    const std::uint64_t h = touch_hash(t.target_hash, t.hour);
    if (!last->declared.insert(h)) continue;
    declaring.emplace_back(last, h);
    list->push_back(MinuteRecord{std::string(t.target), t.hour * 60, 1, {}});
  }
  struct Undo {
    std::vector<std::pair<Record*, std::uint64_t>>& declaring;
    ~Undo() {
      for (auto& [record, h] : declaring) record->declared.erase(h);
    }
  } undo{declaring};
  for (const auto& [remote, record] : records_) {
    if (record.confirmed_s + fresh_for(dead_after_s_) <= now_s) stale.push_back(remote);
  }
  // The record first: the compactor waits for a live writer's commits.
  if (!stale.empty()) {
    Commit commit;
    {
      std::lock_guard lock(mu_);
      commit = committable(now_s / 60);
    }
    for (const std::string& remote : stale) {
      if (!send_heartbeat(remote, commit, records_[remote].confirmed_s < 0)) {
        fenced_ = true;
        throw StoreError("counts writer of " + remote +
                         " was taken for dead and fenced; it starts again under a new number");
      }
      records_[remote].confirmed_s = now_s;
    }
  }
  std::erase_if(declare, [](const auto& d) { return d.second.empty(); });
  if (!declare.empty()) {
    // A few items an hour (one holds ~10,000 targets): each its own put.
    std::vector<std::string> puts;
    for (auto& [remote, records] : declare) {
      Record& r = records_[remote];
      for (const auto part : split_records(records, kDeclarationBytes)) {
        std::string payload;
        encode_records(part, payload);
        const std::string item =
            attrs_json({{"key", Attr::s(declaration_key(writer_))},
                        {"start", Attr::n(clock_hour * 100'000 +
                                          static_cast<std::int64_t>(r.sequence++ % 100'000))},
                        {"d", Attr::b(payload)},
                        {"expires_at", Attr::n(now_s + kDeclarationSeconds)}});
        puts.push_back(PutItemRequest{remote, item, {}}.body());
      }
    }
    for (const Outcome& o : engine_.run("PutItem", std::move(puts), {}, Patience::kBackground)) {
      if (!o.ok) throw engine_.error("PutItem (counts declarations)", o);
    }
  }
  declaring.clear();  // declared: kept
  WriteTicket ticket;
  {
    std::lock_guard lock(mu_);
    ++generations_[generation_].writing;
    ticket = WriteTicket{generation_, writer_ << 32 | static_cast<std::uint64_t>(generation_)};
  }
  // The intents go in the ticket's generation, which its write holds open:
  // the repair of its void generations finds them there.
  records_lock.unlock();                           // other writes may declare meanwhile
  if (unsupplied < kIntentAtLeast) return ticket;  // their items are tagged
  ticket.intended = true;
  std::erase_if(intended, [](const auto& i) { return i.second.empty(); });
  std::vector<std::string> puts;
  for (auto& [remote, all] : intended) {
    for (std::size_t begin = 0; begin < all.size(); begin += kIdsPerIntent) {
      std::vector<std::uint64_t> part(
          all.begin() + static_cast<std::ptrdiff_t>(begin),
          all.begin() + static_cast<std::ptrdiff_t>(std::min(all.size(), begin + kIdsPerIntent)));
      std::string payload;
      encode_intent_ids(part, payload);
      const std::int64_t start =
          ticket.generation * kIntentScale +
          static_cast<std::int64_t>(intent_sequence_++ % static_cast<std::uint64_t>(kIntentScale));
      const std::string item = attrs_json({{"key", Attr::s(intent_key(ticket.tag >> 32))},
                                           {"start", Attr::n(start)},
                                           {"d", Attr::b(payload)},
                                           {"expires_at", Attr::n(now_s + kDeclarationSeconds)}});
      puts.push_back(PutItemRequest{remote, item, {}}.body());
    }
  }
  try {
    for (const Outcome& o : engine_.run("PutItem", std::move(puts), {}, Patience::kBackground)) {
      if (!o.ok) throw engine_.error("PutItem (counts intents)", o);
    }
  } catch (...) {
    end_write(ticket, {});  // nothing was begun
    throw;
  }
  return ticket;
}

void MinuteCounts::end_write(const WriteTicket& ticket, std::vector<std::string> unsettled) {
  std::lock_guard lock(mu_);
  if (ticket.tag >> 32 != writer_) return;  // begun before this writer was fenced
  Generation& g = generations_[ticket.generation];
  --g.writing;
  for (std::string& key : unsettled) {
    unsettled_[std::move(key)].push_back(ticket.generation);
    ++g.unsettled;
  }
  any_unsettled_ = !unsettled_.empty();
}

bool MinuteCounts::has_unsettled() const { return any_unsettled_; }

void MinuteCounts::settle(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = unsettled_.find(key);
  if (it == unsettled_.end()) return;
  release_unsettled(it->second);
  unsettled_.erase(it);
  any_unsettled_ = !unsettled_.empty();
}

void MinuteCounts::release_unsettled(const std::vector<std::int64_t>& generations) {
  for (std::int64_t g : generations) {
    auto gen = generations_.find(g);
    if (gen != generations_.end() && gen->second.unsettled > 0) --gen->second.unsettled;
  }
}

void MinuteCounts::abandon() {
  abandoned_ = true;
  std::lock_guard send_lock(send_mu_);
  unsent_.clear();
  std::lock_guard lock(mu_);
  for (auto& [g, generation] : generations_) generation.gathering.clear();
}

void MinuteCounts::retire() {
  if (abandoned_) return;
  std::lock_guard send_lock(send_mu_);
  Commit commit;
  bool all = false;
  {
    std::lock_guard lock(mu_);
    commit = committable(now_us_() / 60'000'000);
    all = generations_.size() == 1 && generations_.begin()->second.gathering.empty() &&
          generations_.begin()->second.writing == 0 && unsettled_.empty();
  }
  std::lock_guard records_lock(records_mu_);
  if (!all) {
    if (!records_.empty()) {
      spdlog::warn(
          "counts writer {} stops with counts not committed (generation {} on); they are "
          "recounted from the activities once it has been silent for {} s",
          writer_.load(), commit.generation + 1, dead_after_s_);
    }
    return;
  }
  std::vector<std::string> deletes;
  for (const auto& [remote, record] : records_) {
    DeleteItemRequest d{
        remote,
        {{"key", Attr::s(kWritersKey)}, {"start", Attr::n(static_cast<std::int64_t>(writer_))}},
        {"attribute_not_exists(#f)", {{"#f", "f"}}, {}}};
    deletes.push_back(d.body());
  }
  engine_.run_conditional("DeleteItem", std::move(deletes), "DeleteItem (counts writer)");
  records_.clear();
}

}  // namespace cctv::store::dynamodb
