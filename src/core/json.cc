// JSON for activities and values (cctv/json.h): written with RapidJSON's
// writer, read through core/json_reader.h.
#include "cctv/json.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <string>

#include "cctv/error.h"
#include "core/json_reader.h"

namespace cctv {

namespace {

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

// The string `v` holds, taken from it.
std::string take_string(Value& v, const char* name) {
  if (!v.is_string()) throw InvalidArgument(name, "must be a string");
  return std::move(v.as_string());
}

Timestamp time_field(const Value& v, Timestamp reference) {
  if (v.is_string()) return parse_time(v.as_string(), reference);
  if (v.is_number()) {
    const double seconds = v.as_number();
    if (!(seconds >= 0 && seconds < 1e10)) {
      throw InvalidArgument("time", std::to_string(seconds) +
                                        " epoch seconds is outside the times a store can hold "
                                        "(0 up to 10000000000)");
    }
    if (v.is_int()) return Timestamp(std::chrono::seconds(v.as_int()));
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
  return core::read_json(json, field);
}

Activity activity_from_json(std::string_view json, Timestamp reference) {
  return activity_from_value(core::read_json(json, "activity", core::FaultNaming::kByTopKey),
                             reference);
}

Activity activity_from_value(Value doc, Timestamp reference) {
  if (!doc.is_map()) throw InvalidArgument("activity", "must be a JSON object");
  Activity activity;
  activity.time = reference;
  bool has_actor = false;
  bool has_target = false;
  for (auto& [name, value] : doc.as_map()) {
    if (name == "actor") {
      activity.actor = take_string(value, "actor");
      has_actor = true;
    } else if (name == "target") {
      activity.target = take_string(value, "target");
      has_target = true;
    } else if (name == "time") {
      activity.time = time_field(value, reference);
    } else if (name == "id") {
      if (!value.is_string()) throw InvalidArgument("id", "must be a string");
      activity.id = parse_id(value.as_string());
    } else if (name == "attributes") {
      if (value.is_null()) continue;
      if (!value.is_map()) throw InvalidArgument("attributes", "must be a JSON object");
      activity.attributes = std::move(value.as_map());
    } else {
      throw InvalidArgument("field '" + core::shorten(name) + "'",
                            "is not part of an activity (actor, target, time, id, attributes); "
                            "put extra data under \"attributes\"");
    }
  }
  if (!has_actor) throw InvalidArgument("actor", "is missing");
  if (!has_target) throw InvalidArgument("target", "is missing");
  return activity;
}

}  // namespace cctv
