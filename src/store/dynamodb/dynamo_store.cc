#include "store/dynamodb/dynamo_store.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <thread>
#include <unordered_map>

#include "cctv/error.h"
#include "cctv/table.h"
#include "core/coding.h"
#include "store/dynamodb/item_codec.h"
#include "store/dynamodb/sort_key.h"

namespace cctv::store::dynamodb {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr const char* kActorIndex = "actor-index";
constexpr std::size_t kItemsPerBatch = 25;  // BatchWriteItem's limit
constexpr int kMaxWriteAttempts = 10;
constexpr auto kTableWaitLimit = std::chrono::minutes(10);

// Writes "KeySchema":[{hash HASH},{range RANGE}].
void key_schema(Writer& w, const char* hash, const char* range) {
  w.Key("KeySchema");
  w.StartArray();
  for (const auto& [name, type] : {std::pair{hash, "HASH"}, std::pair{range, "RANGE"}}) {
    w.StartObject();
    w.Key("AttributeName");
    w.String(name);
    w.Key("KeyType");
    w.String(type);
    w.EndObject();
  }
  w.EndArray();
}

std::string table_name_body(const std::string& remote_name) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("TableName");
  w.String(remote_name.c_str());
  w.EndObject();
  return buffer.GetString();
}

rapidjson::Document parse(const std::string& body, std::string_view operation) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    throw StoreError(std::string(operation) + " returned a response that is not JSON");
  }
  return doc;
}

std::string string_member(const rapidjson::Value& v, const char* name) {
  if (!v.IsObject()) return "";
  auto it = v.FindMember(name);
  return it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

// Responses come from engines cctv does not control: every access checks,
// and a response of the wrong shape is a StoreError, never a crash.
const rapidjson::Value& member(const rapidjson::Value& v, const char* name) {
  if (v.IsObject()) {
    if (auto it = v.FindMember(name); it != v.MemberEnd()) return it->value;
  }
  throw StoreError(std::string("DynamoDB response without '") + name + "'");
}

const rapidjson::Value& object_member(const rapidjson::Value& v, const char* name) {
  const rapidjson::Value& m = member(v, name);
  if (!m.IsObject()) throw StoreError(std::string("DynamoDB response: '") + name + "' is not an object");
  return m;
}

const rapidjson::Value::ConstArray array_member(const rapidjson::Value& v, const char* name) {
  const rapidjson::Value& m = member(v, name);
  if (!m.IsArray()) throw StoreError(std::string("DynamoDB response: '") + name + "' is not an array");
  return m.GetArray();
}

// The S value of attribute `name` of an item.
std::string_view s_value(const rapidjson::Value& item, const char* name) {
  const rapidjson::Value& s = member(object_member(item, name), "S");
  if (!s.IsString()) throw StoreError(std::string("DynamoDB item: '") + name + "' is not of type S");
  return std::string_view(s.GetString(), s.GetStringLength());
}

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

// Writes "name":{"S":"value"}: a string AttributeValue under `name`.
void put_s(Writer& w, const char* name, std::string_view value) {
  w.Key(name);
  w.StartObject();
  w.Key("S");
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  w.EndObject();
}

// The position after an activity, as a cursor carries it: its sort key, and
// for the actor index also its target (the table key DynamoDB needs to
// resume a GSI query).
std::string make_position(const std::string& sort_key, const std::string& target, Index index) {
  std::string position;
  core::append_length_prefixed(position, sort_key);
  if (index == Index::kActor) position += target;
  return position;
}

// Writes ExclusiveStartKey for `position`.
void start_key(Writer& w, std::string_view position, Index index, std::string_view key) {
  std::string_view sort_key;
  if (!core::read_length_prefixed(position, sort_key) || !parse_sort_key(sort_key, "") ||
      (index == Index::kTarget) != position.empty()) {
    throw InvalidArgument("cursor", "was made by another kind of store or query");
  }
  w.Key("ExclusiveStartKey");
  w.StartObject();
  put_s(w, "timestamp", sort_key);
  if (index == Index::kActor) {
    put_s(w, "actor", key);
    put_s(w, "target", position);
  } else {
    put_s(w, "target", key);
  }
  w.EndObject();
}

std::string add_index_command(const std::string& remote_name) {
  return "aws dynamodb update-table --table-name " + remote_name +
         " --attribute-definitions AttributeName=actor,AttributeType=S "
         "AttributeName=timestamp,AttributeType=S --global-secondary-index-updates "
         "'[{\"Create\":{\"IndexName\":\"actor-index\",\"KeySchema\":[{\"AttributeName\":"
         "\"actor\",\"KeyType\":\"HASH\"},{\"AttributeName\":\"timestamp\",\"KeyType\":\"RANGE\"}],"
         "\"Projection\":{\"ProjectionType\":\"ALL\"}}}]'";
}

}  // namespace

