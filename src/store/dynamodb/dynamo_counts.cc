#include "store/dynamodb/dynamo_counts.h"

#include <algorithm>
#include <array>
#include <limits>
#include <random>
#include <thread>
#include <unordered_map>

#include "cctv/error.h"
#include "core/bucket.h"
#include "core/busiest.h"
#include "store/dynamodb/bulk_requests.h"
#include "store/dynamodb/count_items.h"

namespace cctv::store::dynamodb {

namespace {

constexpr int kMaxAttempts = 10;
constexpr std::size_t kKeysPerBatchGet = 100;  // BatchGetItem's limit
// Top targets of more hours than this scan the counts table instead of
// querying each hour's partitions.
constexpr std::int64_t kMaxTopHours = std::int64_t{31} * 24;
// Sketches are written every this many rounds (seconds), or sooner when
// this many items wait.
constexpr std::uint64_t kSketchRounds = 10;
constexpr std::size_t kMaxWaitingSketches = 100'000;

std::string random_writer_name() {
  std::random_device device;
  const std::uint64_t id = (static_cast<std::uint64_t>(device()) << 32) ^ device();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string name = "w";
  for (int shift = 60; shift >= 0; shift -= 4) name.push_back(kHex[(id >> shift) & 0xF]);
  return name;
}

std::int64_t width_s(Bucket bucket) { return core::bucket_width_us(bucket) / 1'000'000; }

std::int64_t expiry(std::int64_t bucket_end_s, std::int64_t retention_s) {
  return retention_s > 0 ? bucket_end_s + retention_s : 0;
}

void write_key(Writer& w, std::string_view key, std::int64_t start) {
  w.Key("Key");
  w.StartObject();
  put_s(w, "key", key);
  put_n(w, "start", start);
  w.EndObject();
}

// One (target, hour)'s counts.
struct HourCounts {
  std::int64_t hour = 0;
  std::int64_t total = 0;
  std::vector<std::pair<int, std::int64_t>> minutes;  // (minute of the hour, activities)
};

// An UpdateItem adding `counts` to item (key, start) once: only if the item
// has not seen round `round` of `writer` yet. With `target`, the item is a
// top-target item and also names its target.
std::string count_update(const std::string& remote, std::string_view key, std::int64_t start,
                         const HourCounts& counts, const std::string& writer, std::uint64_t round,
                         std::int64_t expires_at, const std::string* target) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("TableName");
  w.String(remote.c_str());
  write_key(w, key, start);
  std::string expression = "SET #w = :w";
  if (expires_at > 0) expression += ", #e = :e";
  if (target != nullptr) expression += ", #t = :t";
  expression += " ADD #n :n";
  for (const auto& [minute, n] : counts.minutes) {
    const std::string m = minute_attribute(minute);
    expression += ", #" + m + " :" + m;
  }
  w.Key("UpdateExpression");
  w.String(expression.c_str());
  w.Key("ConditionExpression");
  w.String("attribute_not_exists(#w) OR #w < :w");
  w.Key("ExpressionAttributeNames");
  w.StartObject();
  w.Key("#w");
  w.String(writer.c_str());
  w.Key("#n");
  w.String("n");
  if (expires_at > 0) {
    w.Key("#e");
    w.String("expires_at");
  }
  if (target != nullptr) {
    w.Key("#t");
    w.String("t");
  }
  for (const auto& [minute, n] : counts.minutes) {
    const std::string m = minute_attribute(minute);
    w.Key(("#" + m).c_str());
    w.String(m.c_str());
  }
  w.EndObject();
  w.Key("ExpressionAttributeValues");
  w.StartObject();
  put_n(w, ":w", static_cast<std::uint64_t>(round));
  put_n(w, ":n", counts.total);
  if (expires_at > 0) put_n(w, ":e", expires_at);
  if (target != nullptr) put_s(w, ":t", *target);
  for (const auto& [minute, n] : counts.minutes)
    put_n(w, (":" + minute_attribute(minute)).c_str(), n);
  w.EndObject();
  w.EndObject();
  return buffer.GetString();
}

[[noreturn]] void bad_sketch(std::string_view key, std::int64_t start) {
  throw StoreError("a distinct-actor sketch in DynamoDB (key '" + std::string(key) + "', start " +
                   std::to_string(start) + ") is malformed; `cctv counts rebuild` writes it anew");
}

void merge_item_sketch(const rapidjson::Value& item, core::HyperLogLog& into) {
  std::string bytes;
  if (!base64_decode(b_value(item, "s"), bytes) || !into.merge_encoded(bytes)) {
    bad_sketch(s_value(item, "key"), n_value(item, "start"));
  }
}

}  // namespace

