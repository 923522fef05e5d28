// The DynamoDB store's retention: deleting what it has expired, and
// giving the rest the expires_at of the current settings.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <thread>
#include <unordered_map>

#include "cctv/error.h"
#include "cctv/table.h"
#include "core/bucket.h"
#include "core/coding.h"
#include "core/validate.h"
#include "store/dynamodb/bulk_requests.h"
#include "store/dynamodb/count_items.h"
#include "store/dynamodb/dynamo_store.h"
#include "store/dynamodb/item_codec.h"
#include "store/dynamodb/json_access.h"
#include "store/dynamodb/requests.h"
#include "store/dynamodb/sort_key.h"

namespace cctv::store::dynamodb {

void DynamoStore::reapply_retention(
    const std::string& remote, const std::vector<std::string>& key_attributes,
    const std::function<std::int64_t(const rapidjson::Value&)>& time_of, std::int64_t horizon_s,
    const std::function<std::int64_t(std::int64_t)>& expires) {
  std::vector<std::string> deletes;  // DeleteRequest JSON
  std::vector<std::string> updates;  // UpdateItem bodies
  // The item's key: string or number attributes.
  auto key_of = [&](const rapidjson::Value& item) {
    Attrs key;
    for (const std::string& a : key_attributes) {
      if (has_attribute(item, a.c_str()) && member(item, a.c_str()).HasMember("N")) {
        key.emplace_back(a, Attr::n(n_value(item, a.c_str())));
      } else {
        key.emplace_back(a, Attr::s(s_value(item, a.c_str())));
      }
    }
    return key;
  };
  auto flush_updates = [&] {
    for (const Outcome& o : engine_.run("UpdateItem", std::move(updates))) {
      // A deleted item (TTL got there first) fails its condition: fine.
      if (!o.ok && o.failure != Failure::kConditionFailed) throw engine_.error("UpdateItem", o);
    }
    updates.clear();
  };
  ScanRequest scan;
  scan.table = remote;
  each_page(engine_, scan, [&](const rapidjson::Document& doc) {
    for (const auto& item : array_member(doc, "Items")) {
      const std::int64_t time_s = time_of(item);
      if (time_s < 0) continue;
      if (horizon_s > 0 && time_s < horizon_s) {
        deletes.push_back(attrs_json(key_of(item)));
        continue;
      }
      const std::int64_t want = expires(time_s);
      const std::int64_t has = has_attribute(item, "expires_at") ? n_value(item, "expires_at") : 0;
      if (want == has) continue;
      UpdateItemRequest update;
      update.table = remote;
      update.key = key_of(item);
      update.update =
          want > 0 ? Expression{"SET #e = :e", {{"#e", "expires_at"}}, {{":e", Attr::n(want)}}}
                   : Expression{"REMOVE #e", {{"#e", "expires_at"}}, {}};
      update.condition = {"attribute_exists(#k)", {{"#k", key_attributes.front()}}, {}};
      updates.push_back(update.body());
    }
    if (deletes.size() >= 1000) {
      delete_items(engine_, remote, deletes);
      deletes.clear();
    }
    if (updates.size() >= 1000) flush_updates();
  });
  delete_items(engine_, remote, deletes);
  flush_updates();
}

void DynamoStore::apply_retention(std::string_view name) {
  check_writable("apply retention");
  const auto handle = find_table(name);
  if (!handle) not_found(name);
  const Table t = table(*handle);
  const std::int64_t kept = t.options.retention.count();
  reapply_retention(
      t.remote_name, {"target", "timestamp"},
      [](const rapidjson::Value& item) -> std::int64_t {
        const auto key = parse_sort_key(s_value(item, "timestamp"), s_value(item, "target"));
        return key ? core::floor_div(key->time_us, 1'000'000) : std::int64_t{-1};
      },
      horizon_us(t.options.retention) / 1'000'000,
      [kept](std::int64_t time_s) { return kept > 0 ? time_s + kept : 0; });
  // Count items expire when their bucket ends before the horizon.
  const std::int64_t counts_kept = t.options.counts_retention.count();
  reapply_retention(
      counts_target(t).remote, {"key", "start"},
      [](const rapidjson::Value& item) -> std::int64_t {
        std::int64_t start = 0;
        std::int64_t end = 0;
        // Minute items keep their own expiry, and may hold older minutes.
        if (s_value(item, "key").starts_with("m#") || s_value(item, "key").starts_with("s#"))
          return -1;
        return count_item_span(s_value(item, "key"), n_value(item, "start"), start, end) ? end : -1;
      },
      horizon_us(t.options.counts_retention) / 1'000'000,
      [counts_kept](std::int64_t end_s) { return counts_kept > 0 ? end_s + counts_kept : 0; });
  if (minute_counts_ && t.minutes_from != kMinutesNever && counts_kept > 0) {
    minute_counts_->drop_records_before(counts_target(t).remote,
                                        horizon_us(t.options.counts_retention) / 60'000'000);
  }
}

}  // namespace cctv::store::dynamodb