DynamoStore::DynamoStore(const DynamoOptions& options, AwsConfig config, std::string location,
                         bool read_only)
    : options_(options), location_(std::move(location)), read_only_(read_only), client_(std::move(config)) {}

std::unique_ptr<DynamoStore> DynamoStore::open(const DynamoOptions& options, std::string location,
                                               bool read_only, const Environment& env) {
  for (char c : options.table_prefix) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == '-';
    if (!ok) {
      throw InvalidArgument("table_prefix", "'" + options.table_prefix +
                                                "' may only hold A-Z a-z 0-9 _ . - (DynamoDB's rule)");
    }
  }
  if (options.concurrency < 1 || options.concurrency > 256) {
    throw InvalidArgument("concurrency", "must be 1 to 256, got " + std::to_string(options.concurrency));
  }
  if (options.billing == Billing::kProvisioned && (options.read_capacity < 1 || options.write_capacity < 1)) {
    throw InvalidArgument("rcu/wcu", "provisioned billing needs read and write capacity of at least 1");
  }
  return std::unique_ptr<DynamoStore>(
      new DynamoStore(options, resolve_aws_config(options, env), std::move(location), read_only));
}

void DynamoStore::check_writable(const char* what) const {
  if (read_only_) {
    throw StoreError("cannot " + std::string(what) + ": " + location_ +
                     " is open read-only; open it without read_only");
  }
}

std::string DynamoStore::missing_table(std::string_view name) const {
  return "table '" + std::string(name) + "' (DynamoDB table '" + options_.table_prefix +
         std::string(name) + "') does not exist in " + client_.where() +
         "; create it with `cctv --store '" + location_ + "' tables create " + std::string(name) + "`";
}

void DynamoStore::not_found(std::string_view name) const { throw NotFound(missing_table(name)); }

std::string DynamoStore::call_on_table(std::string_view operation, const std::string& body,
                                       std::string_view name) {
  try {
    return client_.call(operation, body);
  } catch (const RequestError& e) {
    if (e.type() == "ResourceNotFoundException") not_found(name);
    throw;
  }
}

void DynamoStore::mark_live(std::string_view name, bool has_actor_index) {
  std::lock_guard lock(mu_);
  const TableHandle handle = intern(name);
  tables_[handle].live = true;
  tables_[handle].has_actor_index = has_actor_index;
}

TableHandle DynamoStore::intern(std::string_view name) {
  // REQUIRES: mu_ held.
  auto it = handles_.find(name);
  if (it != handles_.end()) return it->second;
  const auto handle = static_cast<TableHandle>(tables_.size());
  tables_.push_back(Table{std::string(name), options_.table_prefix + std::string(name)});
  handles_.emplace(std::string(name), handle);
  return handle;
}

DynamoStore::Table DynamoStore::table(TableHandle handle) {
  std::lock_guard lock(mu_);
  return tables_.at(handle);
}

void DynamoStore::wait_until_active(const std::string& remote_name) {
  const auto deadline = std::chrono::steady_clock::now() + kTableWaitLimit;
  auto pause = std::chrono::milliseconds(20);
  for (;;) {
    const rapidjson::Document doc =
        parse(client_.call("DescribeTable", table_name_body(remote_name)), "DescribeTable");
    const rapidjson::Value& t = object_member(doc, "Table");
    bool active = string_member(t, "TableStatus") == "ACTIVE";
    if (auto gsi = t.FindMember("GlobalSecondaryIndexes"); gsi != t.MemberEnd() && gsi->value.IsArray()) {
      for (const auto& index : gsi->value.GetArray()) {
        active = active && string_member(index, "IndexStatus") != "CREATING";
      }
    }
    if (active) return;
    if (std::chrono::steady_clock::now() > deadline) {
      throw StoreError("table '" + remote_name + "' in " + client_.where() +
                       " did not become ACTIVE within 10 minutes");
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(1000));
  }
}

