// The DynamoDB store's writes: a batch of activities as BatchWriteItem
// requests (conditional PutItem for activities that came with an id).
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <thread>

#include "cctv/error.h"
#include "cctv/table.h"
#include "core/bucket.h"
#include "core/coding.h"
#include "core/hash_index64.h"
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

constexpr std::size_t kItemsPerBatch = 25;  // BatchWriteItem's limit
constexpr int kMaxWritePasses = 4;

}  // namespace

// `sync` asks nothing more: what DynamoDB confirmed is durable.
void DynamoStore::write(const core::RecordBatch& batch, bool /*sync*/) {
  check_writable("record activities");
  if (batch.empty()) return;
  std::shared_lock rebuilding(
      rebuild_mu_);  // a rebuild of counts waits for this write, and it for a rebuild

  // Encode each item once. A batch may hold the same activity twice (a
  // retry, a re-import): BatchWriteItem refuses duplicate keys in one
  // request, and one copy is all that should be stored, so keep the last.
  // Duplicates are found by a 64-bit hash of their key, confirmed against
  // the key itself. The buffers live on, so a
  // steady stream of batches does not fault in fresh pages each time.
  struct Item {
    TableHandle table;
    std::size_t record;
    std::size_t begin;
    std::size_t end;
  };
  thread_local std::string items_json;
  thread_local std::vector<Item> items;
  thread_local core::HashIndex64 by_key;
  items_json.clear();
  items.clear();
  by_key.reset(batch.size());
  std::vector<std::string> remote_names;  // by handle
  std::vector<std::int64_t> retention_s;  // by handle
  {
    std::lock_guard lock(mu_);
    for (const auto& t : tables_) {
      remote_names.push_back(t.remote_name);
      retention_s.push_back(t.options.retention.count());
    }
  }
  // Each target is hashed once, for counting and for each activity's key,
  // which finds duplicates (hashed ahead of the loop that looks them up,
  // so that it can ask for the lookups ahead).
  thread_local std::vector<std::uint64_t> target_hashes;
  thread_local std::vector<std::uint64_t> key_hashes;
  target_hashes.resize(batch.size());
  key_hashes.resize(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const core::RecordView r = batch[i];
    target_hashes[i] = core::actor_hash(r.target);
    std::uint64_t h = target_hashes[i] ^ (static_cast<std::uint64_t>(r.table) << 40);
    for (std::uint64_t v : {static_cast<std::uint64_t>(r.time_us), r.id}) {
      h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    }
    key_hashes[i] = h;
  }
  auto same_key = [&batch](std::size_t a, std::size_t b) {
    const core::RecordView x = batch[a], y = batch[b];
    return x.table == y.table && x.time_us == y.time_us && x.id == y.id && x.target == y.target;
  };
  // Each activity is counted in the layout its table's marker gives its
  // hour. Those counted by the minute are declared first, and either are
  // in an intent of the writer and generation that counts them or (with
  // ids of their own, which another writer may have stored first) carry
  // its tag: were this process killed before it sent their counts, the
  // compactor finds and counts them.
  std::vector<bool> by_minute(batch.size(), false);
  std::vector<std::string> counts_remotes;  // by handle
  std::vector<MinuteCounts::Touch> touched;
  if (options_.counts) {
    for (const std::string& remote : remote_names)
      counts_remotes.push_back(remote + std::string(kCountsSuffix));
    std::uint32_t last_table = UINT32_MAX;
    std::int64_t minutes_from = kMinutesNever;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const core::RecordView r = batch[i];
      if (r.table != last_table) {
        last_table = r.table;
        minutes_from = this->minutes_from(r.table);
      }
      const std::int64_t hour = core::floor_div(r.time_us, core::kHourUs);
      if (hour < minutes_from) continue;
      by_minute[i] = true;
      touched.push_back(
          {&counts_remotes[r.table], r.target, target_hashes[i], hour, r.id, r.supplied_id});
    }
  }
  std::optional<MinuteCounts::WriteTicket> ticket;
  if (!touched.empty()) {
    try {
      ticket = minute_counts_->begin_write(touched);
    } catch (const RequestError& e) {
      // A counts table dropped (by this process or another): the tables
      // are made again, as below when the activities' table is missing,
      // and the writer declares into the new one.
      if (e.failure() != Failure::kTableMissing) throw;
      std::vector<TableHandle> counted;
      for (std::size_t i = 0; i < batch.size(); ++i) {
        if (by_minute[i]) counted.push_back(batch[i].table);
      }
      revive_each(std::move(counted));
      ticket = minute_counts_->begin_write(touched);
    }
  }
  // Whatever becomes of the write, the ticket is given back, naming what
  // may be stored and not counted.
  std::vector<std::string> unsettled;
  struct EndWrite {
    MinuteCounts* counts;
    const std::optional<MinuteCounts::WriteTicket>& ticket;
    std::vector<std::string>& unsettled;
    ~EndWrite() {
      if (ticket) counts->end_write(*ticket, std::move(unsettled));
    }
  } end_write{minute_counts_.get(), ticket, unsettled};
  std::string sort_key;
  const std::string tag_json = ticket ? counts_tag_json(ticket->tag) : std::string();
  for (std::size_t i = 0; i < batch.size(); ++i) {
    // The lookup below is a cache miss with many activities, and each item
    // written in between evicts more: the next ones are asked for ahead.
    constexpr std::size_t kKeyAhead = 2;
    if (i + kKeyAhead < batch.size()) by_key.prefetch(key_hashes[i + kKeyAhead]);
    const core::RecordView r = batch[i];
    const std::size_t begin = items_json.size();
    const std::int64_t kept = retention_s[r.table];
    // Activities with ids of their own carry the tag, and all of a small
    // write's; the others' ids are in the write's intent.
    const bool tagged = by_minute[i] && (r.supplied_id || !ticket->intended);
    append_item(r, kept > 0 ? core::floor_div(r.time_us, 1'000'000) + kept : 0,
                tagged ? std::string_view(tag_json) : std::string_view(), items_json, sort_key);
    const Item item{r.table, i, begin, items_json.size()};
    const auto next = static_cast<std::uint32_t>(items.size());
    const std::uint32_t at = by_key.find_or_insert(key_hashes[i], next);
    if (at == next) {
      items.push_back(item);
    } else if (same_key(items[at].record, i)) {
      items[at] = item;
    } else {
      items.push_back(item);  // another key with the same hash: never seen in practice
    }
  }
  // What became of each item. An activity that came with its id may be
  // stored already (a retry, a re-import): while counting, such items go
  // one to a request, as a PutItem conditional on the item not existing, so
  // that a count is added only for a write that stored something new.
  enum class State : std::uint8_t { kPending, kWritten, kStoredBefore, kRejected };
  std::vector<State> state(items.size(), State::kPending);
  std::vector<bool> conditional(items.size(), false);
  std::vector<std::string> tokens(items.size());  // of each conditional put
  for (std::size_t i = 0; i < items.size(); ++i) {
    conditional[i] = options_.counts && batch[items[i].record].supplied_id;
    if (conditional[i]) tokens[i] = put_tokens_.token_for(put_key(batch[items[i].record]));
  }
  // The counts of what was written for sure: after a failure that the
  // pipeline retries, only the conditional writes (a retry finds them
  // stored already and would not count them).
  auto absorb = [&](bool all) {
    if (!options_.counts) return;
    std::vector<bool> counted_by_target(batch.size(), false);
    std::vector<bool> counted_by_minute(batch.size(), false);
    bool any_by_target = false;
    bool any_by_minute = false;
    for (std::size_t i = 0; i < items.size(); ++i) {
      const std::size_t record = items[i].record;
      if (state[i] == State::kWritten && (all || conditional[i])) {
        (by_minute[record] ? counted_by_minute : counted_by_target)[record] = true;
        (by_minute[record] ? any_by_minute : any_by_target) = true;
      } else if (!all && by_minute[record] &&
                 (state[i] == State::kWritten || state[i] == State::kPending)) {
        // Stored, or maybe stored, and not counted: the pipeline writes it
        // again, and that write counts it.
        unsettled.push_back(put_key(batch[record]));
      }
    }
    if (any_by_target) counts_.absorb(batch, counted_by_target);
    if (any_by_minute) minute_counts_->absorb(batch, counted_by_minute, target_hashes, *ticket);
    // Stored now (or found stored): what an earlier write left unsettled
    // is settled.
    if (all && minute_counts_ && minute_counts_->has_unsettled()) {
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (state[i] == State::kWritten || state[i] == State::kStoredBefore)
          minute_counts_->settle(put_key(batch[items[i].record]));
      }
    }
  };

  std::vector<std::size_t> pending(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) pending[i] = i;
  // Items sent one to a request: those of a request DynamoDB refused as
  // invalid, so that one bad item does not sink its neighbours.
  std::vector<bool> alone(items.size(), false);
  std::size_t rejected = 0;
  std::string rejection;
  // Whatever ends the write early, what conditional writes stored is
  // counted now: the pipeline's retry would find it stored.
  try {
    // The engine retries what waiting mends. A pass ends with the rest: the
    // items of a request refused as invalid go again one to a request, and
    // a table dropped under a live tracker is made again, as the embedded
    // store does. Both happen once per pass, so passes are few.
    for (int pass = 1; !pending.empty(); ++pass) {
      // Up to 25 items per request; items of several tables may share one.
      std::vector<std::vector<std::size_t>> chunks;
      std::vector<std::string> bodies;
      std::vector<std::size_t> shared;
      std::vector<std::string> puts;       // conditional PutItem bodies
      std::vector<std::size_t> put_items;  // the item of each
      for (std::size_t i : pending) {
        if (conditional[i]) {
          // Stored unless an item of that key exists -- one another write
          // stored -- but stored again over one this very write stored
          // (same token), whose answer was lost: so it counts once.
          const Item& item = items[i];
          const std::string marked = with_put_token(
              std::string_view(items_json).substr(item.begin, item.end - item.begin), tokens[i]);
          PutItemRequest put{remote_names[item.table], marked, {}};
          put.condition = {"attribute_not_exists(#t) OR #p = :p",
                           {{"#t", "target"}, {"#p", kPutTokenAttribute}},
                           {{":p", Attr::s(tokens[i])}}};
          puts.push_back(put.body());
          put_items.push_back(i);
        } else if (alone[i]) {
          chunks.push_back({i});
        } else {
          shared.push_back(i);
        }
      }
      for (std::size_t start = 0; start < shared.size(); start += kItemsPerBatch) {
        const auto first = shared.begin() + static_cast<std::ptrdiff_t>(start);
        chunks.emplace_back(first, first + static_cast<std::ptrdiff_t>(
                                               std::min(kItemsPerBatch, shared.size() - start)));
      }
      for (auto& chunk : chunks) {
        std::stable_sort(chunk.begin(), chunk.end(), [&](std::size_t a, std::size_t b) {
          return items[a].table < items[b].table;
        });
        BatchWriteRequest request;
        for (std::size_t i : chunk) {
          const Item& item = items[i];
          request.writes.push_back(
              {remote_names[item.table],
               std::string_view(items_json).substr(item.begin, item.end - item.begin),
               {}});
        }
        bodies.push_back(request.body());
      }

      std::vector<Outcome> outcomes = engine_.run(
          "BatchWriteItem", std::move(bodies),
          [](std::size_t, const rapidjson::Document& a) {
            return resend_unprocessed(a, "BatchWriteItem");
          },
          Patience::kBackground);
      if (!puts.empty()) {
        std::vector<Outcome> put_outcomes =
            engine_.run("PutItem", std::move(puts), {}, Patience::kBackground);
        for (std::size_t k = 0; k < put_outcomes.size(); ++k) {
          chunks.push_back({put_items[k]});
          outcomes.push_back(std::move(put_outcomes[k]));
        }
      }
      std::vector<std::size_t> again;
      std::vector<TableHandle> missing;  // made again once per pass
      std::size_t unwritten = 0;         // items whose requests failed for good
      const Outcome* failure = nullptr;
      for (std::size_t c = 0; c < outcomes.size(); ++c) {
        const Outcome& outcome = outcomes[c];
        if (outcome.ok) {
          for (std::size_t i : chunks[c]) state[i] = State::kWritten;
          continue;
        }
        if (chunks[c].size() == 1 && conditional[chunks[c].front()] &&
            is_retried(outcome.failure)) {
          // Its outcome is unknown: its token is kept for the next write.
          const std::size_t i = chunks[c].front();
          put_tokens_.keep(put_key(batch[items[i].record]), tokens[i]);
        }
        switch (outcome.failure) {
          case Failure::kConditionFailed:
            // A conditional put of an activity stored already.
            state[chunks[c].front()] = State::kStoredBefore;
            break;
          case Failure::kTableMissing:
            for (std::size_t i : chunks[c]) {
              again.push_back(i);
              missing.push_back(items[i].table);
            }
            break;
          case Failure::kGiveUp:
            if (outcome.type == "ValidationException" && chunks[c].size() > 1) {
              for (std::size_t i : chunks[c]) alone[i] = true;  // find the bad one(s)
              again.insert(again.end(), chunks[c].begin(), chunks[c].end());
            } else {
              rejected += chunks[c].size();
              for (std::size_t i : chunks[c]) state[i] = State::kRejected;
              rejection = engine_.error("BatchWriteItem", outcome).what();
            }
            break;
          default:
            // Retried as long as the policy allows: throttled, failing, or
            // refused credentials not renewed. The pipeline keeps the batch
            // and tries it again later (new activities then wait, or are
            // refused by backpressure) rather than dropping what was
            // accepted.
            unwritten += chunks[c].size();
            failure = &outcome;
            break;
        }
      }
      revive_each(std::move(missing));
      if (failure != nullptr) {
        throw StoreError(std::to_string(unwritten) + " activities were not written to " +
                         engine_.where() + ": " + engine_.error("BatchWriteItem", *failure).what());
      }
      if (!again.empty() && pass >= kMaxWritePasses) {
        throw StoreError(std::to_string(again.size()) + " activities were not written to " +
                         engine_.where() + ": their table kept disappearing");
      }
      pending = std::move(again);
    }
  } catch (...) {
    absorb(false);
    throw;
  }
  absorb(true);
  if (rejected > 0) throw WriteRejected(rejection, rejected);
}

void DynamoStore::revive_each(std::vector<TableHandle> handles) {
  std::sort(handles.begin(), handles.end());
  handles.erase(std::unique(handles.begin(), handles.end()), handles.end());
  for (TableHandle h : handles) revive(h);
}

void DynamoStore::revive(TableHandle handle) {
  const Table dropped = table(handle);
  if (describe_remote(dropped.remote_name)) return;
  try {
    create_remote(dropped.remote_name);
  } catch (const RequestError& e) {
    if (e.type() != "ResourceInUseException") throw;
  }
  create_counts_remote(dropped.remote_name + std::string(kCountsSuffix));
  // Made anew: nothing is counted in the per-target layout.
  const bool by_minutes = options_.counts_layout == DynamoOptions::CountsLayout::kMinutes;
  if (by_minutes) write_options(dropped.remote_name, TableOptions{}, kMinutesAlways);
  mark_live(dropped.name, true, TableOptions{}, by_minutes ? kMinutesAlways : kMinutesNever);
}

}  // namespace cctv::store::dynamodb
