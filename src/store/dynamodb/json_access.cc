#include "store/dynamodb/json_access.h"

#include <openssl/evp.h>

#include <charconv>
#include <optional>

#include "cctv/error.h"

namespace cctv::store::dynamodb {

rapidjson::Document parse_json(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse<kResponseParseFlags>(body.data(), body.size());
  return doc;
}

rapidjson::Document parse(const std::string& body, std::string_view operation) {
  rapidjson::Document doc = parse_json(body);
  if (doc.HasParseError() || !doc.IsObject()) {
    throw StoreError(std::string(operation) + " returned a response that is not JSON");
  }
  return doc;
}

std::optional<double> number_member(const rapidjson::Value& v, const char* name) {
  if (!v.IsObject()) return std::nullopt;
  auto it = v.FindMember(name);
  if (it == v.MemberEnd() || !it->value.IsString()) return std::nullopt;
  const char* first = it->value.GetString();
  const char* last = first + it->value.GetStringLength();
  double d = 0;
  const auto [end, ec] = std::from_chars(first, last, d);
  if (ec != std::errc() || end != last) return std::nullopt;
  return d;
}

std::string string_member(const rapidjson::Value& v, const char* name) {
  if (!v.IsObject()) return "";
  auto it = v.FindMember(name);
  return it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

const rapidjson::Value& member(const rapidjson::Value& v, const char* name) {
  if (v.IsObject()) {
    if (auto it = v.FindMember(name); it != v.MemberEnd()) return it->value;
  }
  throw StoreError(std::string("DynamoDB response without '") + name + "'");
}

const rapidjson::Value& object_member(const rapidjson::Value& v, const char* name) {
  const rapidjson::Value& m = member(v, name);
  if (!m.IsObject())
    throw StoreError(std::string("DynamoDB response: '") + name + "' is not an object");
  return m;
}

rapidjson::Value::ConstArray array_member(const rapidjson::Value& v, const char* name) {
  const rapidjson::Value& m = member(v, name);
  if (!m.IsArray())
    throw StoreError(std::string("DynamoDB response: '") + name + "' is not an array");
  return m.GetArray();
}

namespace {

std::string_view typed_value(const rapidjson::Value& item, const char* name, const char* type) {
  const rapidjson::Value& v = member(object_member(item, name), type);
  if (!v.IsString())
    throw StoreError(std::string("DynamoDB item: '") + name + "' is not of type " + type);
  return std::string_view(v.GetString(), v.GetStringLength());
}

}  // namespace

std::string_view s_value(const rapidjson::Value& item, const char* name) {
  return typed_value(item, name, "S");
}

std::string_view b_value(const rapidjson::Value& item, const char* name) {
  return typed_value(item, name, "B");
}

std::int64_t n_value(const rapidjson::Value& item, const char* name) {
  const std::string_view text = typed_value(item, name, "N");
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw StoreError(std::string("DynamoDB item: '") + name +
                     "' is not a whole number: " + std::string(text));
  }
  return n;
}

std::vector<std::int64_t> ns_value(const rapidjson::Value& item, const char* name) {
  std::vector<std::int64_t> out;
  if (!has_attribute(item, name)) return out;
  const rapidjson::Value& v = item[name];
  auto ns = v.IsObject() ? v.FindMember("NS") : v.MemberEnd();
  if (!v.IsObject() || ns == v.MemberEnd() || !ns->value.IsArray())
    throw StoreError(std::string("DynamoDB item: '") + name + "' is not a number set");
  for (const auto& n : ns->value.GetArray()) {
    std::int64_t x = 0;
    const std::string_view text(n.IsString() ? n.GetString() : "",
                                n.IsString() ? n.GetStringLength() : 0);
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
    if (ec != std::errc() || end != text.data() + text.size()) {
      throw StoreError(std::string("DynamoDB item: '") + name +
                       "' holds something not a whole number: " + std::string(text));
    }
    out.push_back(x);
  }
  return out;
}

bool has_attribute(const rapidjson::Value& item, const char* name) {
  return item.IsObject() && item.FindMember(name) != item.MemberEnd();
}

namespace {

void put_typed(Writer& w, const char* name, const char* type, std::string_view value) {
  w.Key(name);
  w.StartObject();
  w.Key(type);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  w.EndObject();
}

}  // namespace

void put_s(Writer& w, const char* name, std::string_view value) { put_typed(w, name, "S", value); }

void put_n(Writer& w, const char* name, std::int64_t value) {
  put_typed(w, name, "N", std::to_string(value));
}

void put_n(Writer& w, const char* name, std::uint64_t value) {
  put_typed(w, name, "N", std::to_string(value));
}

void append_base64(std::string& out, std::string_view bytes) {
  const std::size_t at = out.size();
  out.resize(at + 4 * ((bytes.size() + 2) / 3));
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data() + at),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(at + static_cast<std::size_t>(n));
}

std::string base64_encode(std::string_view bytes) {
  std::string out;
  append_base64(out, bytes);
  return out;
}

bool base64_decode(std::string_view text, std::string& out) {
  if (text.size() % 4 != 0) return false;
  // Padding: at most two '=', only at the end (EVP_DecodeBlock takes more).
  const std::size_t first_pad = text.find('=');
  if (first_pad != std::string_view::npos &&
      (text.size() - first_pad > 2 ||
       text.find_first_not_of('=', first_pad) != std::string_view::npos)) {
    return false;
  }
  out.resize(3 * (text.size() / 4));
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return false;
  // EVP_DecodeBlock counts the padding as zero bytes.
  std::size_t padding = 0;
  for (std::size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) ++padding;
  out.resize(static_cast<std::size_t>(n) - padding);
  return true;
}

}  // namespace cctv::store::dynamodb
