// The DynamoDB store's tables: listing, finding, creating, describing,
// changing and dropping them, and their settings in the counts table.
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

namespace {

std::string table_body(const std::string& remote_name) { return TableRequest{remote_name}.body(); }

constexpr auto kTableWaitLimit = std::chrono::minutes(10);

// "target HASH, timestamp RANGE" from a KeySchema array.
std::string key_schema_text(const rapidjson::Value& schema) {
  std::string out;
  if (!schema.IsArray()) return out;
  for (const auto& k : schema.GetArray()) {
    if (!out.empty()) out += ", ";
    out += string_member(k, "AttributeName") + " " + string_member(k, "KeyType");
  }
  return out;
}

bool is_our_index(const rapidjson::Value& index) {
  return string_member(index, "IndexName") == kActorIndex &&
         key_schema_text(member(index, "KeySchema")) == "actor HASH, timestamp RANGE";
}

bool has_actor_index(const rapidjson::Value& table) {
  auto it = table.FindMember("GlobalSecondaryIndexes");
  if (it == table.MemberEnd() || !it->value.IsArray()) return false;
  return std::any_of(it->value.Begin(), it->value.End(), is_our_index);
}

}  // namespace

namespace {

// The key of a counts table's meta item.
Attrs meta_key() { return {{"key", Attr::s(kMetaKey)}, {"start", Attr::n(0)}}; }

}  // namespace

DynamoStore::Meta DynamoStore::read_meta(const std::string& remote_name) {
  const GetItemRequest get{remote_name + std::string(kCountsSuffix), meta_key(), true};
  Meta meta;
  rapidjson::Document doc;
  try {
    doc = engine_.call("GetItem", get.body());
  } catch (const RequestError& e) {
    if (e.type() != "ResourceNotFoundException") throw;
    meta.counts_table = false;  // a table the 2014 gem made
    return meta;
  }
  const rapidjson::Document& answer = doc;
  const auto item = answer.FindMember("Item");
  if (item == answer.MemberEnd()) return meta;
  if (has_attribute(item->value, "retention_s")) {
    meta.options.retention = std::chrono::seconds(n_value(item->value, "retention_s"));
  }
  if (has_attribute(item->value, "counts_retention_s")) {
    meta.options.counts_retention =
        std::chrono::seconds(n_value(item->value, "counts_retention_s"));
  }
  if (has_attribute(item->value, "minutes_from")) {
    meta.minutes_from = n_value(item->value, "minutes_from");
  }
  return meta;
}

void DynamoStore::write_options(const std::string& remote_name, const TableOptions& options,
                                std::optional<std::int64_t> minutes_from) {
  UpdateItemRequest update;
  update.table = remote_name + std::string(kCountsSuffix);
  update.key = meta_key();
  update.update = {"SET #r = :r, #c = :c",
                   {{"#r", "retention_s"}, {"#c", "counts_retention_s"}},
                   {{":r", Attr::n(options.retention.count())},
                    {":c", Attr::n(options.counts_retention.count())}}};
  if (minutes_from) {
    update.update.text += ", #m = :m";
    update.update.names.emplace_back("#m", "minutes_from");
    update.update.values.emplace_back(":m", Attr::n(*minutes_from));
  }
  try {
    engine_.call("UpdateItem", update.body());
  } catch (const RequestError& e) {
    if (e.type() != "ResourceNotFoundException") throw;
    create_counts_remote(remote_name + std::string(kCountsSuffix));
    engine_.call("UpdateItem", update.body());
  }
}

