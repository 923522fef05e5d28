// /v1/tables: list, create, describe, change and drop tables.
#include "cctv/error.h"
#include "cctv/json.h"
#include "cctv/value.h"
#include "server/api.h"
#include "server/request_params.h"

namespace cctv::server {

Response Api::list_tables(Call& call) {
  call.query.allow_only({});
  std::string body = "{\"tables\":[";
  bool first = true;
  for (const std::string& name : client_.tables()) {
    if (!first) body += ',';
    first = false;
    append_json(Value(name), body);
  }
  body += "]}";
  return json(call, http::status::ok, std::move(body));
}

Response Api::create_table(Call& call) {
  call.query.allow_only({});
  // {"name": "...", "retention": "90d", "counts_retention": "1y"}
  const Value request = value_from_json(call.request.body(), "body");
  if (!request.is_map())
    throw InvalidArgument("body", "must be a JSON object such as {\"name\":\"logins\"}");
  std::string name;
  TableOptions options;
  for (const auto& [field, value] : request.as_map()) {
    if (!value.is_string()) throw InvalidArgument(field, "must be a string");
    const std::string* text = &value.as_string();
    if (field == "name") {
      name = *text;
    } else if (field == "retention") {
      options.retention = parse_duration(*text, "retention");
    } else if (field == "counts_retention") {
      options.counts_retention = parse_duration(*text, "counts_retention");
    } else {
      throw InvalidArgument(
          field, "is not a table setting; the settings are name, retention and counts_retention");
    }
  }
  if (name.empty()) throw InvalidArgument("name", "is required: {\"name\":\"logins\"}");
  return json(call, http::status::created, to_json(client_.create_table(name, options)));
}

Response Api::describe_table(Call& call) {
  call.query.allow_only({});
  validate_table_name(call.table);
  return json(call, http::status::ok, to_json(client_.describe_table(call.table)));
}

Response Api::alter_table(Call& call) {
  call.query.allow_only({"apply"});
  validate_table_name(call.table);
  const bool apply = flag_param(call.query, "apply");
  // {"retention": "30d", "counts_retention": "forever"}: the settings given
  // change, the others stay.
  const Value request = value_from_json(call.request.body(), "body");
  if (!request.is_map()) {
    throw InvalidArgument("body", "must be a JSON object such as {\"retention\":\"30d\"}");
  }
  TableOptions options = client_.describe_table(call.table).options;
  for (const auto& [field, value] : request.as_map()) {
    if (!value.is_string()) throw InvalidArgument(field, "must be a string");
    if (field == "retention") {
      options.retention = parse_duration(value.as_string(), "retention");
    } else if (field == "counts_retention") {
      options.counts_retention = parse_duration(value.as_string(), "counts_retention");
    } else {
      throw InvalidArgument(field,
                            "is not a setting that changes; the settings are retention and "
                            "counts_retention");
    }
  }
  client_.alter_table(call.table, options);
  if (apply) client_.apply_retention(call.table);
  return json(call, http::status::ok, to_json(client_.describe_table(call.table)));
}

Response Api::drop_table(Call& call) {
  call.query.allow_only({});
  validate_table_name(call.table);
  forget(call.table);
  client_.drop_table(call.table);
  forget(call.table);  // a write that raced the drop may have made a tracker again
  return respond(call.request, http::status::no_content, "", "");
}

}  // namespace cctv::server
