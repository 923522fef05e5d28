// POST and GET /v1/{table}/activities.
#include <algorithm>
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

// ,"errors":[{"index":i,"error":"..."},...] in index order; nothing when none.
void append_errors(std::vector<ItemError>& errors, std::string& out) {
  if (errors.empty()) return;
  std::sort(errors.begin(), errors.end(),
            [](const ItemError& a, const ItemError& b) { return a.index < b.index; });
  out += ",\"errors\":[";
  for (std::size_t e = 0; e < errors.size(); ++e) {
    if (e > 0) out += ',';
    out += "{\"index\":" + std::to_string(errors[e].index) + ",\"error\":";
    append_json(Value(errors[e].message), out);
    out += '}';
  }
  out += ']';
}

}  // namespace

Response Api::post_activities(Call& call) {
  call.query.allow_only({"atomic"});
  const bool atomic = flag_param(call.query, "atomic");
  const std::string_view content_type = view(call.request[http::field::content_type]);
  const bool ndjson = content_type.starts_with("application/x-ndjson") ||
                      content_type.starts_with("application/ndjson");
  const auto items = split_activity_items(call.request.body(), ndjson, options_.max_items);
  if (items.size() > options_.max_items) {
    return error_response(
        http::status::payload_too_large,
        "the body holds more than " + std::to_string(options_.max_items) +
            " activities, the most one request may carry (--max-items); send them in parts",
        call.request.version(), call.request.keep_alive());
  }
  // A kept tracker's table exists, so its name is valid.
  const std::optional<Tracker> kept = kept_tracker(call.table);
  if (!kept) validate_table_name(call.table);

  // Parse every item first. Checking each one before recording any
  // decides something only with atomic=true (all or none) and on a table's
  // first write (no table is made for a request that records nothing);
  // otherwise record() checks each item anyway, and checking it twice would
  // cost every activity of every batch.
  const bool check_first = atomic || !kept;
  const Timestamp reference = now();
  std::vector<Activity> activities(items.size());
  std::vector<bool> valid(items.size(), false);
  std::vector<ItemError> errors;
  for (std::size_t i = 0; i < items.size(); ++i) {
    try {
      activities[i] = activity_from_json(items[i], reference);
      if (check_first) validate_activity(activities[i]);
      valid[i] = true;
    } catch (const InvalidArgument& e) {
      errors.push_back(ItemError{i, e.what()});
    }
  }
  std::vector<ActivityId> ids;
  ids.reserve(items.size());
  const bool record_any = (errors.empty() || !atomic) && errors.size() < items.size();
  if (record_any) {
    // Made (when missing) only now: a request that records nothing leaves
    // no empty table behind.
    Tracker tracker = kept ? *kept : writer(call.table);
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!valid[i]) continue;
      try {
        ids.push_back(tracker.record(activities[i]));
      } catch (const InvalidArgument& e) {
        errors.push_back(ItemError{i, e.what()});
      } catch (const Backpressure&) {
        // What was accepted stays accepted (even with atomic=true: a
        // queued activity cannot be taken back); say where it stopped, so
        // the caller resends from there.
        std::string body = "{\"error\":";
        append_json(Value(backpressure_message(i, items.size())), body);
        body += ",\"accepted\":" + std::to_string(ids.size()) + ",";
        append_ids(ids, body);
        body += ",\"resume_from\":" + std::to_string(i);
        // The items from i on are resent whole: report what came before.
        std::erase_if(errors, [i](const ItemError& e) { return e.index >= i; });
        append_errors(errors, body);
        body += "}";
        Response response = json(call, http::status::service_unavailable, std::move(body));
        response.set(http::field::retry_after, "1");
        return response;
      }
    }
  }
  std::string body = "{\"accepted\":" + std::to_string(ids.size()) + ",";
  append_ids(ids, body);
  append_errors(errors, body);
  body += "}";
  return json(call, errors.empty() ? http::status::accepted : http::status::bad_request,
              std::move(body));
}

std::string Api::backpressure_message(std::size_t first_unrecorded, std::size_t items) const {
  const std::string what = items == 1 ? "the activity was not recorded; send it again"
                                      : "items " + std::to_string(first_unrecorded) +
                                            " and later were not recorded; send them again";
  return "the store is not keeping up: " + std::to_string(options_.max_queued) +
         " activities wait to be written (--max-queued) and stayed so for " +
         std::to_string(options_.enqueue_timeout.count()) + " ms (--enqueue-timeout-ms); " + what +
         " after Retry-After";
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
  const Page page = target ? tracker.view_activity(*target, range, options)
                           : tracker.view_actor_activity(*actor, range, options);
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