std::int64_t DynamoStore::counts_layout_of(const std::string& remote_name, const Meta& meta) {
  if (meta.minutes_from) return *meta.minutes_from;
  if (options_.counts_layout != DynamoOptions::CountsLayout::kMinutes || read_only_ ||
      !options_.counts) {
    return kMinutesNever;
  }
  const std::string counts = remote_name + std::string(kCountsSuffix);
  // A table without counts (the 2014 gem's) has nothing in the per-target
  // layout, nor has one the minutes layout counted before markers were
  // kept (its compactor's progress item is there). Any other moves at the
  // hour after next: every process writing to it has an hour to start
  // with this marker (one that does not writes per-target counts the
  // minutes layout does not read; `cctv counts rebuild` recounts them).
  std::int64_t from = now_us() / core::kHourUs + 2;
  if (!meta.counts_table) {
    from = kMinutesAlways;
  } else {
    const GetItemRequest progress{
        counts, {{"key", Attr::s(kProgressKey)}, {"start", Attr::n(0)}}, true};
    if (engine_.call("GetItem", progress.body()).HasMember("Item")) from = kMinutesAlways;
  }
  UpdateItemRequest mark;
  mark.table = counts;
  mark.key = meta_key();
  mark.update = {"SET #m = :m", {{"#m", "minutes_from"}}, {{":m", Attr::n(from)}}};
  // The first process to move the table sets the hour; the others read it.
  mark.condition = {"attribute_not_exists(#m)", {}, {}};
  if (!meta.counts_table) create_counts_remote(counts);
  const std::vector<Outcome> outcomes = engine_.run("UpdateItem", {mark.body()});
  if (outcomes.front().ok) {
    spdlog::info("DynamoDB table '{}' in {}: counts of hours from {} on are kept by the minute",
                 remote_name, engine_.where(),
                 from == kMinutesAlways
                     ? std::string("the first")
                     : format_time(Timestamp(Microseconds(from * core::kHourUs))));
    return from;
  }
  if (outcomes.front().failure != Failure::kConditionFailed)
    throw engine_.error("UpdateItem (counts layout marker)", outcomes.front());
  const Meta now_set = read_meta(remote_name);
  return now_set.minutes_from.value_or(kMinutesNever);
}

void DynamoStore::enable_ttl(const std::string& remote_name) {
  try {
    engine_.call("UpdateTimeToLive", UpdateTimeToLiveRequest{remote_name, "expires_at"}.body());
  } catch (const RequestError& e) {
    // Already on (DynamoDB refuses to turn it on twice).
    if (e.type() == "ValidationException" &&
        std::string_view(e.what()).find("already enabled") != std::string::npos) {
      return;
    }
    if (e.type() != "UnknownOperationException" && e.type() != "ValidationException") throw;
    const std::string why = e.type() == "UnknownOperationException"
                                ? "the engine has no UpdateTimeToLive"
                                : e.message();
    spdlog::warn(
        "DynamoDB table '{}' in {} cannot expire items by itself ({}): what retention expires is "
        "hidden "
        "at once, but stays stored until retention is applied (Client::apply_retention; `cctv "
        "tables set "
        "NAME --apply`)",
        remote_name, engine_.where(), why);
  }
}

void DynamoStore::wait_until_active(const std::string& remote_name) {
  const auto deadline = std::chrono::steady_clock::now() + kTableWaitLimit;
  auto pause = std::chrono::milliseconds(20);
  for (;;) {
    const rapidjson::Document doc = engine_.call("DescribeTable", table_body(remote_name));
    const rapidjson::Value& t = object_member(doc, "Table");
    bool active = string_member(t, "TableStatus") == "ACTIVE";
    if (auto gsi = t.FindMember("GlobalSecondaryIndexes");
        gsi != t.MemberEnd() && gsi->value.IsArray()) {
      for (const auto& index : gsi->value.GetArray()) {
        active = active && string_member(index, "IndexStatus") != "CREATING";
      }
    }
    if (active) return;
    if (std::chrono::steady_clock::now() > deadline) {
      throw StoreError("table '" + remote_name + "' in " + engine_.where() +
                       " did not become ACTIVE within 10 minutes");
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(1000));
  }
}

