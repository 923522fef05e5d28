#include "store/dynamodb/item_codec.h"

#include <charconv>

#include "cctv/error.h"
#include "core/attribute_codec.h"
#include "store/dynamodb/sort_key.h"

namespace cctv::store::dynamodb {

namespace {

// Writes attributes as AttributeValues while walking their encoding.
class ItemWriter final : public core::AttributeVisitor {
 public:
  explicit ItemWriter(std::string& out) : out_(out) {}

  void null() override { scalar("{\"NULL\":true}"); }
  void boolean(bool b) override { scalar(b ? "{\"BOOL\":true}" : "{\"BOOL\":false}"); }
  void integer(std::int64_t i) override {
    char buf[24];
    auto end = std::to_chars(buf, buf + sizeof buf, i).ptr;
    number_text(std::string_view(buf, static_cast<std::size_t>(end - buf)));
  }
  void number(double d) override {
    char buf[32];
    auto end = std::to_chars(buf, buf + sizeof buf, d).ptr;  // shortest exact form
    number_text(std::string_view(buf, static_cast<std::size_t>(end - buf)));
  }
  void string(std::string_view s) override {
    separate();
    out_ += "{\"S\":";
    append_json_string(out_, s);
    out_ += '}';
  }
  void begin_list(std::size_t /*size*/) override {
    separate();
    out_ += "{\"L\":[";
    first_ = true;
  }
  void end_list() override {
    out_ += "]}";
    first_ = false;
  }
  void begin_map(std::size_t /*size*/) override {
    if (depth_++ == 0) {  // the item's top level: entries join the key attributes
      first_ = false;
      return;
    }
    separate();
    out_ += "{\"M\":{";
    first_ = true;
  }
  void key(std::string_view name) override {
    separate();
    append_json_string(out_, name);
    out_ += ':';
    first_ = true;  // the value follows without a comma
  }
  void end_map() override {
    if (--depth_ > 0) out_ += "}}";
    first_ = false;
  }

 private:
  void separate() {
    if (!first_) out_ += ',';
    first_ = false;
  }
  void scalar(std::string_view json) {
    separate();
    out_ += json;
  }
  void number_text(std::string_view text) {
    separate();
    out_ += "{\"N\":\"";
    out_ += text;
    out_ += "\"}";
  }