DynamoCounts::DynamoCounts(RequestEngine& engine, CreateTable create_table)
    : engine_(engine), create_table_(std::move(create_table)), writer_(random_writer_name()) {}

void DynamoCounts::absorb(const core::RecordBatch& batch, const std::vector<bool>& counted) {
  std::lock_guard lock(mu_);
  core::CountAggregator* aggregator = nullptr;
  std::uint32_t current = UINT32_MAX;
  std::string_view selected;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!counted[i]) continue;
    const core::RecordView r = batch[i];
    if (r.table != current) {
      current = r.table;
      aggregator = &gathering_[r.table];
      selected = {};
    }
    if (selected.data() == nullptr || r.target != selected) {
      aggregator->select(r.target);
      selected = r.target;
    }
    aggregator->add(core::minute_of(r.time_us), r.actor_entry);
  }
}

void DynamoCounts::forget(std::uint32_t table, const std::string& remote) {
  {
    std::lock_guard lock(mu_);
    gathering_.erase(table);
  }
  std::lock_guard write_lock(write_mu_);
  taken_.erase(table);
  for (std::size_t i = unsent_.updates.size(); i-- > 0;) {
    if (unsent_.remotes[i] != remote) continue;
    unsent_.updates.erase(unsent_.updates.begin() + static_cast<std::ptrdiff_t>(i));
    unsent_.remotes.erase(unsent_.remotes.begin() + static_cast<std::ptrdiff_t>(i));
  }
  std::erase_if(unsent_.sketches, [&](const SketchWrite& w) { return w.remote == remote; });
  unsent_.reindex();
}

void DynamoCounts::plan(core::CountAggregator& aggregator, const CountsTarget& where,
                        Round& round) {
  aggregator.summarize([&](const std::string& target, const core::TallySummary& summary) {
    if (!where.live) return;  // dropped meanwhile
    // Minutes come in ascending order: group them by hour.
    std::vector<HourCounts> hours;
    for (const auto& [minute, n] : summary.minutes) {
      const std::int64_t hour = minute / 60;
      if (hours.empty() || hours.back().hour != hour) hours.push_back(HourCounts{hour, 0, {}});
      hours.back().total += n;
      hours.back().minutes.emplace_back(static_cast<int>(minute % 60), n);
    }
    const std::int64_t hash = target_hash(target);
    for (const HourCounts& h : hours) {
      const std::int64_t start = h.hour * 3600;
      const std::int64_t expires_at = expiry(start + 3600, where.retention_s);
      round.updates.push_back(count_update(where.remote, hour_key(target), start, h, writer_,
                                           round_number_, expires_at, nullptr));
      round.remotes.push_back(where.remote);
      if (target.empty()) continue;  // the whole table is no target to rank
      round.updates.push_back(count_update(where.remote,
                                           top_key(h.hour, static_cast<int>(hash % kTopShards)),
                                           hash, h, writer_, round_number_, expires_at, &target));
      round.remotes.push_back(where.remote);
    }
    for (const auto& s : summary.sketches) {
      SketchWrite write{where.remote,
                        sketch_key(s.bucket, target),
                        s.number * width_s(s.bucket),
                        {},
                        expiry((s.number + 1) * width_s(s.bucket), where.retention_s)};
      if (!write.sketch.merge_encoded(s.encoded))
        throw StoreError("a gathered sketch is malformed");
      round.add_sketch(std::move(write));
    }
  });
}

void DynamoCounts::flush(const TableOf& table_of, bool sketches_too) {
  std::lock_guard write_lock(write_mu_);
  if (!unsent_.updates.empty()) send(unsent_, false);
  {
    std::lock_guard lock(mu_);
    std::swap(gathering_, taken_);
  }
  ++round_number_;
  for (auto& [table, aggregator] : taken_) plan(aggregator, table_of(table), unsent_);
  // The aggregators keep their memory for the next round. Sketches wait
  // for their round (merged as they are added), unless many have gathered.
  const bool sketch_round = sketches_too || round_number_ - sketch_round_ >= kSketchRounds ||
                            unsent_.sketches.size() > kMaxWaitingSketches;
  send(unsent_, sketch_round);
}

