// POST and GET /v1/{table}/activities.
#include <algorithm>
#include <atomic>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cctv/error.h"
#include "cctv/json.h"
#include "server/activity_items.h"
#include "server/api.h"
#include "server/deferred_answer.h"
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

// ,"errors":[{"index":i,"error":"..."},...] for the errors before item
// `before`, in index order; nothing when none.
void append_errors(const std::vector<ItemError>& errors, std::size_t before, std::string& out) {
  bool first = true;
  for (const ItemError& e : errors) {
    if (e.index >= before) break;
    out += first ? ",\"errors\":[" : ",";
    first = false;
    out += "{\"index\":" + std::to_string(e.index) + ",\"error\":";
    append_json(Value(e.message), out);
    out += '}';
  }
  if (!first) out += ']';
}

// ,"resend":[{"index":i,"id":"...","time":"..."},...]: the queued items
// of [from, to), which may not be stored, with the id and time they were
// given: an activity is (target, time, id), so sent again with both it is
// stored once, and an item sent without a time would get a new one.
void append_resend(const std::vector<ActivityId>& ids, const std::vector<Timestamp>& times,
                   const std::vector<std::size_t>& item_of, std::size_t from, std::size_t to,
                   std::string& out) {
  out += ",\"resend\":[";
  bool first = true;
  for (std::size_t k = 0; k < item_of.size(); ++k) {
    if (item_of[k] < from || item_of[k] >= to || ids[k] == kNoId) continue;
    if (!first) out += ',';
    first = false;
    out += "{\"index\":" + std::to_string(item_of[k]) + ",\"id\":\"" + format_id(ids[k]) +
           "\",\"time\":\"" + format_time(times[k]) + "\"}";
  }
  out += ']';
}

}  // namespace

// A POST whose activities were handed to the store: what it answers once
// the store holds them (or could not take them all), or when that takes
// longer than --ack-timeout. record_batch() returning and its on_stored
// may come in either order, on different threads: the second builds the
// answer.
struct PostedActivities {
  unsigned version = 11;
  bool keep_alive = true;
  std::chrono::milliseconds ack_timeout{0};
  std::vector<std::size_t> item_of;  // the batch's activity k is item item_of[k]
  std::vector<Timestamp> time_of;    // and its time
  std::vector<ItemError> errors;     // by item index, in order (parsing and recording)
  BatchResult result;                // what record_batch() accepted
  std::string refused;               // why items from result.stopped_at were not queued
  BatchStored stored;                // what on_stored said
  std::atomic<int> arrivals{0};

  // The first item not queued (the queue was full, or the server stopping),
  // if any: from it on, items are sent again whole.
  std::optional<std::size_t> unqueued_from() const {
    if (result.stopped_at < item_of.size()) return item_of[result.stopped_at];
    return std::nullopt;
  }

  Response answer() const {
    const std::optional<std::size_t> unqueued = unqueued_from();
    std::optional<std::size_t> failed;
    if (!stored.all_stored()) failed = item_of[stored.first_unstored];
    if (!failed && !unqueued) {
      std::vector<ActivityId> ids;
      for (ActivityId id : result.ids) {
        if (id != kNoId) ids.push_back(id);
      }
      std::string body = "{\"accepted\":" + std::to_string(ids.size()) + ",";
      append_ids(ids, body);
      append_errors(errors, SIZE_MAX, body);
      body += "}";
      return make_response(errors.empty() ? http::status::accepted : http::status::bad_request,
                           version, keep_alive, "application/json", std::move(body));
    }
    if (!failed) return unavailable(refused, *unqueued, unqueued);
    // The store refused part of a write (the failed item is always among
    // those queued, so before any unqueued one).
    std::string message = "the store did not take items " + std::to_string(*failed) +
                          " and later: " + stored.error + "; send the items in \"resend\" again " +
                          kWithIdAndTime;
    if (unqueued) message += "; and " + refused;
    return unavailable(message, *failed, unqueued);
  }