  std::string& out_;
  bool first_ = true;
  int depth_ = 0;
};

[[noreturn]] void bad_item(const std::string& why) {
  throw StoreError("unreadable item in DynamoDB: " + why);
}

Value read_value(const rapidjson::Value& av, int depth);

Value read_number(const rapidjson::Value& n) {
  if (!n.IsString()) bad_item("N is not a string");
  const std::string_view text(n.GetString(), n.GetStringLength());
  std::int64_t i = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
  if (ec == std::errc() && end == text.data() + text.size()) return Value(i);
  double d = 0;
  auto [dend, dec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (dec != std::errc() || dend != text.data() + text.size())
    bad_item("N '" + std::string(text) + "'");
  return Value(d);
}

// `depth`: how deep in lists and maps `av` lies. An item nested past what
// cctv writes (kMaxNesting) is refused, so a hostile response cannot
// recurse the stack away.
Value read_value(const rapidjson::Value& av, int depth) {
  if (depth > core::kMaxNesting) bad_item("an attribute nests deeper than 32 levels");
  if (!av.IsObject() || av.MemberCount() != 1)
    bad_item("an AttributeValue is not a one-member object");
  const auto& m = *av.MemberBegin();
  const std::string_view type(m.name.GetString(), m.name.GetStringLength());
  const rapidjson::Value& v = m.value;
  if ((type == "S" || type == "B") && v.IsString())
    return Value(std::string(v.GetString(), v.GetStringLength()));
  if (type == "N") return read_number(v);
  if (type == "BOOL" && v.IsBool()) return Value(v.GetBool());
  if (type == "NULL") return Value();
  if (type == "L" && v.IsArray()) {
    List list;
    list.reserve(v.Size());
    for (const auto& item : v.GetArray()) list.push_back(read_value(item, depth + 1));
    return Value(std::move(list));
  }
  if (type == "M" && v.IsObject()) {
    Map map;
    map.reserve(v.MemberCount());
    for (const auto& member : v.GetObject()) {
      map.emplace_back(std::string(member.name.GetString(), member.name.GetStringLength()),
                       read_value(member.value, depth + 1));
    }
    return Value(std::move(map));
  }
  if ((type == "SS" || type == "NS" || type == "BS") && v.IsArray()) {
    List list;
    for (const auto& item : v.GetArray()) {
      if (!item.IsString()) bad_item(std::string(type) + " holds a non-string");
      list.push_back(type == "NS" ? read_number(item)
                                  : Value(std::string(item.GetString(), item.GetStringLength())));
    }
    return Value(std::move(list));
  }
  bad_item("unknown AttributeValue type '" + std::string(type) + "'");
}

std::string_view string_attribute(const rapidjson::Value& item, const char* name) {
  auto it = item.FindMember(name);
  if (it == item.MemberEnd()) return {};
  const auto& av = it->value;
  auto s = av.IsObject() ? av.FindMember("S") : av.MemberEnd();
  if (!av.IsObject() || s == av.MemberEnd() || !s->value.IsString())
    bad_item(std::string(name) + " is not of type S");
  return std::string_view(s->value.GetString(), s->value.GetStringLength());
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  // Append runs of plain characters at once; escape the rest one by one.
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    if (u >= 0x20 && u != '"' && u != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    if (u == '"' || u == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(u));
    } else {
      out += "\\u00";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

namespace {

// A number's digits, without the string std::to_string makes: on the
// path of every item.
template <typename Integer>
void append_digits(std::string& out, Integer value) {
  char buf[24];
  const auto end = std::to_chars(buf, buf + sizeof buf, value).ptr;
  out.append(buf, static_cast<std::size_t>(end - buf));
}

}  // namespace

std::string counts_tag_json(std::uint64_t tag) {
  std::string out = ",\"";
  out += kCountsTagAttribute;
  out += "\":{\"N\":\"";
  append_digits(out, tag);
  out += "\"}";
  return out;
}

void append_item(const core::RecordView& record, std::int64_t expires_at,
                 std::string_view counts_tag, std::string& out, std::string& sort_key) {
  sort_key.clear();
  append_sort_key(sort_key, record.time_us, record.id);
  out += "{\"target\":{\"S\":";
  append_json_string(out, record.target);
  out += "},\"timestamp\":{\"S\":\"";
  out += sort_key;
  out += "\"},\"actor\":{\"S\":";
  append_json_string(out, record.actor);
  out += '}';
  // Views, not C strings: no strlen per item.
  using namespace std::string_view_literals;
  if (expires_at > 0) {
    out += ",\"expires_at\":{\"N\":\""sv;
    append_digits(out, expires_at);
    out += "\"}"sv;
  }
  out += counts_tag;
  ItemWriter writer(out);
  core::walk_attributes(record.attributes, writer);
  out += '}';
}

Activity read_item(const rapidjson::Value& item) {
  if (!item.IsObject()) bad_item("not an object");
  const std::string_view target = string_attribute(item, "target");
  const std::string_view timestamp = string_attribute(item, "timestamp");
  if (target.empty()) bad_item("no target");
  const auto key = parse_sort_key(timestamp, target);
  if (!key)
    bad_item("timestamp '" + std::string(timestamp) +
             "' is neither SSSSSSSSSS nor SSSSSSSSSS.uuuuuu#id");
  Activity a;
  a.target.assign(target);
  a.actor.assign(string_attribute(item, "actor"));
  a.time = Timestamp(Microseconds(key->time_us));
  a.id = key->id;
  a.attributes.reserve(item.MemberCount());
  for (const auto& m : item.GetObject()) {
    const std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (name == "target" || name == "timestamp" || name == "actor" || name == "expires_at" ||
        name == kPutTokenAttribute || name == kCountsTagAttribute) {
      continue;
    }
    a.attributes.emplace_back(std::string(name), read_value(m.value, 0));
  }
  return a;
}

std::string with_put_token(std::string_view item, std::string_view token) {
  std::string out(item.substr(0, item.rfind('}')));
  out += ",\"";
  out += kPutTokenAttribute;
  out += "\":{\"S\":";
  append_json_string(out, token);
  out += "}}";
  return out;
}

std::string add_index_command(const std::string& remote_name) {
  return "aws dynamodb update-table --table-name " + remote_name +
         " --attribute-definitions AttributeName=actor,AttributeType=S "
         "AttributeName=timestamp,AttributeType=S --global-secondary-index-updates "
         "'[{\"Create\":{\"IndexName\":\"actor-index\",\"KeySchema\":[{\"AttributeName\":"
         "\"actor\",\"KeyType\":\"HASH\"},{\"AttributeName\":\"timestamp\",\"KeyType\":\"RANGE\"}],"
         "\"Projection\":{\"ProjectionType\":\"ALL\"}}}]'";
}

}  // namespace cctv::store::dynamodb