std::optional<rapidjson::Document> DynamoStore::describe_remote(const std::string& remote_name) {
  std::string body;
  try {
    body = client_.call("DescribeTable", table_name_body(remote_name));
  } catch (const RequestError& e) {
    if (e.type() == "ResourceNotFoundException") return std::nullopt;
    throw;
  }
  rapidjson::Document doc = parse(body, "DescribeTable");
  const rapidjson::Value& t = object_member(doc, "Table");
  const std::string schema = key_schema_text(member(t, "KeySchema"));
  if (schema != "target HASH, timestamp RANGE") {
    throw StoreError("DynamoDB table '" + remote_name + "' in " + client_.where() +
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
    rapidjson::StringBuffer buffer;
    Writer w(buffer);
    w.StartObject();
    if (!start.empty()) {
      w.Key("ExclusiveStartTableName");
      w.String(start.c_str());
    }
    w.EndObject();
    const rapidjson::Document doc = parse(client_.call("ListTables", buffer.GetString()), "ListTables");
    if (auto it = doc.FindMember("TableNames"); it != doc.MemberEnd() && it->value.IsArray()) {
      for (const auto& n : it->value.GetArray()) {
        const std::string remote = n.GetString();
        if (remote.rfind(options_.table_prefix, 0) != 0) continue;
        std::string name = remote.substr(options_.table_prefix.size());
        if (is_valid_table_name(name)) names.push_back(std::move(name));
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
  mark_live(name, has_actor_index(object_member(*doc, "Table")));
  std::lock_guard lock(mu_);
  return handles_.find(name)->second;
}

void DynamoStore::create_remote(const std::string& remote_name) {
  const bool provisioned = options_.billing == Billing::kProvisioned;
  auto throughput = [&](Writer& w) {
    w.Key("ProvisionedThroughput");
    w.StartObject();
    w.Key("ReadCapacityUnits");
    w.Int64(options_.read_capacity);
    w.Key("WriteCapacityUnits");
    w.Int64(options_.write_capacity);
    w.EndObject();
  };
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("TableName");
  w.String(remote_name.c_str());
  w.Key("AttributeDefinitions");
  w.StartArray();
  for (const char* name : {"target", "timestamp", "actor"}) {
    w.StartObject();
    w.Key("AttributeName");
    w.String(name);
    w.Key("AttributeType");
    w.String("S");
    w.EndObject();
  }
  w.EndArray();
  key_schema(w, "target", "timestamp");
  w.Key("GlobalSecondaryIndexes");
  w.StartArray();
  w.StartObject();
  w.Key("IndexName");
  w.String(kActorIndex);
  key_schema(w, "actor", "timestamp");
  w.Key("Projection");
  w.StartObject();
  w.Key("ProjectionType");
  w.String("ALL");
  w.EndObject();
  if (provisioned) throughput(w);
  w.EndObject();
  w.EndArray();
  w.Key("BillingMode");
  w.String(provisioned ? "PROVISIONED" : "PAY_PER_REQUEST");
  if (provisioned) throughput(w);
  w.EndObject();
  client_.call("CreateTable", buffer.GetString());
  wait_until_active(remote_name);
}

TableHandle DynamoStore::create_table(std::string_view name, const TableOptions& table_options) {
  check_writable("create a table");
  if (table_options != TableOptions{}) {
    throw InvalidArgument("retention", "is not kept on DynamoDB stores yet (" + client_.where() +
                                           "); create the table without it");
  }
  const std::string remote = options_.table_prefix + std::string(name);
  if (remote.size() > 255) {
    throw InvalidArgument("table name", "'" + remote + "' (with the table prefix) is over 255 characters");
  }
  try {
    create_remote(remote);
  } catch (const RequestError& e) {
    if (e.type() == "ResourceInUseException") {
      throw AlreadyExists("table '" + std::string(name) + "' (DynamoDB table '" + remote +
                          "') already exists in " + client_.where());
    }
    throw;
  }
  mark_live(name, true);
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
  if (auto it = t.FindMember("CreationDateTime"); it != t.MemberEnd() && it->value.IsNumber()) {
    info.created = Timestamp(Microseconds(static_cast<std::int64_t>(it->value.GetDouble() * 1e6)));
  }
  if (auto it = t.FindMember("ItemCount"); it != t.MemberEnd() && it->value.IsUint64()) {
    info.approximate_activities = it->value.GetUint64();
  }
  if (auto it = t.FindMember("TableSizeBytes"); it != t.MemberEnd() && it->value.IsUint64()) {
    info.approximate_bytes = it->value.GetUint64();
  }
  info.has_actor_index = has_actor_index(t);
  info.details.emplace_back("DynamoDB table", remote);
  info.details.emplace_back("where", client_.where());
  info.details.emplace_back("status", string_member(t, "TableStatus"));
  info.details.emplace_back("key schema", key_schema_text(member(t, "KeySchema")));
  info.details.emplace_back(
      "indexes", info.has_actor_index
                     ? "actor-index (actor HASH, timestamp RANGE, projection ALL)"
                     : "no actor-index: views by actor need it; add it with: " + add_index_command(remote));
  std::string billing = "PROVISIONED";
  if (auto it = t.FindMember("BillingModeSummary"); it != t.MemberEnd() && it->value.IsObject()) {
    billing = string_member(it->value, "BillingMode");
  }
  if (billing != "PAY_PER_REQUEST") {
    if (auto it = t.FindMember("ProvisionedThroughput"); it != t.MemberEnd() && it->value.IsObject()) {
      const auto& r = member(it->value, "ReadCapacityUnits");
      const auto& w = member(it->value, "WriteCapacityUnits");
      if (r.IsInt64() && w.IsInt64()) {
        billing += " (" + std::to_string(r.GetInt64()) + " RCU, " + std::to_string(w.GetInt64()) + " WCU)";
      }
    }
  }
  info.details.emplace_back("billing", billing);
  std::string ttl;
  try {
    const rapidjson::Document t2 =
        parse(client_.call("DescribeTimeToLive", table_name_body(remote)), "DescribeTimeToLive");
    const auto& d = object_member(t2, "TimeToLiveDescription");
    ttl = string_member(d, "TimeToLiveStatus");
    if (const std::string attr = string_member(d, "AttributeName"); !attr.empty()) ttl += " on " + attr;
  } catch (const RequestError& e) {
    if (e.type() != "UnknownOperationException") throw;
    ttl = "unknown (this engine has no DescribeTimeToLive)";
  }
  info.details.emplace_back("time to live", ttl);
  mark_live(name, info.has_actor_index);
  return info;
}

void DynamoStore::drop_table(std::string_view name) {
  check_writable("drop a table");
  const std::string remote = options_.table_prefix + std::string(name);
  call_on_table("DeleteTable", table_name_body(remote), name);
  {
    std::lock_guard lock(mu_);
    auto it = handles_.find(name);
    if (it != handles_.end()) tables_[it->second].live = false;
  }
  // Wait until it is gone -- not merely DELETING, which ListTables still
  // shows and CreateTable still refuses -- so that the table list is right
  // and creating it again right away works.
  const auto deadline = std::chrono::steady_clock::now() + kTableWaitLimit;
  auto pause = std::chrono::milliseconds(20);
  auto exists = [&] {
    try {
      client_.call("DescribeTable", table_name_body(remote));
      return true;
    } catch (const RequestError& e) {
      if (e.type() == "ResourceNotFoundException") return false;
      throw;
    }
  };
  while (exists()) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw StoreError("table '" + remote + "' in " + client_.where() + " is still being deleted");
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(1000));
  }
}

void DynamoStore::write(const core::RecordBatch& batch) {
  check_writable("record activities");
  if (batch.empty()) return;

  // Encode each item once. A batch may hold the same activity twice (a
  // retry, a re-import): BatchWriteItem refuses duplicate keys in one
  // request, and one copy is all that should be stored, so keep the last.
  // Items are found again (duplicates, UnprocessedItems) by a 64-bit hash of
  // their key, confirmed against the key itself. The buffers live on, so a
  // steady stream of batches does not fault in fresh pages each time.
  struct Item {
    TableHandle table;
    std::size_t record;
    std::size_t begin;
    std::size_t end;
  };
  thread_local std::string items_json;
  thread_local std::vector<Item> items;
  thread_local std::unordered_map<std::uint64_t, std::size_t> by_key;
  items_json.clear();
  items.clear();
  by_key.clear();
  std::vector<std::string> remote_names;  // by handle
  {
    std::lock_guard lock(mu_);
    for (const auto& t : tables_) remote_names.push_back(t.remote_name);
  }
  auto key_hash = [](TableHandle table, std::string_view target, std::int64_t time_us, std::uint64_t id) {
    std::uint64_t h = std::hash<std::string_view>()(target) ^ (static_cast<std::uint64_t>(table) << 40);
    for (std::uint64_t v : {static_cast<std::uint64_t>(time_us), id}) {
      h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    }
    return h;
  };
  auto same_key = [&batch](std::size_t a, std::size_t b) {
    const core::RecordView x = batch[a], y = batch[b];
    return x.table == y.table && x.time_us == y.time_us && x.id == y.id && x.target == y.target;
  };
  std::vector<std::size_t> unhashed;  // items whose hash another key holds (never seen in practice)
  std::string sort_key;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const core::RecordView r = batch[i];
    const std::size_t begin = items_json.size();
    append_item(r, items_json, sort_key);
    const Item item{r.table, i, begin, items_json.size()};
    auto [it, inserted] = by_key.emplace(key_hash(r.table, r.target, r.time_us, r.id), items.size());
    if (inserted) {
      items.push_back(item);
    } else if (same_key(items[it->second].record, i)) {
      items[it->second] = item;
    } else {
      unhashed.push_back(items.size());
      items.push_back(item);
    }
  }
  // The item that sent (remote table, target, sort key), or npos.
  auto find_item = [&](std::string_view remote, std::string_view target, std::string_view timestamp) {
    const auto parsed = parse_sort_key(timestamp, target);
    if (!parsed) return std::string::npos;
    for (TableHandle t = 0; t < remote_names.size(); ++t) {
      if (remote_names[t] != remote) continue;
      auto matches = [&](std::size_t k) {
        const core::RecordView r = batch[items[k].record];
        return r.table == t && r.target == target && r.time_us == parsed->time_us && r.id == parsed->id;
      };
      if (auto it = by_key.find(key_hash(t, target, parsed->time_us, parsed->id));
          it != by_key.end() && matches(it->second)) {
        return it->second;
      }
      for (std::size_t k : unhashed) {
        if (matches(k)) return k;
      }
    }
    return std::string::npos;
  };

  std::vector<std::size_t> pending(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) pending[i] = i;
  // Items sent one to a request: those of a request DynamoDB refused as
  // invalid, so that one bad item does not sink its neighbours.
  std::vector<bool> alone(items.size(), false);
  std::size_t rejected = 0;
  std::string rejection;
  Outcome last_failure;
  for (int attempt = 1; !pending.empty(); ++attempt) {
    // Up to 25 items per request; items of several tables may share one.
    // The bodies keep their memory from batch to batch.
    thread_local std::vector<std::string> bodies;
    std::vector<std::vector<std::size_t>> chunks;
    std::vector<std::size_t> shared;
    for (std::size_t i : pending) {
      if (alone[i]) {
        chunks.push_back({i});
      } else {
        shared.push_back(i);
      }
    }
    for (std::size_t start = 0; start < shared.size(); start += kItemsPerBatch) {
      const auto first = shared.begin() + static_cast<std::ptrdiff_t>(start);
      chunks.emplace_back(first, first + static_cast<std::ptrdiff_t>(std::min(kItemsPerBatch, shared.size() - start)));
    }
    if (bodies.size() < chunks.size()) bodies.resize(chunks.size());
    for (std::size_t c = 0; c < chunks.size(); ++c) {
      auto& chunk = chunks[c];
      std::stable_sort(chunk.begin(), chunk.end(),
                       [&](std::size_t a, std::size_t b) { return items[a].table < items[b].table; });
      std::string& body = bodies[c];
      body = "{\"RequestItems\":{";
      for (std::size_t k = 0; k < chunk.size(); ++k) {
        const Item& item = items[chunk[k]];
        if (k == 0 || items[chunk[k - 1]].table != item.table) {
          if (k > 0) body += "],";
          append_json_string(body, remote_names[item.table]);
          body += ":[";
        } else {
          body += ',';
        }
        body += "{\"PutRequest\":{\"Item\":";
        body.append(items_json, item.begin, item.end - item.begin);
        body += "}}";
      }
      body += "]}}";
    }

    const std::vector<Outcome> outcomes = client_.send_all(
        "BatchWriteItem", std::span<const std::string>(bodies).first(chunks.size()), options_.concurrency);
    std::vector<std::size_t> again;
    // Whether any request of this round asks for a pause before the next:
    // throttled, failed, left items unprocessed, or met a table being made
    // again. (Items split out of a refused request go again at once.)
    bool back_off = false;
    std::vector<TableHandle> revived;  // each dropped table is made again once per round
    for (std::size_t c = 0; c < outcomes.size(); ++c) {
      const Outcome& outcome = outcomes[c];
      if (outcome.ok) {
        const rapidjson::Document doc = parse(outcome.body, "BatchWriteItem");
        auto unprocessed = doc.FindMember("UnprocessedItems");
        if (unprocessed == doc.MemberEnd() || !unprocessed->value.IsObject()) continue;
        for (const auto& table : unprocessed->value.GetObject()) {
          if (!table.value.IsArray()) throw StoreError("DynamoDB response: UnprocessedItems is malformed");
          for (const auto& request : table.value.GetArray()) {
            const rapidjson::Value& item = object_member(object_member(request, "PutRequest"), "Item");
            const std::size_t found =
                find_item(std::string_view(table.name.GetString(), table.name.GetStringLength()),
                          s_value(item, "target"), s_value(item, "timestamp"));
            if (found == std::string::npos) {
              throw StoreError("BatchWriteItem returned an unprocessed item cctv did not send");
            }
            again.push_back(found);
            last_failure = Outcome{false, "", 200, "UnprocessedItems", "DynamoDB left items unprocessed", true};
            back_off = true;
          }
        }
        continue;
      }
      if (outcome.type == "ResourceNotFoundException") {
        // A table was dropped under a live tracker: create it again, as the
        // embedded store does, then retry.
        back_off = true;
        for (std::size_t i : chunks[c]) {
          if (std::find(revived.begin(), revived.end(), items[i].table) != revived.end()) continue;
          revived.push_back(items[i].table);
          const Table dropped = table(items[i].table);
          if (!describe_remote(dropped.remote_name)) {
            try {
              create_remote(dropped.remote_name);
            } catch (const RequestError& e) {
              if (e.type() != "ResourceInUseException") throw;
            }
            mark_live(dropped.name, true);
          }
        }
      } else if (!outcome.retryable) {
        if (outcome.type == "ValidationException" && chunks[c].size() > 1) {
          for (std::size_t i : chunks[c]) alone[i] = true;  // find the bad one(s)
        } else {
          rejected += chunks[c].size();
          rejection = client_.error("BatchWriteItem", outcome).what();
          continue;
        }
      }
      last_failure = outcome;
      back_off = back_off || outcome.retryable;
      again.insert(again.end(), chunks[c].begin(), chunks[c].end());
    }
    pending = std::move(again);
    if (pending.empty()) break;
    if (attempt >= kMaxWriteAttempts) {
      throw StoreError(std::to_string(pending.size()) + " activities were not written to " +
                       client_.where() + " after " + std::to_string(attempt) +
                       " attempts; last: " + client_.error("BatchWriteItem", last_failure).what());
    }
    if (back_off) std::this_thread::sleep_for(DynamoClient::backoff(attempt));
  }
  if (rejected > 0) throw WriteRejected(rejection, rejected);
}

QueryResult DynamoStore::query(const Query& q) {
  const Table t = table(q.table);
  if (!t.live) not_found(t.name);
  if (q.index == Index::kActor && !t.has_actor_index) {
    throw StoreError("DynamoDB table '" + t.remote_name + "' has no actor-index (tables made by the 2014 "
                     "gem have none), so it cannot be viewed by actor; add the index with: " +
                     add_index_command(t.remote_name));
  }
  QueryResult result;
  const std::string lower = lower_bound_key(q.from_us);
  const std::string upper = upper_bound_key(q.to_us);
  if (lower > upper) return result;

  const std::size_t want = q.limit + 1;  // one more tells whether a page follows
  std::vector<std::string> sort_keys;
  rapidjson::Document last_key;  // null until a response carries LastEvaluatedKey
  while (result.activities.size() < want) {
    rapidjson::StringBuffer buffer;
    Writer w(buffer);
    w.StartObject();
    w.Key("TableName");
    w.String(t.remote_name.c_str());
    if (q.index == Index::kActor) {
      w.Key("IndexName");
      w.String(kActorIndex);
    } else {
      w.Key("ConsistentRead");  // views see what flush() wrote
      w.Bool(true);
    }
    w.Key("KeyConditionExpression");
    w.String("#k = :k AND #ts BETWEEN :lo AND :hi");
    w.Key("ExpressionAttributeNames");
    w.StartObject();
    w.Key("#k");
    w.String(q.index == Index::kActor ? "actor" : "target");
    w.Key("#ts");
    w.String("timestamp");
    w.EndObject();
    w.Key("ExpressionAttributeValues");
    w.StartObject();
    put_s(w, ":k", q.key);
    put_s(w, ":lo", lower);
    put_s(w, ":hi", upper);
    w.EndObject();
    w.Key("ScanIndexForward");
    w.Bool(q.order == Order::kOldestFirst);
    w.Key("Limit");
    w.Uint64(want - result.activities.size());
    if (!last_key.IsNull()) {
      w.Key("ExclusiveStartKey");
      last_key.Accept(w);
    } else if (!q.after.empty()) {
      start_key(w, q.after, q.index, q.key);
    }
    w.EndObject();

    const rapidjson::Document doc = parse(call_on_table("Query", buffer.GetString(), t.name), "Query");
    for (const auto& item : array_member(doc, "Items")) {
      result.activities.push_back(read_item(item));
      sort_keys.emplace_back(s_value(item, "timestamp"));
    }
    auto lek = doc.FindMember("LastEvaluatedKey");
    if (lek == doc.MemberEnd()) break;
    last_key.CopyFrom(lek->value, last_key.GetAllocator());
  }
  if (result.activities.size() > q.limit) {
    result.activities.resize(q.limit);
    const Activity& last = result.activities.back();
    result.next_position = make_position(sort_keys[q.limit - 1], last.target, q.index);
  }
  return result;
}

void DynamoStore::scan(TableHandle handle, std::int64_t from_us, std::int64_t to_us,
                       const std::function<void(const Activity&)>& visit) {
  const Table t = table(handle);
  if (!t.live) not_found(t.name);
  const std::string lower = lower_bound_key(from_us);
  const std::string upper = upper_bound_key(to_us);
  if (lower > upper) return;
  rapidjson::Document last_key;  // null until a response carries LastEvaluatedKey
  for (;;) {
    rapidjson::StringBuffer buffer;
    Writer w(buffer);
    w.StartObject();
    w.Key("TableName");
    w.String(t.remote_name.c_str());
    w.Key("ConsistentRead");
    w.Bool(true);
    w.Key("FilterExpression");
    w.String("#ts BETWEEN :lo AND :hi");
    w.Key("ExpressionAttributeNames");
    w.StartObject();
    w.Key("#ts");
    w.String("timestamp");
    w.EndObject();
    w.Key("ExpressionAttributeValues");
    w.StartObject();
    put_s(w, ":lo", lower);
    put_s(w, ":hi", upper);
    w.EndObject();
    if (!last_key.IsNull()) {
      w.Key("ExclusiveStartKey");
      last_key.Accept(w);
    }
    w.EndObject();
    const rapidjson::Document doc = parse(call_on_table("Scan", buffer.GetString(), t.name), "Scan");
    for (const auto& item : array_member(doc, "Items")) visit(read_item(item));
    auto lek = doc.FindMember("LastEvaluatedKey");
    if (lek == doc.MemberEnd()) break;
    last_key.CopyFrom(lek->value, last_key.GetAllocator());
  }
}

namespace {

[[noreturn]] void counts_not_kept(const std::string& where) {
  throw StoreError("counts are not kept on DynamoDB stores yet (" + where +
                   "); the embedded store keeps them");
}

}  // namespace

std::vector<std::int64_t> DynamoStore::counts(TableHandle, std::string_view, Bucket, std::int64_t, std::size_t) {
  counts_not_kept(client_.where());
}

std::vector<core::HyperLogLog> DynamoStore::sketches(TableHandle, std::string_view, Bucket, std::int64_t,
                                                     std::size_t) {
  counts_not_kept(client_.where());
}

std::vector<TargetCount> DynamoStore::top_targets(TableHandle, std::int64_t, std::int64_t, std::size_t) {
  counts_not_kept(client_.where());
}

void DynamoStore::rebuild_counts(TableHandle, std::int64_t, std::int64_t) { counts_not_kept(client_.where()); }

void DynamoStore::alter_table(std::string_view, const TableOptions&) {
  throw InvalidArgument("retention", "is not kept on DynamoDB stores yet (" + client_.where() +
                                         "); the embedded store keeps it");
}

void DynamoStore::apply_retention(std::string_view) {
  throw InvalidArgument("retention", "is not kept on DynamoDB stores yet (" + client_.where() +
                                         "); the embedded store keeps it");
}

}  // namespace cctv::store::dynamodb
