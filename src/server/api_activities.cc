// POST and GET /v1/{table}/activities.
#include <string>
#include <vector>

#include "cctv/error.h"
#include "cctv/json.h"
#include "server/activity_items.h"
#include "server/api.h"
#include "server/request_params.h"

namespace cctv::server {

namespace {

void append_ids(const std::vector<ActivityId>& ids, std::string& out) {
  out += "\"ids\":[";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    out += format_id(ids[i]);
    out += '"';
  }
  out += ']';
}

struct ItemError {
  std::size_t index;
  std::string message;
};

}  // namespace

Response Api::post_activities(Call& call) {
  call.query.allow_only({"atomic"});
  const bool atomic = flag_param(call.query, "atomic");
  const std::string_view content_type = view(call.request[http::field::content_type]);
  const bool ndjson = content_type.starts_with("application/x-ndjson") || content_type.starts_with("application/ndjson");
  const auto items = split_activity_items(call.request.body(), ndjson);
  if (items.size() > options_.max_items) {
    return error_response(http::status::payload_too_large,
                          "the body holds " + std::to_string(items.size()) + " activities; at most " +
                              std::to_string(options_.max_items) + " go in one request (--max-items)",
                          call.request.version(), call.request.keep_alive());
  }
  Tracker tracker = writer(call.table);

  // Parse and check every item first: with atomic=true nothing is recorded
  // unless all are valid; without it the valid ones are.
  const Timestamp reference = now();
  std::vector<Activity> activities(items.size());
  std::vector<bool> valid(items.size(), false);
  std::vector<ItemError> errors;
  for (std::size_t i = 0; i < items.size(); ++i) {
    try {
      activities[i] = activity_from_json(items[i], reference);
      validate_activity(activities[i]);
      valid[i] = true;
    } catch (const InvalidArgument& e) {
      errors.push_back(ItemError{i, e.what()});
    }
  }
  std::vector<ActivityId> ids;
  ids.reserve(items.size());
  if (errors.empty() || !atomic) {
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!valid[i]) continue;
      try {
        ids.push_back(tracker.record(activities[i]));
      } catch (const InvalidArgument& e) {
        errors.push_back(ItemError{i, e.what()});
      } catch (const Backpressure& e) {
        // What was accepted stays accepted; say how far it got, so the
        // caller resends the rest.
        std::string body = "{\"error\":";
        append_json(Value(std::string(e.what()) + "; item " + std::to_string(i) + " and later were not recorded"),
                    body);
        body += ",\"accepted\":" + std::to_string(ids.size()) + ",";
        append_ids(ids, body);
        body += "}";
        Response response = json(call, http::status::service_unavailable, std::move(body));
        response.set(http::field::retry_after, "1");
        return response;
      }
    }
  }
  std::string body = "{\"accepted\":" + std::to_string(ids.size()) + ",";
  append_ids(ids, body);
  if (errors.empty()) {
    body += "}";
    return json(call, http::status::accepted, std::move(body));
  }
  std::sort(errors.begin(), errors.end(), [](const ItemError& a, const ItemError& b) { return a.index < b.index; });
  body += ",\"errors\":[";
  for (std::size_t e = 0; e < errors.size(); ++e) {
    if (e > 0) body += ',';
    body += "{\"index\":" + std::to_string(errors[e].index) + ",\"error\":";
    append_json(Value(errors[e].message), body);
    body += '}';
  }
  body += "]}";
  return json(call, http::status::bad_request, std::move(body));
}

Response Api::get_activities(Call& call) {
  call.query.allow_only({"target", "actor", "from", "to", "limit", "order", "cursor"});
  const auto target = call.query.get("target");
  const auto actor = call.query.get("actor");
  if (target.has_value() == actor.has_value()) {
    throw InvalidArgument("target", "give either target=T or actor=A (one of them)");
  }
  ViewOptions options;
  options.limit = size_param(call.query, "limit", kDefaultViewLimit, 1, kMaxViewLimit);
  if (auto order = call.query.get("order")) {
    if (*order == "newest") {
      options.order = Order::kNewestFirst;
    } else if (*order == "oldest") {
      options.order = Order::kOldestFirst;
    } else {
      throw InvalidArgument("order", "must be newest or oldest, got '" + *order + "'");
    }
  }
  options.cursor = call.query.get("cursor").value_or("");
  const TimeRange range = range_param(call.query, TimeRange{});
  Tracker tracker = reader(call.table);
  const Page page =
      target ? tracker.view_activity(*target, range, options) : tracker.view_actor_activity(*actor, range, options);
  std::string body = "{\"activities\":[";
  for (std::size_t i = 0; i < page.activities.size(); ++i) {
    if (i > 0) body += ',';
    append_json(page.activities[i], body);
  }
  body += "],\"next_cursor\":";
  if (page.next_cursor.empty()) {
    body += "null";
  } else {
    append_json(Value(page.next_cursor), body);
  }
  body += "}";
  return json(call, http::status::ok, std::move(body));
}

}  // namespace cctv::server