void DynamoCounts::write_now(core::CountAggregator& aggregator, const CountsTarget& where) {
  std::lock_guard write_lock(write_mu_);
  if (!unsent_.empty()) send(unsent_, true);
  ++round_number_;
  plan(aggregator, where, unsent_);
  send(unsent_, true);
}

void DynamoCounts::send(Round& round, bool sketches_too) {
  send_updates(round);
  if (!sketches_too) return;
  send_sketches(round);
  sketch_round_ = round_number_;
}

void DynamoCounts::send_updates(Round& round) {
  std::string refused;
  for (int attempt = 1; !round.updates.empty(); ++attempt) {
    const std::vector<Outcome> outcomes =
        engine_.run("UpdateItem", round.updates, {}, Patience::kBackground);
    std::vector<std::string> again;
    std::vector<std::string> again_remotes;
    std::string failure;               // of an update the engine retried as long as it could
    std::vector<std::string> missing;  // counts tables to make before the next attempt
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
      const Outcome& o = outcomes[i];
      // A failed condition: this round reached the item already.
      if (o.ok || o.failure == Failure::kConditionFailed) continue;
      if (o.failure == Failure::kTableMissing) {
        if (std::find(missing.begin(), missing.end(), round.remotes[i]) == missing.end()) {
          missing.push_back(round.remotes[i]);
        }
      } else if (o.failure == Failure::kGiveUp) {
        // Sending it again cannot help: report it, do not keep it.
        refused = engine_.error("UpdateItem (counts)", o).what();
        continue;
      } else {
        failure = engine_.error("UpdateItem (counts)", o).what();
      }
      again.push_back(std::move(round.updates[i]));
      again_remotes.push_back(std::move(round.remotes[i]));
    }
    round.updates = std::move(again);
    round.remotes = std::move(again_remotes);
    // Only now, with the round whole again: making a table may throw.
    for (const std::string& remote : missing) {
      if (create_table_(remote)) continue;
      // Its table was dropped: its counts go with it.
      for (std::size_t i = round.updates.size(); i-- > 0;) {
        if (round.remotes[i] != remote) continue;
        round.updates.erase(round.updates.begin() + static_cast<std::ptrdiff_t>(i));
        round.remotes.erase(round.remotes.begin() + static_cast<std::ptrdiff_t>(i));
      }
    }
    if (round.updates.empty()) break;
    if (!failure.empty() || attempt >= kMaxAttempts) {
      throw StoreError(std::to_string(round.updates.size()) +
                       " count updates were not written to " + engine_.where() +
                       " (kept, sent again with the next flush); last: " +
                       (failure.empty() ? "its counts table kept disappearing" : failure));
    }
  }
  if (!refused.empty()) throw StoreError("DynamoDB refused a count update: " + refused);
}

void DynamoCounts::Round::add_sketch(SketchWrite write) {
  auto [it, inserted] =
      sketch_index.emplace(std::tuple{write.remote, write.key, write.start}, sketches.size());
  if (inserted) {
    sketches.push_back(std::move(write));
  } else {
    sketches[it->second].sketch.merge(write.sketch);
  }
}

void DynamoCounts::Round::reindex() {
  sketch_index.clear();
  for (std::size_t i = 0; i < sketches.size(); ++i) {
    sketch_index.emplace(std::tuple{sketches[i].remote, sketches[i].key, sketches[i].start}, i);
  }
}