  // The answer when the store did not confirm within --ack-timeout: none
  // of the items is known to be stored.
  Response expired() const {
    const std::optional<std::size_t> unqueued = unqueued_from();
    std::string message =
        "the store did not confirm the activities accepted within " +
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(ack_timeout).count()) +
        " s (--ack-timeout); they stay queued and are written if it recovers: send the items in "
        "\"resend\" again " +
        kWithIdAndTime;
    if (unqueued) message += "; and " + refused;
    return unavailable(message, item_of[0], unqueued, true);
  }

 private:
  static constexpr const char* kWithIdAndTime =
      "with the id and time each is given there (an activity sent again with its id and time is "
      "stored once)";

  // A 503 from item `from` on. With `unqueued` set and items before it to
  // send again by id (`resend`: a store failure or a timeout), those are
  // listed, and "whole_from" says where items are sent whole; without,
  // every item from `from` is sent whole.
  Response unavailable(const std::string& message, std::size_t from,
                       std::optional<std::size_t> unqueued, bool none_stored = false) const {
    const bool resend = unqueued != from || none_stored;
    std::vector<ActivityId> stored_ids;
    if (!none_stored) {
      for (std::size_t k = 0; k < item_of.size(); ++k) {
        if (item_of[k] < from && result.ids[k] != kNoId) stored_ids.push_back(result.ids[k]);
      }
    }
    std::string body = "{\"error\":";
    append_json(Value(message), body);
    body += ",\"accepted\":" + std::to_string(stored_ids.size()) + ",";
    append_ids(stored_ids, body);
    body += ",\"resume_from\":" + std::to_string(from);
    if (resend) {
      append_resend(result.ids, time_of, item_of, from, unqueued.value_or(SIZE_MAX), body);
      if (unqueued) body += ",\"whole_from\":" + std::to_string(*unqueued);
    }
    // Items sent again whole get their errors then; items sent again by
    // "resend" need theirs now.
    append_errors(errors, resend ? SIZE_MAX : from, body);
    body += "}";
    Response response = make_response(http::status::service_unavailable, version, keep_alive,
                                      "application/json", std::move(body));
    response.set(http::field::retry_after, "1");
    return response;
  }
};

Response Api::post_activities(Call& call) {
  call.query.allow_only({"atomic", "sync"});
  const bool atomic = flag_param(call.query, "atomic");
  const bool sync = options_.sync || flag_param(call.query, "sync");
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
  // otherwise record_batch() checks each item anyway, and checking it twice
  // would cost every activity of every batch.
  const bool check_first = atomic || !kept;
  const Timestamp reference = now();
  auto posted = std::make_shared<PostedActivities>();
  posted->version = call.request.version();
  posted->keep_alive = call.request.keep_alive();
  posted->ack_timeout = options_.ack_timeout;
  std::vector<Activity> activities;
  activities.reserve(items.size());
  std::vector<ItemError> parse_errors;
  for (std::size_t i = 0; i < items.size(); ++i) {
    try {
      Activity a = activity_from_json(items[i], reference);
      if (check_first) validate_activity(a);
      posted->time_of.push_back(a.time);
      activities.push_back(std::move(a));
      posted->item_of.push_back(i);
    } catch (const InvalidArgument& e) {
      parse_errors.push_back(ItemError{i, e.what()});
    }
  }
  if (activities.empty() || (atomic && !parse_errors.empty())) {
    posted->errors = std::move(parse_errors);
    posted->item_of.clear();
    posted->time_of.clear();
    return posted->answer();  // a 400 that records nothing
  }
  // Made (when missing) only now: a request that records nothing leaves
  // no empty table behind.
  Tracker tracker = kept ? *kept : writer(call.table);
  BatchOptions options;
  options.sync = sync;
  options.on_stored = [posted, later = call.later](const BatchStored& stored) {
    posted->stored = stored;
    if (posted->arrivals.fetch_add(1, std::memory_order_acq_rel) == 1)
      later->answer(posted->answer());
  };
  BatchResult result = tracker.record_batch(activities, options);
  // Errors found while recording are by position in `activities`.
  for (ItemError& e : result.errors) e.index = posted->item_of[e.index];
  std::merge(parse_errors.begin(), parse_errors.end(), result.errors.begin(), result.errors.end(),
             std::back_inserter(posted->errors),
             [](const ItemError& a, const ItemError& b) { return a.index < b.index; });
  if (result.stopped_at < activities.size()) {
    const std::size_t first = posted->item_of[result.stopped_at];
    posted->refused = result.closed
                          ? "the server is stopping: items " + std::to_string(first) +
                                " and later were not recorded; send them again once it is back"
                          : backpressure_message(first, items.size());
  }
  const bool any_accepted = result.accepted() > 0;
  posted->result = std::move(result);
  if (!any_accepted) return posted->answer();  // on_stored never comes
  call.later->set_fallback([posted] { return posted->expired(); });
  call.deferred = true;
  if (posted->arrivals.fetch_add(1, std::memory_order_acq_rel) == 1)
    call.later->answer(posted->answer());
  return Response();
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
  if (target && actor) {
    throw InvalidArgument("target", "give target=T or actor=A, not both (neither: every target)");
  }
  const bool whole_table = !target && !actor;
  if (whole_table && call.query.get("order")) {
    throw InvalidArgument("order", "the whole table comes target by target; leave order out, or "
                                   "give target=T or actor=A");
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
  const Page page = whole_table ? tracker.view_all_activity(range, options)
                    : target    ? tracker.view_activity(*target, range, options)
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