std::optional<rapidjson::Document> DynamoStore::describe_remote(const std::string& remote_name) {
  rapidjson::Document doc;
  try {
    doc = engine_.call("DescribeTable", table_body(remote_name));
  } catch (const RequestError& e) {
    if (e.type() == "ResourceNotFoundException") return std::nullopt;
    throw;
  }
  const rapidjson::Value& t = object_member(doc, "Table");
  const std::string schema = key_schema_text(member(t, "KeySchema"));
  if (schema != "target HASH, timestamp RANGE") {
    throw StoreError("DynamoDB table '" + remote_name + "' in " + engine_.where() +
                     " has the key schema (" + schema +
                     "), not cctv's (target HASH, timestamp RANGE); nothing was written. Use "
                     "another table name, or a table_prefix");
  }
  const std::string status = string_member(t, "TableStatus");
  if (status == "DELETING") return std::nullopt;
  if (status != "ACTIVE") {
    wait_until_active(remote_name);
    return describe_remote(remote_name);
  }
  return doc;
}

std::vector<std::string> DynamoStore::list_tables() {
  std::vector<std::string> names;
  std::string start;
  for (;;) {
    const rapidjson::Document doc = engine_.call("ListTables", ListTablesRequest{start}.body());
    if (auto it = doc.FindMember("TableNames"); it != doc.MemberEnd() && it->value.IsArray()) {
      for (const auto& n : it->value.GetArray()) {
        const std::string remote = n.GetString();
        if (remote.rfind(options_.table_prefix, 0) != 0) continue;
        std::string name = remote.substr(options_.table_prefix.size());
        if (is_valid_table_name(name) && !name.ends_with(kCountsSuffix))
          names.push_back(std::move(name));
      }
    }
    start = string_member(doc, "LastEvaluatedTableName");
    if (start.empty()) break;
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::optional<TableHandle> DynamoStore::find_table(std::string_view name) {
  {
    std::lock_guard lock(mu_);
    auto it = handles_.find(name);
    if (it != handles_.end() && tables_[it->second].live) return it->second;
  }
  const std::string remote = options_.table_prefix + std::string(name);
  const auto doc = describe_remote(remote);
  if (!doc) return std::nullopt;
  const Meta meta = read_meta(remote);
  mark_live(name, has_actor_index(object_member(*doc, "Table")), meta.options,
            counts_layout_of(remote, meta));
  std::lock_guard lock(mu_);
  return handles_.find(name)->second;
}

namespace {

// CreateTable's request: an activities table (target HASH, timestamp
// RANGE, the actor index) or a counts table (key HASH, start RANGE).
std::string create_table_request(const std::string& remote_name, bool counts,
                                 const DynamoOptions& options) {
  CreateTableRequest create;
  create.table = remote_name;
  if (counts) {
    create.key = {"key", "start"};
    create.attributes = {{"key", 'S'}, {"start", 'N'}};
  } else {
    create.key = {"target", "timestamp"};
    create.attributes = {{"target", 'S'}, {"timestamp", 'S'}, {"actor", 'S'}};
    create.index = {kActorIndex, KeySchema{"actor", "timestamp"}};
  }
  create.provisioned = options.billing == Billing::kProvisioned;
  create.read_capacity = options.read_capacity;
  create.write_capacity = options.write_capacity;
  return create.body();
}

}  // namespace

void DynamoStore::create_remote(const std::string& remote_name) {
  engine_.call("CreateTable", create_table_request(remote_name, false, options_));
  wait_until_active(remote_name);
}

bool DynamoStore::create_counts_if_live(const std::string& remote) {
  {
    std::lock_guard lock(mu_);
    const bool live = std::any_of(tables_.begin(), tables_.end(), [&](const Table& t) {
      return t.live && t.remote_name + std::string(kCountsSuffix) == remote;
    });
    if (!live) return false;
  }
  create_counts_remote(remote);
  return true;
}

void DynamoStore::create_counts_remote(const std::string& remote) {
  try {
    engine_.call("CreateTable", create_table_request(remote, true, options_));
  } catch (const RequestError& e) {
    if (e.type() != "ResourceInUseException") throw;
  }
  wait_until_active(remote);
}

TableHandle DynamoStore::create_table(std::string_view name, const TableOptions& table_options) {
  check_writable("create a table");
  if (name.ends_with(kCountsSuffix)) {
    throw InvalidArgument("table name",
                          "'" + std::string(name) + "' ends in '" + std::string(kCountsSuffix) +
                              "', which on DynamoDB names the table keeping another table's "
                              "counts; choose another name");
  }
  const std::string remote = options_.table_prefix + std::string(name);
  if (remote.size() + kCountsSuffix.size() > 255) {
    throw InvalidArgument("table name", "'" + remote + "' (with the table prefix) is over " +
                                            std::to_string(255 - kCountsSuffix.size()) +
                                            " characters (its counts table adds '" +
                                            std::string(kCountsSuffix) + "' to DynamoDB's 255)");
  }
  try {
    create_remote(remote);
  } catch (const RequestError& e) {
    if (e.type() == "ResourceInUseException") {
      throw AlreadyExists("table '" + std::string(name) + "' (DynamoDB table '" + remote +
                          "') already exists in " + engine_.where());
    }
    throw;
  }
  const std::string counts = remote + std::string(kCountsSuffix);
  create_counts_remote(counts);
  // A table made now has nothing counted in the per-target layout.
  const bool by_minutes = options_.counts_layout == DynamoOptions::CountsLayout::kMinutes;
  if (table_options != TableOptions{} || by_minutes) {
    write_options(remote, table_options,
                  by_minutes ? std::optional<std::int64_t>(kMinutesAlways) : std::nullopt);
  }
  if (table_options.retention.count() > 0) enable_ttl(remote);
  if (table_options.counts_retention.count() > 0) enable_ttl(counts);
  mark_live(name, true, table_options, by_minutes ? kMinutesAlways : kMinutesNever);
  std::lock_guard lock(mu_);
  return handles_.find(name)->second;
}

TableInfo DynamoStore::describe_table(std::string_view name) {
  const std::string remote = options_.table_prefix + std::string(name);
  const auto doc = describe_remote(remote);
  if (!doc) not_found(name);
  const rapidjson::Value& t = object_member(*doc, "Table");
  TableInfo info;
  info.name = std::string(name);
  // Each read in a range that the conversion cannot overflow.
  if (const auto created = number_member(t, "CreationDateTime");
      created && *created >= 0 && *created < 1e10) {
    info.created = Timestamp(Microseconds(static_cast<std::int64_t>(*created * 1e6)));
  }
  if (const auto items = number_member(t, "ItemCount"); items && *items >= 0 && *items < 1e18) {
    info.approximate_activities = static_cast<std::uint64_t>(*items);
  }
  if (const auto bytes = number_member(t, "TableSizeBytes");
      bytes && *bytes >= 0 && *bytes < 1e18) {
    info.approximate_bytes = static_cast<std::uint64_t>(*bytes);
  }
  info.has_actor_index = has_actor_index(t);
  info.details.emplace_back("DynamoDB table", remote);
  info.details.emplace_back("where", engine_.where());
  info.details.emplace_back("status", string_member(t, "TableStatus"));
  info.details.emplace_back("key schema", key_schema_text(member(t, "KeySchema")));
  info.details.emplace_back(
      "indexes", info.has_actor_index ? "actor-index (actor HASH, timestamp RANGE, projection ALL)"
                                      : "no actor-index: views by actor need it; add it with: " +
                                            add_index_command(remote));
  std::string billing = "PROVISIONED";
  if (auto it = t.FindMember("BillingModeSummary"); it != t.MemberEnd() && it->value.IsObject()) {
    billing = string_member(it->value, "BillingMode");
  }
  if (billing != "PAY_PER_REQUEST") {
    if (auto it = t.FindMember("ProvisionedThroughput");
        it != t.MemberEnd() && it->value.IsObject()) {
      const auto r = number_member(it->value, "ReadCapacityUnits");
      const auto w = number_member(it->value, "WriteCapacityUnits");
      const auto whole = [](double units) {
        return std::to_string(static_cast<std::int64_t>(std::clamp(units, 0.0, 1e15)));
      };
      if (r && w) billing += " (" + whole(*r) + " RCU, " + whole(*w) + " WCU)";
    }
  }
  info.details.emplace_back("billing", billing);
  std::string ttl;
  try {
    const rapidjson::Document t2 = engine_.call("DescribeTimeToLive", table_body(remote));
    const auto& d = object_member(t2, "TimeToLiveDescription");
    ttl = string_member(d, "TimeToLiveStatus");
    if (const std::string attr = string_member(d, "AttributeName"); !attr.empty())
      ttl += " on " + attr;
  } catch (const RequestError& e) {
    if (e.type() != "UnknownOperationException") throw;
    ttl = "unknown (this engine has no DescribeTimeToLive)";
  }
  info.details.emplace_back("time to live", ttl);
  const Meta meta = read_meta(remote);
  const TableOptions& options = meta.options;
  info.options = options;
  info.details.emplace_back("activities kept", core::retention_text(options.retention));
  info.details.emplace_back("counts kept", core::retention_text(options.counts_retention));
  info.details.emplace_back("counts table", remote + std::string(kCountsSuffix));
  info.details.emplace_back(
      "counts layout",
      !meta.minutes_from ? std::string("per target")
      : *meta.minutes_from == kMinutesAlways
          ? std::string("by the minute")
          : "per target before " +
                format_time(Timestamp(Microseconds(*meta.minutes_from * core::kHourUs))) +
                ", by the minute from then on");
  mark_live(name, info.has_actor_index, options, counts_layout_of(remote, meta));
  return info;
}

void DynamoStore::drop_table(std::string_view name) {
  check_writable("drop a table");
  const std::string remote = options_.table_prefix + std::string(name);
  const std::string counts_remote = remote + std::string(kCountsSuffix);
  auto exists = [&](const std::string& remote_name) {
    try {
      engine_.call("DescribeTable", table_body(remote_name));
      return true;
    } catch (const RequestError& e) {
      if (e.type() == "ResourceNotFoundException") return false;
      throw;
    }
  };
  // A table already gone is what was asked for. DeleteTable is not
  // idempotent: a retry of one whose answer was lost finds the table gone
  // (dynalite answers for a large table only once its items are deleted,
  // which can take longer than a request may). Whether the activities'
  // table is there is therefore asked first.
  auto delete_table = [&](const std::string& remote_name) {
    try {
      engine_.call("DeleteTable", table_body(remote_name));
    } catch (const RequestError& e) {
      if (e.type() != "ResourceNotFoundException") throw;
    }
  };
  if (!exists(remote)) not_found(name);
  delete_table(remote);
  std::optional<TableHandle> dropped;
  {
    std::lock_guard lock(mu_);
    auto it = handles_.find(name);
    if (it != handles_.end()) {
      tables_[it->second].live = false;
      tables_[it->second].options = TableOptions{};
      dropped = it->second;
    }
  }
  // Outside mu_: a write of counts in progress holds the counts' lock and
  // asks for tables.
  if (dropped) {
    counts_.forget(*dropped, counts_remote);
    if (minute_counts_) minute_counts_->forget(*dropped, counts_remote);
  }
  delete_table(counts_remote);  // a table the 2014 gem made has none
  // Wait until it is gone -- not merely DELETING, which ListTables still
  // shows and CreateTable still refuses -- so that the table list is right
  // and creating it again right away works.
  const auto deadline = std::chrono::steady_clock::now() + kTableWaitLimit;
  auto pause = std::chrono::milliseconds(20);
  while (exists(remote) || exists(counts_remote)) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw StoreError("table '" + remote + "' in " + engine_.where() + " is still being deleted");
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(1000));
  }
}

void DynamoStore::alter_table(std::string_view name, const TableOptions& options) {
  check_writable("change a table");
  const auto handle = find_table(name);
  if (!handle) not_found(name);
  const Table t = table(*handle);
  write_options(t.remote_name, options);
  if (options.retention.count() > 0) enable_ttl(t.remote_name);
  if (options.counts_retention.count() > 0) enable_ttl(t.remote_name + std::string(kCountsSuffix));
  std::lock_guard lock(mu_);
  tables_[*handle].options = options;
}

}  // namespace cctv::store::dynamodb