void DynamoCounts::send_sketches(Round& round) {
  // What is left in `round.sketches` at the end, written or not, is found
  // by its index again.
  struct Reindex {
    Round& round;
    ~Reindex() { round.reindex(); }
  } reindex{round};
  std::string refused;
  for (int attempt = 1; !round.sketches.empty(); ++attempt) {
    // Read what is stored, by (table, key, start).
    struct Stored {
      std::string encoded;
      std::int64_t version;
    };
    std::map<std::tuple<std::string, std::string, std::int64_t>, Stored> stored;
    std::vector<std::size_t> to_read(round.sketches.size());
    for (std::size_t i = 0; i < to_read.size(); ++i) to_read[i] = i;
    std::vector<std::string> missing;  // counts tables to make before the next attempt
    auto note_missing_table = [&](const std::string& remote) {
      if (std::find(missing.begin(), missing.end(), remote) == missing.end())
        missing.push_back(remote);
    };
    // Makes the missing tables, once `round` is whole; drops the sketches
    // of tables that were dropped.
    auto make_missing_tables = [&] {
      for (const std::string& remote : missing) {
        if (create_table_(remote)) continue;
        std::erase_if(round.sketches, [&](const SketchWrite& w) { return w.remote == remote; });
      }
      missing.clear();
    };
    {
      std::vector<std::string> bodies;
      std::vector<std::vector<std::size_t>> chunks;
      for (std::size_t begin = 0; begin < to_read.size(); begin += kKeysPerBatchGet) {
        const std::size_t end = std::min(to_read.size(), begin + kKeysPerBatchGet);
        chunks.emplace_back(to_read.begin() + static_cast<std::ptrdiff_t>(begin),
                            to_read.begin() + static_cast<std::ptrdiff_t>(end));
        // Keys of one request may span tables.
        std::map<std::string, std::vector<std::size_t>> by_table;
        for (std::size_t i : chunks.back()) by_table[round.sketches[i].remote].push_back(i);
        rapidjson::StringBuffer buffer;
        Writer w(buffer);
        w.StartObject();
        w.Key("RequestItems");
        w.StartObject();
        for (const auto& [remote, items] : by_table) {
          w.Key(remote.c_str());
          w.StartObject();
          w.Key("ConsistentRead");
          w.Bool(true);
          w.Key("Keys");
          w.StartArray();
          for (std::size_t i : items) {
            w.StartObject();
            put_s(w, "key", round.sketches[i].key);
            put_n(w, "start", round.sketches[i].start);
            w.EndObject();
          }
          w.EndArray();
          w.EndObject();
        }
        w.EndObject();
        w.EndObject();
        bodies.emplace_back(buffer.GetString());
      }
      // Each answer, and each answer to a follow-up for keys DynamoDB did
      // not get to, adds what it holds.
      const std::vector<Outcome> outcomes = engine_.run(
          "BatchGetItem", std::move(bodies),
          [&](std::size_t, const rapidjson::Document& doc) {
            for (const auto& table : object_member(doc, "Responses").GetObject()) {
              const std::string remote(table.name.GetString(), table.name.GetStringLength());
              if (!table.value.IsArray()) throw StoreError("BatchGetItem: Responses is malformed");
              for (const auto& item : table.value.GetArray()) {
                stored[{remote, std::string(s_value(item, "key")), n_value(item, "start")}] =
                    Stored{std::string(b_value(item, "s")), n_value(item, "v")};
              }
            }
            return resend_unprocessed(doc, "BatchGetItem");
          },
          Patience::kBackground);
      for (std::size_t c = 0; c < outcomes.size(); ++c) {
        const Outcome& o = outcomes[c];
        if (o.ok) continue;
        if (o.failure != Failure::kTableMissing) {
          throw StoreError(
              "distinct-actor sketches could not be read (kept, sent again with the "
              "next flush): " +
              std::string(engine_.error("BatchGetItem (sketches)", o).what()));
        }
        for (std::size_t i : chunks[c]) note_missing_table(round.sketches[i].remote);
      }
      if (!missing.empty()) {
        make_missing_tables();
        continue;  // the indices changed: read again
      }
    }

    // Merge and write back, each write conditional on the version read.
    std::vector<std::string> bodies;
    std::vector<std::size_t> written;  // the sketch of each body
    std::string encoded;
    for (std::size_t i = 0; i < round.sketches.size(); ++i) {
      const SketchWrite& s = round.sketches[i];
      core::HyperLogLog merged = s.sketch;
      const auto it = stored.find({s.remote, s.key, s.start});
      if (it != stored.end()) {
        std::string bytes;
        if (!base64_decode(it->second.encoded, bytes) || !merged.merge_encoded(bytes))
          bad_sketch(s.key, s.start);
      }
      encoded.clear();
      merged.encode(encoded);
      const std::string encoded64 = base64_encode(encoded);
      if (it != stored.end() && encoded64 == it->second.encoded) continue;  // nothing new
      rapidjson::StringBuffer buffer;
      Writer w(buffer);
      w.StartObject();
      w.Key("TableName");
      w.String(s.remote.c_str());
      w.Key("Item");
      w.StartObject();
      put_s(w, "key", s.key);
      put_n(w, "start", s.start);
      w.Key("s");
      w.StartObject();
      w.Key("B");
      w.String(encoded64.c_str(), static_cast<rapidjson::SizeType>(encoded64.size()));
      w.EndObject();
      put_n(w, "v", it == stored.end() ? std::int64_t{1} : it->second.version + 1);
      if (s.expires_at > 0) put_n(w, "expires_at", s.expires_at);
      w.EndObject();
      w.Key("ConditionExpression");
      w.String(it == stored.end() ? "attribute_not_exists(#v)" : "#v = :v");
      w.Key("ExpressionAttributeNames");
      w.StartObject();
      w.Key("#v");
      w.String("v");
      w.EndObject();
      if (it != stored.end()) {
        w.Key("ExpressionAttributeValues");
        w.StartObject();
        put_n(w, ":v", it->second.version);
        w.EndObject();
      }
      w.EndObject();
      bodies.emplace_back(buffer.GetString());
      written.push_back(i);
    }
    const std::vector<Outcome> outcomes =
        engine_.run("PutItem", std::move(bodies), {}, Patience::kBackground);
    std::vector<SketchWrite> again;
    std::string failure;  // of a write the engine retried as long as it could
    for (std::size_t k = 0; k < outcomes.size(); ++k) {
      const Outcome& o = outcomes[k];
      if (o.ok) continue;
      SketchWrite& s = round.sketches[written[k]];
      if (o.failure == Failure::kTableMissing) {
        note_missing_table(s.remote);
      } else if (o.failure == Failure::kGiveUp) {
        refused = engine_.error("PutItem (sketch)", o).what();
        continue;
      } else if (o.failure != Failure::kConditionFailed) {
        failure = engine_.error("PutItem (sketch)", o).what();
      }
      // A failed condition: another writer got there first; read its
      // sketch and merge again.
      again.push_back(std::move(s));
    }
    round.sketches = std::move(again);
    make_missing_tables();
    if (round.sketches.empty()) break;
    if (!failure.empty() || attempt >= kMaxAttempts) {
      throw StoreError(std::to_string(round.sketches.size()) +
                       " distinct-actor sketches were not written to " + engine_.where() +
                       " after " + std::to_string(attempt) +
                       " rounds (kept, sent again with the next flush); last: " +
                       (failure.empty() ? "other writers kept changing them" : failure));
    }
  }
  if (!refused.empty()) throw StoreError("DynamoDB refused a distinct-actor sketch: " + refused);
}

