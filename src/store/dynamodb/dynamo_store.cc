#include "store/dynamodb/dynamo_store.h"

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
#include "store/dynamodb/item_codec.h"
#include "store/dynamodb/json_access.h"
#include "store/dynamodb/sort_key.h"

namespace cctv::store::dynamodb {

namespace {

constexpr const char* kActorIndex = "actor-index";
constexpr std::size_t kItemsPerBatch = 25;  // BatchWriteItem's limit
constexpr int kMaxWritePasses = 4;
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

// The position after an activity, as a cursor carries it: its sort key, and
// for the actor index also its target (the table key DynamoDB needs to
// resume a GSI query).
std::string make_position(const std::string& sort_key, const std::string& target, Index index) {
  std::string position;
  core::append_length_prefixed(position, sort_key);
  if (index == Index::kActor) position += target;
  return position;
}

// The members of a Scan of `table` for activities whose sort keys lie in
// [lower, upper]: consistent, so that it sees what flush() wrote.
void scan_request(Writer& w, const std::string& table, const std::string& lower,
                  const std::string& upper) {
  w.Key("TableName");
  w.String(table.c_str());
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

RequestEngine::Options DynamoStore::engine_options(const DynamoOptions& options) {
  RequestEngine::Options out;
  out.concurrency = options.concurrency;
  out.policy.request_timeout = options.request_timeout;
  out.refresh_credentials = [this] { renew_credentials(); };
  out.indexes_of = [this](std::string_view remote) {
    std::lock_guard lock(mu_);
    for (const Table& t : tables_) {
      if (t.remote_name == remote) return t.has_actor_index ? 1 : 0;
    }
    return 0;
  };
  return out;
}

DynamoStore::DynamoStore(const DynamoOptions& options, AwsConfig config, std::string location,
                         bool read_only, Environment env, std::function<Timestamp()> clock)
    : options_(options),
      location_(std::move(location)),
      read_only_(read_only),
      env_(std::move(env)),
      clock_(std::move(clock)),
      engine_(std::move(config), engine_options(options)),
      counts_(engine_,
              [this](const std::string& remote) { return create_counts_if_live(remote); }) {
  if (!read_only_ && options_.counts)
    counts_writer_ = std::make_unique<PeriodicTask>(std::chrono::seconds(1), [this] {
      counts_.flush([this](std::uint32_t t) { return counts_target(table(t)); }, false);
    });
}

DynamoStore::~DynamoStore() {
  if (!counts_writer_) return;
  counts_writer_->stop();
  try {
    counts_.flush([this](std::uint32_t t) { return counts_target(table(t)); }, true);
  } catch (const std::exception& e) {
    spdlog::error(
        "{}: the counts of the last activities were not written: {}; `cctv counts rebuild` "
        "recounts them",
        location_, e.what());
  }
}

std::unique_ptr<DynamoStore> DynamoStore::open(const DynamoOptions& options, std::string location,
                                               bool read_only, const Environment& env,
                                               std::function<Timestamp()> clock) {
  for (char c : options.table_prefix) {
    const bool ok =
        std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == '-';
    if (!ok) {
      throw InvalidArgument(
          "table_prefix",
          "'" + options.table_prefix + "' may only hold A-Z a-z 0-9 _ . - (DynamoDB's rule)");
    }
  }
  if (options.concurrency < 1 || options.concurrency > 256) {
    throw InvalidArgument("concurrency",
                          "must be 1 to 256, got " + std::to_string(options.concurrency));
  }
  if (options.billing == Billing::kProvisioned &&
      (options.read_capacity < 1 || options.write_capacity < 1)) {
    throw InvalidArgument("rcu/wcu",
                          "provisioned billing needs read and write capacity of at least 1");
  }
  return std::unique_ptr<DynamoStore>(new DynamoStore(options, resolve_aws_config(options, env),
                                                      std::move(location), read_only, env,
                                                      std::move(clock)));
}

void DynamoStore::sync() {
  if (read_only_ || !options_.counts) return;
  counts_.flush([this](std::uint32_t t) { return counts_target(table(t)); }, true);
  // A later flush wrote what a failed one kept; the failure is still news.
  if (const std::string error = counts_writer_ ? counts_writer_->take_error() : "";
      !error.empty()) {
    spdlog::warn("{}: writing counts failed earlier and succeeded since: {}", location_, error);
  }
}

void DynamoStore::renew_credentials() {
  {
    std::lock_guard lock(renew_mu_);
    const auto now = std::chrono::steady_clock::now();
    if (now - last_renewal_ < std::chrono::seconds(1)) return;
    last_renewal_ = now;
  }
  Credentials found;
  try {
    found = resolve_aws_config(options_, env_).credentials;
  } catch (const std::exception& e) {
    spdlog::warn("{}: DynamoDB refused the credentials, and looking for them again failed: {}",
                 location_, e.what());
    return;
  }
  const Credentials used = engine_.credentials();
  if (found.access_key_id == used.access_key_id &&
      found.secret_access_key == used.secret_access_key &&
      found.session_token == used.session_token) {
    return;
  }
  engine_.set_credentials(found);
  spdlog::info("{}: signing with renewed credentials from {} (access key {})", location_,
               found.source, redact_key_id(found.access_key_id));
}

std::int64_t DynamoStore::now_us() const {
  return (clock_ ? clock_() : cctv::now()).time_since_epoch().count();
}

std::int64_t DynamoStore::horizon_us(std::chrono::seconds kept) const {
  if (kept.count() <= 0) return 0;
  return std::max<std::int64_t>(0, now_us() - kept.count() * 1'000'000);
}

CountsTarget DynamoStore::counts_target(const Table& table) const {
  return CountsTarget{table.remote_name + std::string(kCountsSuffix),
                      table.options.counts_retention.count(), table.live};
}

void DynamoStore::check_writable(const char* what) const {
  if (read_only_) {
    throw StoreError("cannot " + std::string(what) + ": " + location_ +
                     " is open read-only; open it without read_only");
  }
}

std::string DynamoStore::missing_table(std::string_view name) const {
  return "table '" + std::string(name) + "' (DynamoDB table '" + options_.table_prefix +
         std::string(name) + "') does not exist in " + engine_.where() +
         "; create it with `cctv --store '" + location_ + "' tables create " + std::string(name) +
         "`";
}

void DynamoStore::not_found(std::string_view name) const { throw NotFound(missing_table(name)); }

rapidjson::Document DynamoStore::call_on_table(std::string_view operation, const std::string& body,
                                               std::string_view name) {
  try {
    return engine_.call(operation, body);
  } catch (const RequestError& e) {
    if (e.type() == "ResourceNotFoundException") not_found(name);
    throw;
  }
}

void DynamoStore::mark_live(std::string_view name, bool has_actor_index,
                            const TableOptions& options) {
  std::lock_guard lock(mu_);
  const TableHandle handle = intern(name);
  tables_[handle].live = true;
  tables_[handle].has_actor_index = has_actor_index;
  tables_[handle].options = options;
}

TableHandle DynamoStore::intern(std::string_view name) {
  // REQUIRES: mu_ held.
  auto it = handles_.find(name);
  if (it != handles_.end()) return it->second;
  const auto handle = static_cast<TableHandle>(tables_.size());
  tables_.push_back(
      Table{std::string(name), options_.table_prefix + std::string(name), false, false, {}});
  handles_.emplace(std::string(name), handle);
  return handle;
}

DynamoStore::Table DynamoStore::table(TableHandle handle) {
  std::lock_guard lock(mu_);
  return tables_.at(handle);
}

DynamoStore::Table DynamoStore::live_table(TableHandle handle) {
  Table t = table(handle);
  if (!t.live) not_found(t.name);
  return t;
}

void DynamoStore::check_counting(const Table& t) const {
  if (!options_.counts) {
    throw StoreError("counts are off in " + location_ +
                     " (counts=off); open the store without counts=off, then "
                     "rebuild the counts of table '" +
                     t.name + "' for what was written meanwhile");
  }
}

namespace {

// Writes "TableName":<the counts table>,"<member>":{"key":"meta","start":0
// -- the meta item's key, its object left open.
void start_meta_item(Writer& w, const std::string& remote_name, const char* member) {
  w.Key("TableName");
  const std::string counts = remote_name + std::string(kCountsSuffix);
  w.String(counts.c_str());
  w.Key(member);
  w.StartObject();
  put_s(w, "key", kMetaKey);
  put_n(w, "start", std::int64_t{0});
}

}  // namespace

TableOptions DynamoStore::read_options(const std::string& remote_name) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  start_meta_item(w, remote_name, "Key");
  w.EndObject();
  w.Key("ConsistentRead");
  w.Bool(true);
  w.EndObject();
  TableOptions options;
  rapidjson::Document doc;
  try {
    doc = engine_.call("GetItem", buffer.GetString());
  } catch (const RequestError& e) {
    if (e.type() == "ResourceNotFoundException") return options;  // a table the 2014 gem made
    throw;
  }
  auto item = doc.FindMember("Item");
  if (item == doc.MemberEnd()) return options;
  if (has_attribute(item->value, "retention_s")) {
    options.retention = std::chrono::seconds(n_value(item->value, "retention_s"));
  }
  if (has_attribute(item->value, "counts_retention_s")) {
    options.counts_retention = std::chrono::seconds(n_value(item->value, "counts_retention_s"));
  }
  return options;
}

void DynamoStore::write_options(const std::string& remote_name, const TableOptions& options) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  start_meta_item(w, remote_name, "Item");
  put_n(w, "retention_s", static_cast<std::int64_t>(options.retention.count()));
  put_n(w, "counts_retention_s", static_cast<std::int64_t>(options.counts_retention.count()));
  w.EndObject();
  w.EndObject();
  try {
    engine_.call("PutItem", buffer.GetString());
  } catch (const RequestError& e) {
    if (e.type() != "ResourceNotFoundException") throw;
    create_counts_remote(remote_name + std::string(kCountsSuffix));
    engine_.call("PutItem", buffer.GetString());
  }
}

void DynamoStore::enable_ttl(const std::string& remote_name) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("TableName");
  w.String(remote_name.c_str());
  w.Key("TimeToLiveSpecification");
  w.StartObject();
  w.Key("AttributeName");
  w.String("expires_at");
  w.Key("Enabled");
  w.Bool(true);
  w.EndObject();
  w.EndObject();
  try {
    engine_.call("UpdateTimeToLive", buffer.GetString());
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
    const rapidjson::Document doc = engine_.call("DescribeTable", table_name_body(remote_name));
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
    doc = engine_.call("DescribeTable", table_name_body(remote_name));
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
    rapidjson::StringBuffer buffer;
    Writer w(buffer);
    w.StartObject();
    if (!start.empty()) {
      w.Key("ExclusiveStartTableName");
      w.String(start.c_str());
    }
    w.EndObject();
    const rapidjson::Document doc = engine_.call("ListTables", buffer.GetString());
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
  mark_live(name, has_actor_index(object_member(*doc, "Table")), read_options(remote));
  std::lock_guard lock(mu_);
  return handles_.find(name)->second;
}

namespace {

// CreateTable's request: an activities table (target HASH, timestamp
// RANGE, the actor index) or a counts table (key HASH, start RANGE).
std::string create_table_request(const std::string& remote_name, bool counts,
                                 const DynamoOptions& options) {
  const bool provisioned = options.billing == Billing::kProvisioned;
  auto throughput = [&](Writer& w) {
    w.Key("ProvisionedThroughput");
    w.StartObject();
    w.Key("ReadCapacityUnits");
    w.Int64(options.read_capacity);
    w.Key("WriteCapacityUnits");
    w.Int64(options.write_capacity);
    w.EndObject();
  };
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("TableName");
  w.String(remote_name.c_str());
  w.Key("AttributeDefinitions");
  w.StartArray();
  const std::vector<std::pair<const char*, const char*>> attributes =
      counts ? std::vector<std::pair<const char*, const char*>>{{"key", "S"}, {"start", "N"}}
             : std::vector<std::pair<const char*, const char*>>{
                   {"target", "S"}, {"timestamp", "S"}, {"actor", "S"}};
  for (const auto& [name, type] : attributes) {
    w.StartObject();
    w.Key("AttributeName");
    w.String(name);
    w.Key("AttributeType");
    w.String(type);
    w.EndObject();
  }
  w.EndArray();
  if (counts) {
    key_schema(w, "key", "start");
  } else {
    key_schema(w, "target", "timestamp");
  }
  if (!counts) {
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
  }
  w.Key("BillingMode");
  w.String(provisioned ? "PROVISIONED" : "PAY_PER_REQUEST");
  if (provisioned) throughput(w);
  w.EndObject();
  return buffer.GetString();
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
  if (table_options != TableOptions{}) write_options(remote, table_options);
  if (table_options.retention.count() > 0) enable_ttl(remote);
  if (table_options.counts_retention.count() > 0) enable_ttl(counts);
  mark_live(name, true, table_options);
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
    const rapidjson::Document t2 = engine_.call("DescribeTimeToLive", table_name_body(remote));
    const auto& d = object_member(t2, "TimeToLiveDescription");
    ttl = string_member(d, "TimeToLiveStatus");
    if (const std::string attr = string_member(d, "AttributeName"); !attr.empty())
      ttl += " on " + attr;
  } catch (const RequestError& e) {
    if (e.type() != "UnknownOperationException") throw;
    ttl = "unknown (this engine has no DescribeTimeToLive)";
  }
  info.details.emplace_back("time to live", ttl);
  const TableOptions options = read_options(remote);
  info.options = options;
  info.details.emplace_back("activities kept", core::retention_text(options.retention));
  info.details.emplace_back("counts kept", core::retention_text(options.counts_retention));
  info.details.emplace_back("counts table", remote + std::string(kCountsSuffix));
  mark_live(name, info.has_actor_index, options);
  return info;
}

void DynamoStore::drop_table(std::string_view name) {
  check_writable("drop a table");
  const std::string remote = options_.table_prefix + std::string(name);
  call_on_table("DeleteTable", table_name_body(remote), name);
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
  if (dropped) counts_.forget(*dropped, remote + std::string(kCountsSuffix));
  try {
    engine_.call("DeleteTable", table_name_body(remote + std::string(kCountsSuffix)));
  } catch (const RequestError& e) {
    if (e.type() != "ResourceNotFoundException") throw;  // a table the 2014 gem made has none
  }
  // Wait until it is gone -- not merely DELETING, which ListTables still
  // shows and CreateTable still refuses -- so that the table list is right
  // and creating it again right away works.
  const auto deadline = std::chrono::steady_clock::now() + kTableWaitLimit;
  auto pause = std::chrono::milliseconds(20);
  auto exists = [&](const std::string& remote_name) {
    try {
      engine_.call("DescribeTable", table_name_body(remote_name));
      return true;
    } catch (const RequestError& e) {
      if (e.type() == "ResourceNotFoundException") return false;
      throw;
    }
  };
  while (exists(remote) || exists(remote + std::string(kCountsSuffix))) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw StoreError("table '" + remote + "' in " + engine_.where() + " is still being deleted");
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(1000));
  }
}

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
  thread_local std::unordered_map<std::uint64_t, std::size_t> by_key;
  items_json.clear();
  items.clear();
  by_key.clear();
  std::vector<std::string> remote_names;  // by handle
  std::vector<std::int64_t> retention_s;  // by handle
  {
    std::lock_guard lock(mu_);
    for (const auto& t : tables_) {
      remote_names.push_back(t.remote_name);
      retention_s.push_back(t.options.retention.count());
    }
  }
  auto key_hash = [](TableHandle table, std::string_view target, std::int64_t time_us,
                     std::uint64_t id) {
    std::uint64_t h =
        std::hash<std::string_view>()(target) ^ (static_cast<std::uint64_t>(table) << 40);
    for (std::uint64_t v : {static_cast<std::uint64_t>(time_us), id}) {
      h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    }
    return h;
  };
  auto same_key = [&batch](std::size_t a, std::size_t b) {
    const core::RecordView x = batch[a], y = batch[b];
    return x.table == y.table && x.time_us == y.time_us && x.id == y.id && x.target == y.target;
  };
  std::string sort_key;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const core::RecordView r = batch[i];
    const std::size_t begin = items_json.size();
    const std::int64_t kept = retention_s[r.table];
    append_item(r, kept > 0 ? core::floor_div(r.time_us, 1'000'000) + kept : 0, items_json,
                sort_key);
    const Item item{r.table, i, begin, items_json.size()};
    auto [it, inserted] =
        by_key.emplace(key_hash(r.table, r.target, r.time_us, r.id), items.size());
    if (inserted) {
      items.push_back(item);
    } else if (same_key(items[it->second].record, i)) {
      items[it->second] = item;
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
  for (std::size_t i = 0; i < items.size(); ++i) {
    conditional[i] = options_.counts && batch[items[i].record].supplied_id;
  }
  // The counts of what was written for sure: after a failure that the
  // pipeline retries, only the conditional writes (a retry finds them
  // stored already and would not count them).
  auto absorb = [&](bool all) {
    if (!options_.counts) return;
    std::vector<bool> counted(batch.size(), false);
    for (std::size_t i = 0; i < items.size(); ++i) {
      counted[items[i].record] = state[i] == State::kWritten && (all || conditional[i]);
    }
    counts_.absorb(batch, counted);
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
          const Item& item = items[i];
          std::string body = "{\"TableName\":";
          append_json_string(body, remote_names[item.table]);
          body += ",\"Item\":";
          body.append(items_json, item.begin, item.end - item.begin);
          body +=
              ",\"ConditionExpression\":\"attribute_not_exists(#t)\",\"ExpressionAttributeNames\":{"
              "\"#t\":"
              "\"target\"}}";
          puts.push_back(std::move(body));
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
        std::string body = "{\"RequestItems\":{";
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
        bodies.push_back(std::move(body));
      }

      std::vector<Outcome> outcomes = engine_.run(
          "BatchWriteItem", std::move(bodies),
          [](std::size_t, rapidjson::Document& a) {
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
      std::vector<TableHandle> revived;  // each dropped table is made again once per pass
      std::size_t unwritten = 0;         // items whose requests failed for good
      const Outcome* failure = nullptr;
      for (std::size_t c = 0; c < outcomes.size(); ++c) {
        const Outcome& outcome = outcomes[c];
        if (outcome.ok) {
          for (std::size_t i : chunks[c]) state[i] = State::kWritten;
          continue;
        }
        switch (outcome.failure) {
          case Failure::kConditionFailed:
            // A conditional put of an activity stored already.
            state[chunks[c].front()] = State::kStoredBefore;
            break;
          case Failure::kTableMissing:
            for (std::size_t i : chunks[c]) {
              again.push_back(i);
              if (std::find(revived.begin(), revived.end(), items[i].table) != revived.end())
                continue;
              revived.push_back(items[i].table);
              revive(items[i].table);
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

void DynamoStore::revive(TableHandle handle) {
  const Table dropped = table(handle);
  if (describe_remote(dropped.remote_name)) return;
  try {
    create_remote(dropped.remote_name);
  } catch (const RequestError& e) {
    if (e.type() != "ResourceInUseException") throw;
  }
  create_counts_remote(dropped.remote_name + std::string(kCountsSuffix));
  mark_live(dropped.name, true, TableOptions{});
}

QueryResult DynamoStore::query(const Query& q) {
  const Table t = live_table(q.table);
  if (q.index == Index::kActor && !t.has_actor_index) {
    // A property of the table, not a failing store: retrying cannot help.
    throw InvalidArgument(
        "actor", "DynamoDB table '" + t.remote_name +
                     "' has no actor-index (tables made by the 2014 "
                     "gem have none), so it cannot be viewed by actor; add the index with: " +
                     add_index_command(t.remote_name));
  }
  QueryResult result;
  // Expired activities DynamoDB's TTL has not deleted yet stay hidden.
  const std::string lower = lower_bound_key(std::max(q.from_us, horizon_us(t.options.retention)));
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

    const rapidjson::Document doc = call_on_table("Query", buffer.GetString(), t.name);
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
  const Table t = live_table(handle);
  const std::string lower = lower_bound_key(std::max(from_us, horizon_us(t.options.retention)));
  const std::string upper = upper_bound_key(to_us);
  if (lower > upper) return;
  try {
    each_page(
        engine_, "Scan", [&](Writer& w) { scan_request(w, t.remote_name, lower, upper); },
        [&](const rapidjson::Document& doc) {
          for (const auto& item : array_member(doc, "Items")) visit(read_item(item));
        });
  } catch (const RequestError& e) {
    if (e.type() == "ResourceNotFoundException") not_found(t.name);
    throw;
  }
}

QueryResult DynamoStore::scan_page(TableHandle handle, std::int64_t from_us, std::int64_t to_us,
                                   std::string_view after, std::size_t limit) {
  // A position is the base table's key of the last item read (which the
  // filter may have dropped): its sort key, length-prefixed, then its target.
  std::string_view sort_key;
  std::string_view target = after;
  if (!after.empty() && (!core::read_length_prefixed(target, sort_key) ||
                         !parse_sort_key(sort_key, "") || target.empty())) {
    throw InvalidArgument("cursor", "was made by another kind of store or query");
  }
  const Table t = live_table(handle);
  QueryResult result;
  const std::string lower = lower_bound_key(std::max(from_us, horizon_us(t.options.retention)));
  const std::string upper = upper_bound_key(to_us);
  if (lower > upper) return result;
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  scan_request(w, t.remote_name, lower, upper);
  // Limit counts the items read before the filter: a page may come back
  // short, or empty, with more to read.
  w.Key("Limit");
  w.Uint64(limit);
  if (!after.empty()) {
    w.Key("ExclusiveStartKey");
    w.StartObject();
    put_s(w, "target", target);
    put_s(w, "timestamp", sort_key);
    w.EndObject();
  }
  w.EndObject();
  const rapidjson::Document doc = call_on_table("Scan", buffer.GetString(), t.name);
  for (const auto& item : array_member(doc, "Items")) result.activities.push_back(read_item(item));
  const auto lek = doc.FindMember("LastEvaluatedKey");
  if (lek != doc.MemberEnd() && lek->value.IsObject()) {
    const std::string last_sort_key(s_value(lek->value, "timestamp"));
    const std::string last_target(s_value(lek->value, "target"));
    core::append_length_prefixed(result.next_position, last_sort_key);
    result.next_position += last_target;
  }
  return result;
}

std::vector<std::int64_t> DynamoStore::counts(TableHandle handle, std::string_view target,
                                              Bucket bucket, std::int64_t first, std::size_t n) {
  const Table t = live_table(handle);
  check_counting(t);
  std::vector<std::int64_t> out = counts_.counts(counts_target(t).remote, target, bucket, first, n);
  // Minutes and hours live in hour items, which expire whole.
  core::clear_buckets_before(
      out, first,
      core::first_bucket_kept(bucket, core::kHourUs, horizon_us(t.options.counts_retention)));
  return out;
}

std::vector<core::HyperLogLog> DynamoStore::sketches(TableHandle handle, std::string_view target,
                                                     Bucket bucket, std::int64_t first,
                                                     std::size_t n) {
  const Table t = live_table(handle);
  check_counting(t);
  std::vector<core::HyperLogLog> out =
      counts_.sketches(counts_target(t).remote, target, bucket, first, n);
  // A sketch item holds one bucket (a day: the union of its hours' items).
  core::clear_buckets_before(out, first,
                             core::first_bucket_kept(bucket, core::bucket_width_us(bucket),
                                                     horizon_us(t.options.counts_retention)));
  return out;
}

std::vector<TargetCount> DynamoStore::top_targets(TableHandle handle, std::int64_t from_minute,
                                                  std::int64_t to_minute, std::size_t limit) {
  const Table t = live_table(handle);
  check_counting(t);
  from_minute =
      std::max(from_minute, core::first_bucket_kept(Bucket::kMinute, core::kHourUs,
                                                    horizon_us(t.options.counts_retention)));
  return counts_.top_targets(counts_target(t).remote, from_minute, to_minute, limit);
}

void DynamoStore::rebuild_counts(TableHandle handle, std::int64_t from_us, std::int64_t to_us) {
  check_writable("rebuild counts");
  const Table t = live_table(handle);
  check_counting(t);
  // Alone: no batch of this store is written (and counted) meanwhile.
  std::unique_lock rebuilding(rebuild_mu_);
  const CountsTarget where = counts_target(t);
  counts_.flush([this](std::uint32_t h) { return counts_target(table(h)); }, true);
  const std::int64_t first_day = core::floor_div(from_us, core::kDayUs);
  const std::int64_t end_day = core::floor_div(to_us - 1, core::kDayUs) + 1;
  counts_.erase_days(where.remote, first_day, end_day);
  core::CountAggregator aggregator;
  std::string selected;
  std::size_t gathered = 0;
  scan(handle, first_day * core::kDayUs, end_day * core::kDayUs, [&](const Activity& a) {
    if (a.target != selected) {
      aggregator.select(a.target);
      selected = a.target;
    }
    const std::int64_t time_us = a.time.time_since_epoch().count();
    aggregator.add(core::minute_of(time_us), core::HyperLogLog::entry(core::actor_hash(a.actor)));
    // Written in parts, so a large table does not gather in memory whole.
    if (++gathered % 200'000 == 0) {
      counts_.write_now(aggregator, where);
      selected.clear();
    }
  });
  counts_.write_now(aggregator, where);
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

void DynamoStore::reapply_retention(
    const std::string& remote, const std::vector<std::string>& key_attributes,
    const std::function<std::int64_t(const rapidjson::Value&)>& time_of, std::int64_t horizon_s,
    const std::function<std::int64_t(std::int64_t)>& expires) {
  std::vector<std::string> deletes;  // DeleteRequest JSON
  std::vector<std::string> updates;  // UpdateItem bodies
  auto key_json = [&](const rapidjson::Value& item) {
    rapidjson::StringBuffer buffer;
    Writer w(buffer);
    w.StartObject();
    for (const std::string& a : key_attributes) {
      w.Key(a.c_str());
      member(item, a.c_str()).Accept(w);
    }
    w.EndObject();
    return std::string(buffer.GetString());
  };
  auto flush_updates = [&] {
    for (const Outcome& o : engine_.run("UpdateItem", std::move(updates))) {
      // A deleted item (TTL got there first) fails its condition: fine.
      if (!o.ok && o.failure != Failure::kConditionFailed) throw engine_.error("UpdateItem", o);
    }
    updates.clear();
  };
  each_page(
      engine_, "Scan",
      [&](Writer& w) {
        w.Key("TableName");
        w.String(remote.c_str());
      },
      [&](const rapidjson::Document& doc) {
        for (const auto& item : array_member(doc, "Items")) {
          const std::int64_t time_s = time_of(item);
          if (time_s < 0) continue;
          if (horizon_s > 0 && time_s < horizon_s) {
            deletes.push_back(key_json(item));
            continue;
          }
          const std::int64_t want = expires(time_s);
          const std::int64_t has =
              has_attribute(item, "expires_at") ? n_value(item, "expires_at") : 0;
          if (want == has) continue;
          std::string body = "{\"TableName\":";
          append_json_string(body, remote);
          body += ",\"Key\":" + key_json(item);
          body += want > 0 ? ",\"UpdateExpression\":\"SET #e = :e\""
                           : ",\"UpdateExpression\":\"REMOVE #e\"";
          body += ",\"ConditionExpression\":\"attribute_exists(#k)\"";
          body += ",\"ExpressionAttributeNames\":{\"#e\":\"expires_at\",\"#k\":";
          append_json_string(body, key_attributes.front());
          body += "}";
          if (want > 0)
            body +=
                ",\"ExpressionAttributeValues\":{\":e\":{\"N\":\"" + std::to_string(want) + "\"}}";
          body += "}";
          updates.push_back(std::move(body));
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
        return count_item_span(s_value(item, "key"), n_value(item, "start"), start, end) ? end : -1;
      },
      horizon_us(t.options.counts_retention) / 1'000'000,
      [counts_kept](std::int64_t end_s) { return counts_kept > 0 ? end_s + counts_kept : 0; });
}

}  // namespace cctv::store::dynamodb
