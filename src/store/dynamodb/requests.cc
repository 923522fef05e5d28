#include "store/dynamodb/requests.h"

#include <algorithm>

#include "store/dynamodb/item_codec.h"
#include "store/dynamodb/json_access.h"

namespace cctv::store::dynamodb {

namespace {

// A JSON object written member by member.
class Object {
 public:
  Object() : out_("{") {}

  std::string& member(std::string_view name) {
    if (out_.size() > 1) out_ += ',';
    append_json_string(out_, name);
    out_ += ':';
    return out_;
  }
  void text(std::string_view name, std::string_view value) {
    append_json_string(member(name), value);
  }
  void raw(std::string_view name, std::string_view json) { member(name) += json; }
  void flag(std::string_view name, bool value) { member(name) += value ? "true" : "false"; }
  void number(std::string_view name, std::uint64_t value) { member(name) += std::to_string(value); }
  std::string done() && {
    out_ += '}';
    return std::move(out_);
  }

 private:
  std::string out_;
};

void append_attr(std::string& out, const Attr& attr) {
  switch (attr.type) {
    case Attr::Type::kS:
      out += "{\"S\":";
      append_json_string(out, attr.value);
      break;
    case Attr::Type::kN:
      out += "{\"N\":";
      append_json_string(out, attr.value);
      break;
    case Attr::Type::kB:
      // Base64 needs no escaping.
      out += "{\"B\":\"";
      append_base64(out, attr.value);
      out += '"';
      break;
    case Attr::Type::kNS:
      out += "{\"NS\":[";
      for (std::size_t i = 0; i < attr.numbers.size(); ++i) {
        if (i > 0) out += ',';
        out += '"' + std::to_string(attr.numbers[i]) + '"';
      }
      out += ']';
      break;
  }
  out += '}';
}

// The expressions of one request, and their placeholders merged (each
// placeholder once).
void add_expressions(Object& o,
                     std::initializer_list<std::pair<const char*, const Expression*>> expressions) {
  std::vector<std::pair<std::string, std::string>> names;
  Attrs values;
  for (const auto& [member, e] : expressions) {
    if (e->text.empty()) continue;
    o.text(member, e->text);
    for (const auto& n : e->names) {
      if (std::none_of(names.begin(), names.end(),
                       [&](const auto& x) { return x.first == n.first; }))
        names.push_back(n);
    }
    for (const auto& v : e->values) {
      if (std::none_of(values.begin(), values.end(),
                       [&](const auto& x) { return x.first == v.first; }))
        values.push_back(v);
    }
  }
  if (!names.empty()) {
    std::string& out = o.member("ExpressionAttributeNames");
    out += '{';
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (i > 0) out += ',';
      append_json_string(out, names[i].first);
      out += ':';
      append_json_string(out, names[i].second);
    }
    out += '}';
  }
  if (!values.empty()) o.raw("ExpressionAttributeValues", attrs_json(values));
}

void add_key_schema(std::string& out, const KeySchema& key) {
  out += "[{\"AttributeName\":";
  append_json_string(out, key.hash);
  out += ",\"KeyType\":\"HASH\"},{\"AttributeName\":";
  append_json_string(out, key.range);
  out += ",\"KeyType\":\"RANGE\"}]";
}

}  // namespace

std::string attrs_json(const Attrs& attrs) {
  std::string out = "{";
  for (std::size_t i = 0; i < attrs.size(); ++i) {
    if (i > 0) out += ',';
    append_json_string(out, attrs[i].first);
    out += ':';
    append_attr(out, attrs[i].second);
  }
  out += '}';
  return out;
}

std::string CreateTableRequest::body() const {
  Object o;
  o.text("TableName", table);
  std::string& defs = o.member("AttributeDefinitions");
  defs += '[';
  for (std::size_t i = 0; i < attributes.size(); ++i) {
    if (i > 0) defs += ',';
    defs += "{\"AttributeName\":";
    append_json_string(defs, attributes[i].first);
    defs += ",\"AttributeType\":\"";
    defs += attributes[i].second;
    defs += "\"}";
  }
  defs += ']';
  add_key_schema(o.member("KeySchema"), key);
  const std::string throughput = "{\"ReadCapacityUnits\":" + std::to_string(read_capacity) +
                                 ",\"WriteCapacityUnits\":" + std::to_string(write_capacity) + "}";
  if (index) {
    std::string& gsi = o.member("GlobalSecondaryIndexes");
    gsi += "[{\"IndexName\":";
    append_json_string(gsi, index->first);
    gsi += ",\"KeySchema\":";
    add_key_schema(gsi, index->second);
    gsi += ",\"Projection\":{\"ProjectionType\":\"ALL\"}";
    if (provisioned) gsi += ",\"ProvisionedThroughput\":" + throughput;
    gsi += "}]";
  }
  o.text("BillingMode", provisioned ? "PROVISIONED" : "PAY_PER_REQUEST");
  if (provisioned) o.raw("ProvisionedThroughput", throughput);
  return std::move(o).done();
}