void DynamoCounts::query_all(const std::string& remote,
                             const std::function<void(Writer&)>& conditions,
                             const std::function<void(const rapidjson::Value&)>& visit) {
  each_item("Query", remote, conditions, visit);
}

void DynamoCounts::each_item(const char* operation, const std::string& remote,
                             const std::function<void(Writer&)>& conditions,
                             const std::function<void(const rapidjson::Value&)>& visit) {
  each_page(
      engine_, operation,
      [&](std::string_view start_after) {
        rapidjson::StringBuffer buffer;
        Writer w(buffer);
        w.StartObject();
        w.Key("TableName");
        w.String(remote.c_str());
        w.Key("ConsistentRead");
        w.Bool(true);
        conditions(w);
        if (!start_after.empty()) {
          w.Key("ExclusiveStartKey");
          w.RawValue(start_after.data(), start_after.size(), rapidjson::kObjectType);
        }
        w.EndObject();
        return std::string(buffer.GetString());
      },
      [&](const rapidjson::Document& doc) {
        for (const auto& item : array_member(doc, "Items")) visit(item);
      });
}

namespace {

// KeyConditionExpression for items of `key` with start in [lo, hi].
std::function<void(Writer&)> key_between(std::string key, std::int64_t lo, std::int64_t hi) {
  return [key = std::move(key), lo, hi](Writer& w) {
    w.Key("KeyConditionExpression");
    w.String("#k = :k AND #st BETWEEN :lo AND :hi");
    w.Key("ExpressionAttributeNames");
    w.StartObject();
    w.Key("#k");
    w.String("key");
    w.Key("#st");
    w.String("start");
    w.EndObject();
    w.Key("ExpressionAttributeValues");
    w.StartObject();
    put_s(w, ":k", key);
    put_n(w, ":lo", lo);
    put_n(w, ":hi", hi);
    w.EndObject();
  };
}

}  // namespace

