// JSON for activities and values (cctv/json.h), on RapidJSON.
#include "cctv/json.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <string>

#include "cctv/error.h"

namespace cctv {

namespace {

// Full precision keeps doubles exact; iterative parsing keeps hostile nesting
// off the call stack; encoding validation rejects invalid UTF-8.
constexpr unsigned kParseFlags = rapidjson::kParseFullPrecisionFlag |
                                 rapidjson::kParseIterativeFlag |
                                 rapidjson::kParseValidateEncodingFlag;
// Deeper than any attribute may nest (32), with room for the wrapping object.
constexpr int kMaxJsonDepth = 40;

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_value(const Value& value, Writer& w) {
  switch (value.type()) {
    case Value::Type::kNull:
      w.Null();
      break;
    case Value::Type::kBool:
      w.Bool(value.as_bool());
      break;
    case Value::Type::kInt:
      w.Int64(value.as_int());
      break;
    case Value::Type::kDouble:
      // Not JSON; record_activity() refuses these, so only a hand-built
      // Value can get here.
      if (!std::isfinite(value.as_double()))
        throw InvalidArgument("value", "NaN and infinity are not JSON");
      w.Double(value.as_double());
      break;
    case Value::Type::kString: {
      const std::string& s = value.as_string();
      w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
      break;
    }
    case Value::Type::kList:
      w.StartArray();
      for (const Value& v : value.as_list()) write_value(v, w);
      w.EndArray();
      break;
    case Value::Type::kMap:
      w.StartObject();
      for (const auto& [name, v] : value.as_map()) {
        w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
        write_value(v, w);
      }
      w.EndObject();
      break;
  }
}

Value from_rapidjson(const rapidjson::Value& j, const std::string& field, int depth) {
  if (depth > kMaxJsonDepth) throw InvalidArgument(field, "nests deeper than 32 levels");
  switch (j.GetType()) {
    case rapidjson::kNullType:
      return Value();
    case rapidjson::kFalseType:
      return Value(false);
    case rapidjson::kTrueType:
      return Value(true);
    case rapidjson::kNumberType:
      if (j.IsInt64()) return Value(j.GetInt64());
      if (j.IsUint64()) {
        throw InvalidArgument(field,
                              "integer " + std::to_string(j.GetUint64()) +
                                  " is above the 64-bit signed maximum; send it as a string");
      }
      return Value(j.GetDouble());
    case rapidjson::kStringType:
      return Value(std::string(j.GetString(), j.GetStringLength()));
    case rapidjson::kArrayType: {
      List list;
      list.reserve(j.Size());
      for (const auto& item : j.GetArray()) list.push_back(from_rapidjson(item, field, depth + 1));
      return Value(std::move(list));
    }
    case rapidjson::kObjectType: {
      Map map;
      map.reserve(j.MemberCount());
      for (const auto& m : j.GetObject()) {
        map.emplace_back(std::string(m.name.GetString(), m.name.GetStringLength()),
                         from_rapidjson(m.value, field, depth + 1));
      }
      return Value(std::move(map));
    }
  }
  return Value();
}

void parse_document(std::string_view json, rapidjson::Document& doc, const std::string& field) {
  doc.Parse<kParseFlags>(json.data(), json.size());
  if (doc.HasParseError()) {
    throw InvalidArgument(field, std::string("is not valid JSON: ") +
                                     rapidjson::GetParseError_En(doc.GetParseError()) +
                                     " (at byte " + std::to_string(doc.GetErrorOffset()) + ")");
  }
}

std::string string_field(const rapidjson::Value& v, const char* name) {
  if (!v.IsString()) {
    throw InvalidArgument(name, "must be a string");
  }
  return std::string(v.GetString(), v.GetStringLength());
}

Timestamp time_field(const rapidjson::Value& v, Timestamp reference) {
  if (v.IsString())
    return parse_time(std::string_view(v.GetString(), v.GetStringLength()), reference);
  if (v.IsNumber()) {
    const double seconds = v.GetDouble();
    if (!(seconds >= 0 && seconds < 1e10)) {
      throw InvalidArgument("time", std::to_string(seconds) +
                                        " epoch seconds is outside the times a store can hold "
                                        "(0 up to 10000000000)");
    }
    if (v.IsInt64()) return Timestamp(std::chrono::seconds(v.GetInt64()));
    return Timestamp(Microseconds(std::llround(seconds * 1e6)));
  }
  throw InvalidArgument("time", "must be a string (2026-11-01T10:00:00Z) or epoch seconds");
}

}  // namespace

void append_json(const Value& value, std::string& out) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  write_value(value, w);
  out.append(buffer.GetString(), buffer.GetSize());
}

std::string to_json(const Value& value) {
  std::string out;
  append_json(value, out);
  return out;
}

void append_json(const Activity& activity, std::string& out) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("actor");
  w.String(activity.actor.data(), static_cast<rapidjson::SizeType>(activity.actor.size()));
  w.Key("target");
  w.String(activity.target.data(), static_cast<rapidjson::SizeType>(activity.target.size()));
  const std::string time = format_time(activity.time);
  w.Key("time");
  w.String(time.data(), static_cast<rapidjson::SizeType>(time.size()));
  const std::string id = format_id(activity.id);
  w.Key("id");
  w.String(id.data(), static_cast<rapidjson::SizeType>(id.size()));
  w.Key("attributes");
  w.StartObject();
  for (const auto& [name, v] : activity.attributes) {
    w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    write_value(v, w);
  }
  w.EndObject();
  w.EndObject();
  out.append(buffer.GetString(), buffer.GetSize());
}

std::string to_json(const Activity& activity) {
  std::string out;
  append_json(activity, out);
  return out;
}

Value value_from_json(std::string_view json, std::string_view field) {
  rapidjson::Document doc;
  const std::string name(field);
  parse_document(json, doc, name);
  return from_rapidjson(doc, name, 0);
}

Activity activity_from_json(std::string_view json, Timestamp reference) {
  rapidjson::Document doc;
  parse_document(json, doc, "activity");
  if (!doc.IsObject()) throw InvalidArgument("activity", "must be a JSON object");
  Activity activity;
  activity.time = reference;
  bool has_actor = false;
  bool has_target = false;
  for (const auto& m : doc.GetObject()) {
    const std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (name == "actor") {
      activity.actor = string_field(m.value, "actor");
      has_actor = true;
    } else if (name == "target") {
      activity.target = string_field(m.value, "target");
      has_target = true;
    } else if (name == "time") {
      activity.time = time_field(m.value, reference);
    } else if (name == "id") {
      const std::string id = string_field(m.value, "id");
      activity.id = parse_id(id);
    } else if (name == "attributes") {
      if (m.value.IsNull()) continue;
      if (!m.value.IsObject()) throw InvalidArgument("attributes", "must be a JSON object");
      activity.attributes = std::move(from_rapidjson(m.value, "attributes", 1).as_map());
    } else {
      throw InvalidArgument("field '" + std::string(name) + "'",
                            "is not part of an activity (actor, target, time, id, attributes); "
                            "put extra data under \"attributes\"");
    }
  }
  if (!has_actor) throw InvalidArgument("actor", "is missing");
  if (!has_target) throw InvalidArgument("target", "is missing");
  return activity;
}

}  // namespace cctv