std::string TableRequest::body() const {
  Object o;
  o.text("TableName", table);
  return std::move(o).done();
}

std::string ListTablesRequest::body() const {
  Object o;
  if (!start.empty()) o.text("ExclusiveStartTableName", start);
  return std::move(o).done();
}

std::string UpdateTimeToLiveRequest::body() const {
  Object o;
  o.text("TableName", table);
  std::string& spec = o.member("TimeToLiveSpecification");
  spec += "{\"AttributeName\":";
  append_json_string(spec, attribute);
  spec += ",\"Enabled\":true}";
  return std::move(o).done();
}

std::string GetItemRequest::body() const {
  Object o;
  o.text("TableName", table);
  o.raw("Key", attrs_json(key));
  o.flag("ConsistentRead", consistent);
  return std::move(o).done();
}

std::string PutItemRequest::body() const {
  Object o;
  o.text("TableName", table);
  o.raw("Item", item);
  add_expressions(o, {{"ConditionExpression", &condition}});
  return std::move(o).done();
}

std::string UpdateItemRequest::body() const {
  Object o;
  o.text("TableName", table);
  o.raw("Key", attrs_json(key));
  add_expressions(o, {{"UpdateExpression", &update}, {"ConditionExpression", &condition}});
  if (return_new) o.text("ReturnValues", "ALL_NEW");
  return std::move(o).done();
}

std::string DeleteItemRequest::body() const {
  Object o;
  o.text("TableName", table);
  o.raw("Key", attrs_json(key));
  add_expressions(o, {{"ConditionExpression", &condition}});
  return std::move(o).done();
}

std::string QueryRequest::body() const {
  Object o;
  o.text("TableName", table);
  if (!index.empty()) o.text("IndexName", index);
  if (consistent) o.flag("ConsistentRead", true);
  add_expressions(o, {{"KeyConditionExpression", &key_condition}, {"FilterExpression", &filter}});
  o.flag("ScanIndexForward", forward);
  if (limit > 0) o.number("Limit", limit);
  if (!start_after.empty()) o.raw("ExclusiveStartKey", start_after);
  return std::move(o).done();
}

std::string ScanRequest::body() const {
  Object o;
  o.text("TableName", table);
  if (consistent) o.flag("ConsistentRead", true);
  add_expressions(o, {{"FilterExpression", &filter}});
  if (limit > 0) o.number("Limit", limit);
  if (!start_after.empty()) o.raw("ExclusiveStartKey", start_after);
  return std::move(o).done();
}

std::string BatchGetRequest::body() const {
  std::string out = "{\"RequestItems\":{";
  append_json_string(out, table);
  out += consistent ? ":{\"ConsistentRead\":true,\"Keys\":[" : ":{\"Keys\":[";
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (i > 0) out += ',';
    out += attrs_json(keys[i]);
  }
  out += "]}}}";
  return out;
}

std::string BatchWriteRequest::body() const {
  // Writes of one table go in one list, in their order. Each write's
  // table is found once (writes come in runs of one table, so the one
  // before is tried first), and the body is sized once: it holds every
  // item whole.
  std::vector<std::string_view> tables;
  std::vector<std::size_t> table_of(writes.size());
  std::size_t size = 64;
  for (std::size_t i = 0; i < writes.size(); ++i) {
    const Write& w = writes[i];
    size += w.table.size() + w.put.size() + w.delete_key.size() + 32;
    std::size_t t = 0;
    const std::string_view before = i > 0 ? writes[i - 1].table : std::string_view();
    // Views of one string, nearly always: the same address is the same name.
    if (i > 0 && before.size() == w.table.size() &&
        (before.data() == w.table.data() || before == w.table)) {
      t = table_of[i - 1];
    } else {
      t = static_cast<std::size_t>(std::find(tables.begin(), tables.end(), w.table) -
                                   tables.begin());
      if (t == tables.size()) tables.push_back(w.table);
    }
    table_of[i] = t;
  }
  std::string out;
  out.reserve(size);
  out += "{\"RequestItems\":{";
  for (std::size_t t = 0; t < tables.size(); ++t) {
    if (t > 0) out += ',';
    append_json_string(out, tables[t]);
    out += ":[";
    bool first = true;
    for (std::size_t i = 0; i < writes.size(); ++i) {
      if (table_of[i] != t) continue;
      const Write& w = writes[i];
      if (!first) out += ',';
      first = false;
      if (!w.put.empty()) {
        out += "{\"PutRequest\":{\"Item\":";
        out += w.put;
      } else {
        out += "{\"DeleteRequest\":{\"Key\":";
        out += w.delete_key;
      }
      out += "}}";
    }
    out += ']';
  }
  out += "}}";
  return out;
}

}  // namespace cctv::store::dynamodb