std::vector<std::int64_t> DynamoCounts::counts(const std::string& remote, std::string_view target,
                                               Bucket bucket, std::int64_t first, std::size_t n) {
  std::vector<std::int64_t> out(n, 0);
  if (n == 0) return out;
  const std::int64_t last = first + static_cast<std::int64_t>(n) - 1;
  const std::int64_t per_hour = bucket == Bucket::kMinute ? 60 : 1;
  const std::int64_t first_hour = core::floor_div(first, per_hour);
  const std::int64_t last_hour = core::floor_div(last, per_hour);
  query_all(remote, key_between(hour_key(target), first_hour * 3600, last_hour * 3600),
            [&](const rapidjson::Value& item) {
              const std::int64_t hour = core::floor_div(n_value(item, "start"), 3600);
              if (bucket == Bucket::kHour) {
                if (hour >= first && hour <= last)
                  out[static_cast<std::size_t>(hour - first)] = n_value(item, "n");
                return;
              }
              for_each_minute(item, [&](int m, std::int64_t count) {
                const std::int64_t minute = hour * 60 + m;
                if (minute >= first && minute <= last)
                  out[static_cast<std::size_t>(minute - first)] = count;
              });
            });
  return out;
}

std::vector<core::HyperLogLog> DynamoCounts::sketches(const std::string& remote,
                                                      std::string_view target, Bucket bucket,
                                                      std::int64_t first, std::size_t n) {
  std::vector<core::HyperLogLog> out(n);
  if (n == 0) return out;
  const std::int64_t last = first + static_cast<std::int64_t>(n) - 1;
  // A day's sketch is the union of its hours' (core/count_aggregator.h).
  const Bucket stored = bucket == Bucket::kDay ? Bucket::kHour : bucket;
  const std::int64_t per = bucket == Bucket::kDay ? 24 : 1;
  const std::int64_t w = width_s(stored);
  query_all(remote,
            key_between(sketch_key(stored, target), first * per * w, ((last + 1) * per - 1) * w),
            [&](const rapidjson::Value& item) {
              const std::int64_t number =
                  core::floor_div(core::floor_div(n_value(item, "start"), w), per);
              if (number >= first && number <= last)
                merge_item_sketch(item, out[static_cast<std::size_t>(number - first)]);
            });
  return out;
}

std::vector<TargetCount> DynamoCounts::top_targets(const std::string& remote,
                                                   std::int64_t from_minute, std::int64_t to_minute,
                                                   std::size_t limit) {
  std::unordered_map<std::string, std::int64_t> totals;
  // Adds a top-target item of `hour` to the totals.
  auto add_item = [&](std::int64_t hour, const rapidjson::Value& item) {
    if ((hour + 1) * 60 <= from_minute || hour * 60 >= to_minute) return;
    std::int64_t& total = totals[std::string(s_value(item, "t"))];
    if (hour * 60 >= from_minute && (hour + 1) * 60 <= to_minute) {
      total += n_value(item, "n");
      return;
    }
    for_each_minute(item, [&](int m, std::int64_t count) {
      const std::int64_t minute = hour * 60 + m;
      if (minute >= from_minute && minute < to_minute) total += count;
    });
  };
  const std::int64_t hours = from_minute < to_minute ? core::floor_div(to_minute - 1, 60) -
                                                           core::floor_div(from_minute, 60) + 1
                                                     : 0;
  if (hours > kMaxTopHours) {
    // A long range: one pass over the counts table costs less than a
    // query per hour and shard.
    scan_all(remote, "begins_with(#k, :p)", "H#", [&](const rapidjson::Value& item) {
      std::int64_t span_start = 0;
      std::int64_t span_end = 0;
      if (count_item_span(s_value(item, "key"), n_value(item, "start"), span_start, span_end)) {
        add_item(span_start / 3600, item);
      }
    });
  } else if (hours > 0) {
    // Every top-target item of every hour the range touches, partition by
    // partition, all partitions at once.
    struct Partition {
      std::int64_t hour;
      int shard;
    };
    std::vector<Partition> partitions;
    for (std::int64_t h = core::floor_div(from_minute, 60); h * 60 < to_minute; ++h) {
      for (int s = 0; s < kTopShards; ++s) partitions.push_back(Partition{h, s});
    }
    auto page = [&](const Partition& p, const rapidjson::Value* last_key) {
      rapidjson::StringBuffer buffer;
      Writer w(buffer);
      w.StartObject();
      w.Key("TableName");
      w.String(remote.c_str());
      w.Key("ConsistentRead");
      w.Bool(true);
      // Every target of the partition: their hashes are 0..INT64_MAX.
      key_between(top_key(p.hour, p.shard), 0, std::numeric_limits<std::int64_t>::max())(w);
      if (last_key != nullptr) {
        w.Key("ExclusiveStartKey");
        last_key->Accept(w);
      }
      w.EndObject();
      return std::string(buffer.GetString());
    };
    std::vector<std::string> bodies;
    for (const Partition& p : partitions) bodies.push_back(page(p, nullptr));
    const std::vector<Outcome> outcomes =
        engine_.run("Query", std::move(bodies),
                    [&](std::size_t i, const rapidjson::Document& doc) -> std::optional<FollowUp> {
                      for (const auto& item : array_member(doc, "Items"))
                        add_item(partitions[i].hour, item);
                      auto lek = doc.FindMember("LastEvaluatedKey");
                      if (lek == doc.MemberEnd()) return std::nullopt;
                      return FollowUp{page(partitions[i], &lek->value), false};
                    });
    for (const Outcome& o : outcomes) {
      if (o.ok) continue;
      if (o.failure == Failure::kTableMissing) return {};  // no counts table: nothing counted
      throw engine_.error("Query (top targets)", o);
    }
  }
  std::vector<TargetCount> out;
  out.reserve(totals.size());
  for (auto& [target, n] : totals) {
    if (n > 0) out.push_back(TargetCount{target, n});
  }
  core::keep_busiest(out, limit);
  return out;
}

void DynamoCounts::scan_all(const std::string& remote, const char* filter, std::string_view prefix,
                            const std::function<void(const rapidjson::Value&)>& visit) {
  auto conditions = [&](Writer& w) {
    if (filter == nullptr) return;
    w.Key("FilterExpression");
    w.String(filter);
    w.Key("ExpressionAttributeNames");
    w.StartObject();
    w.Key("#k");
    w.String("key");
    w.EndObject();
    w.Key("ExpressionAttributeValues");
    w.StartObject();
    put_s(w, ":p", prefix);
    w.EndObject();
  };
  try {
    each_item("Scan", remote, conditions, visit);
  } catch (const RequestError& e) {
    if (e.type() != "ResourceNotFoundException") throw;  // no counts table: nothing counted
  }
}

void DynamoCounts::erase_days(const std::string& remote, std::int64_t first_day,
                              std::int64_t end_day) {
  const std::int64_t from_s = first_day * 86400;
  const std::int64_t to_s = end_day * 86400;
  // Every item counting time in those days. A scan: the days may be many
  // and their targets unknown, and a rebuild is rare.
  std::vector<std::string> doomed;  // their keys, as JSON
  scan_all(remote, nullptr, "", [&](const rapidjson::Value& item) {
    const std::string_view key = s_value(item, "key");
    const std::int64_t start = n_value(item, "start");
    std::int64_t span_start = 0;
    std::int64_t span_end = 0;
    // Items of this layout only: a table moved to the minutes layout holds
    // that layout's items too.
    if (is_per_target_item(key) && count_item_span(key, start, span_start, span_end) &&
        span_start >= from_s && span_end <= to_s) {
      rapidjson::StringBuffer buffer;
      Writer w(buffer);
      w.StartObject();
      put_s(w, "key", key);
      put_n(w, "start", start);
      w.EndObject();
      doomed.emplace_back(buffer.GetString());
    }
  });
  delete_items(engine_, remote, doomed);
}

}  // namespace cctv::store::dynamodb
