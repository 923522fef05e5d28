#include "store/remote/remote_store.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "cctv/error.h"
#include "cctv/json.h"
#include "core/attribute_codec.h"

namespace cctv::store::remote {

namespace {

// The server's limits are --max-items (10,000) and --max-body-bytes
// (8 MiB) by default: a request stays well inside both.
constexpr std::size_t kItemsPerPost = 5'000;
constexpr std::size_t kBytesPerPost = std::size_t{4} << 20;
// A 503 for a full queue says which items to send again; they are sent
// again this many times, waiting as Retry-After says (at most this long),
// before the write fails and the pipeline retries the whole batch.
constexpr int kResendAttempts = 20;
constexpr auto kLongestWait = std::chrono::seconds(5);
constexpr std::size_t kPageLimit = 10'000;

// Microseconds since the epoch as the API's epoch seconds: "1790000000.250000".
// The API takes times before the end of time (kMaxTime): an end at it is
// sent a microsecond earlier, which no bucket or activity can tell apart.
std::string epoch_seconds(std::int64_t us) {
  us = std::clamp<std::int64_t>(us, 0, kMaxTime.time_since_epoch().count() - 1);
  std::string micros = std::to_string(us % 1'000'000);
  micros.insert(0, 6 - micros.size(), '0');
  return std::to_string(us / 1'000'000) + "." + micros;
}

// "&from=…&to=…", leaving out the ends the API takes by default (the
// beginning of time, and its end, which the API's time forms exclude).
std::string range_query(std::int64_t from_us, std::int64_t to_us) {
  std::string out;
  if (from_us > 0) out += "&from=" + epoch_seconds(from_us);
  if (to_us < kMaxTime.time_since_epoch().count()) out += "&to=" + epoch_seconds(to_us);
  return out;
}

// A retention as the API writes one: seconds, or "forever".
std::string duration_text(std::chrono::seconds d) {
  return d.count() == 0 ? "forever" : std::to_string(d.count()) + "s";
}

// "+05:30", "-05:00": a UTC offset as the API takes one.
std::string offset_text(std::chrono::minutes offset) {
  const auto minutes = std::abs(offset.count());
  char text[16];
  std::snprintf(text, sizeof text, "%c%02d:%02d", offset.count() < 0 ? '-' : '+',
                static_cast<int>(minutes / 60), static_cast<int>(minutes % 60));
  return text;
}

// The server's answers, read: what does not have the shape the API gives
// it is a StoreError naming the member, never a crash or a misread value.
StoreError misread(const std::string& what, const std::string& problem) {
  return StoreError("could not " + what + ": the cctv server's answer " + problem);
}

Value json_of(const std::string& body, const std::string& what) {
  try {
    return value_from_json(body);
  } catch (const InvalidArgument& e) {
    throw misread(what, std::string("is not JSON: ") + e.what());
  }
}

const Value& member(const Value& object, const char* name, const std::string& what) {
  const Value* v = object.is_map() ? object.find(name) : nullptr;
  if (v == nullptr) throw misread(what, std::string("has no '") + name + "'");
  return *v;
}

const List& list_at(const Value& object, const char* name, const std::string& what) {
  const Value& v = member(object, name, what);
  if (!v.is_list()) throw misread(what, std::string("has '") + name + "' that is not a list");
  return v.as_list();
}

std::int64_t int_at(const Value& object, const char* name, const std::string& what) {
  const Value& v = member(object, name, what);
  if (!v.is_int()) throw misread(what, std::string("has '") + name + "' that is not a whole number");
  return v.as_int();
}

const std::string& string_at(const Value& object, const char* name, const std::string& what) {
  const Value& v = member(object, name, what);
  if (!v.is_string()) throw misread(what, std::string("has '") + name + "' that is not a string");
  return v.as_string();
}

bool bool_at(const Value& object, const char* name, const std::string& what) {
  const Value& v = member(object, name, what);
  if (!v.is_bool()) throw misread(what, std::string("has '") + name + "' that is not true or false");
  return v.as_bool();
}

std::vector<Activity> activities_of(Value& page, const std::string& what) {
  std::vector<Activity> out;
  list_at(page, "activities", what);  // checks it is there, and a list
  // Taken apart, not copied: each activity is moved out of the page.
  List* list = nullptr;
  for (auto& [name, value] : page.as_map()) {
    if (name == "activities") list = &value.as_list();
  }
  out.reserve(list->size());
  const Timestamp reference = now();  // for an activity without a time, which a server never sends
  for (Value& item : *list) {
    try {
      out.push_back(activity_from_value(std::move(item), reference));
    } catch (const InvalidArgument& e) {
      throw misread(what, std::string("holds an activity cctv cannot read: ") + e.what());
    }
  }
  return out;
}

std::string next_cursor_of(const Value& page, const std::string& what) {
  const Value& next = member(page, "next_cursor", what);
  return next.is_string() ? next.as_string() : std::string();
}

Timestamp timestamp_at(const Value& object, const char* name, const std::string& what) {
  try {
    return parse_time(string_at(object, name, what));
  } catch (const InvalidArgument& e) {
    throw misread(what, std::string("has a '") + name + "' that is not a time: " + e.what());
  }
}

}  // namespace

RemoteOptions parse_remote_uri(std::string_view uri) {
  const std::string text(uri);
  if (uri.substr(0, 7) != "http://") {
    throw InvalidArgument("store URI", "'" + text + "' is not http://HOST:PORT (a cctv server)");
  }
  std::string_view rest = uri.substr(7);
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.empty() || rest.find_first_of("/?#@ ") != std::string_view::npos) {
    throw InvalidArgument("store URI", "'" + text +
                                           "' must be http://HOST:PORT of a cctv server, without "
                                           "a path or parameters (e.g. http://127.0.0.1:8080)");
  }
  RemoteOptions options;
  options.base_url = "http://" + std::string(rest);
  if (const char* key = std::getenv("CCTV_API_KEY"); key != nullptr) options.api_key = key;
  return options;
}

RemoteStore::RemoteStore(RemoteOptions options)
    : options_(std::move(options)), http_(std::chrono::seconds(120)) {}

std::unique_ptr<RemoteStore> RemoteStore::open(const RemoteOptions& options) {
  std::unique_ptr<RemoteStore> store(new RemoteStore(options));
  // A route that needs the read scope: a wrong key, or something that is
  // no cctv server, fails now, not later.
  store->list_tables();
  return store;
}

HttpResponse RemoteStore::call(const std::string& method, const std::string& path_and_query,
                               std::string_view body, std::string_view content_type) {
  HttpRequest request;
  request.method = method;
  request.url = options_.base_url + path_and_query;
  if (!options_.api_key.empty()) request.headers.push_back("Authorization: Bearer " + options_.api_key);
  if (!content_type.empty()) request.headers.push_back("Content-Type: " + std::string(content_type));
  request.body = body;
  return http_.perform(request);
}

void RemoteStore::fail(const std::string& what, const HttpResponse& response) const {
  if (response.status == 0) {
    throw StoreError("could not " + what + ": no answer from the cctv server at " +
                     options_.base_url + " (" + response.transport_error +
                     "); is `cctv serve` running there?");
  }
  // The server's errors are {"error":"field: rule"}.
  std::string message = response.body;
  try {
    const Value v = value_from_json(response.body);
    if (const Value* e = v.is_map() ? v.find("error") : nullptr; e != nullptr && e->is_string())
      message = e->as_string();
  } catch (const InvalidArgument&) {
    // Not JSON: say what came.
  }
  switch (response.status) {
    case 400: {
      const auto colon = message.find(": ");
      if (colon != std::string::npos && colon < 64)
        throw InvalidArgument(message.substr(0, colon), message.substr(colon + 2));
      throw InvalidArgument("request", message);
    }
    case 404:
      throw NotFound(message);
    case 409:
      throw AlreadyExists(message);
    case 401:
    case 403:
      throw StoreError("could not " + what + ": the cctv server at " + options_.base_url +
                       " refused: " + message +
                       " (give a key with --api-key or CCTV_API_KEY)");
    case 507:
      throw StoreFull("could not " + what + ": " + message);
    default:
      throw StoreError("could not " + what + ": the cctv server at " + options_.base_url +
                       " answered " + std::to_string(response.status) + ": " + message);
  }
}

std::string RemoteStore::fetch(const std::string& what, const std::string& method,
                               const std::string& path_and_query, std::string_view body) {
  HttpResponse response =
      call(method, path_and_query, body, body.empty() ? "" : "application/json");
  if (response.status < 200 || response.status >= 300) fail(what, response);
  return std::move(response.body);
}

std::string RemoteStore::name_of(TableHandle table) {
  std::lock_guard lock(mu_);
  if (table >= names_.size()) throw StoreError("unknown table handle");
  return names_[table];
}

TableHandle RemoteStore::handle_of(std::string_view name) {
  std::lock_guard lock(mu_);
  if (auto it = handles_.find(name); it != handles_.end()) return it->second;
  const auto handle = static_cast<TableHandle>(names_.size());
  names_.emplace_back(name);
  handles_.emplace(std::string(name), handle);
  return handle;
}

std::vector<std::string> RemoteStore::list_tables() {
  const Value v = json_of(fetch("list the tables", "GET", "/v1/tables"), "list the tables");
  std::vector<std::string> out;
  for (const Value& name : list_at(v, "tables", "list the tables")) {
    if (name.is_string()) out.push_back(name.as_string());
  }
  return out;
}

std::optional<TableHandle> RemoteStore::find_table(std::string_view name) {
  const HttpResponse response = call("GET", "/v1/tables/" + percent_encoded(name));
  if (response.status == 404) return std::nullopt;
  if (response.status != 200) fail("look up table '" + std::string(name) + "'", response);
  return handle_of(name);
}

std::string RemoteStore::missing_table(std::string_view name) const {
  return "table '" + std::string(name) + "' does not exist on the cctv server at " +
         options_.base_url + "; record an activity into it, or create it with `cctv tables create " +
         std::string(name) + "`";
}

TableHandle RemoteStore::create_table(std::string_view name, const TableOptions& options) {
  std::string body = "{\"name\":";
  append_json(Value(std::string(name)), body);
  body += ",\"retention\":\"" + duration_text(options.retention) + "\",\"counts_retention\":\"" +
          duration_text(options.counts_retention) + "\"}";
  fetch("create table '" + std::string(name) + "'", "POST", "/v1/tables", body);
  return handle_of(name);
}

TableInfo RemoteStore::describe_table(std::string_view name) {
  const std::string what = "describe table '" + std::string(name) + "'";
  const Value v = json_of(fetch(what, "GET", "/v1/tables/" + percent_encoded(name)), what);
  TableInfo info;
  info.name = string_at(v, "name", what);
  info.created = timestamp_at(v, "created", what);
  info.approximate_activities =
      static_cast<std::uint64_t>(int_at(v, "approximate_activities", what));
  info.approximate_bytes = static_cast<std::uint64_t>(int_at(v, "approximate_bytes", what));
  info.has_actor_index = bool_at(v, "has_actor_index", what);
  info.options.retention = std::chrono::seconds(int_at(v, "retention_s", what));
  info.options.counts_retention =
      std::chrono::seconds(int_at(v, "counts_retention_s", what));
  if (const Value* details = v.find("details"); details != nullptr && details->is_map()) {
    for (const auto& [label, text] : details->as_map()) {
      if (text.is_string()) info.details.emplace_back(label, text.as_string());
    }
  }
  return info;
}

void RemoteStore::drop_table(std::string_view name) {
  fetch("drop table '" + std::string(name) + "'", "DELETE", "/v1/tables/" + percent_encoded(name));
}

void RemoteStore::alter_table(std::string_view name, const TableOptions& options) {
  const std::string body = "{\"retention\":\"" + duration_text(options.retention) +
                           "\",\"counts_retention\":\"" + duration_text(options.counts_retention) +
                           "\"}";
  fetch("change table '" + std::string(name) + "'", "PATCH", "/v1/tables/" + percent_encoded(name), body);
}

void RemoteStore::apply_retention(std::string_view name) {
  fetch("apply the retention of table '" + std::string(name) + "'", "PATCH",
        "/v1/tables/" + percent_encoded(name) + "?apply=true", "{}");
}

std::size_t RemoteStore::post(const std::string& table, const core::RecordBatch& batch,
                              const std::vector<std::size_t>& records, bool sync,
                              std::string& why) {
  const std::string path =
      "/v1/" + percent_encoded(table) + "/activities" + (sync ? "?sync=true" : "");
  const std::string what = "write activities to table '" + table + "'";
  // Every item carries its id and time: sent again, it is stored once. The
  // lines are written once, back to back, and each POST sends a slice of
  // them: `starts[k]` is where line k begins.
  std::string lines;
  std::vector<std::size_t> starts;
  starts.reserve(records.size() + 1);
  Activity a;
  for (const std::size_t i : records) {
    const core::RecordView r = batch[i];
    a.actor.assign(r.actor);
    a.target.assign(r.target);
    a.time = Timestamp(Microseconds(r.time_us));
    a.id = r.id;
    a.attributes = core::decode_attributes(r.attributes);
    starts.push_back(lines.size());
    append_json(a, lines);
    lines.push_back('\n');
  }
  starts.push_back(lines.size());
  const std::size_t n = records.size();
  std::size_t refused = 0;
  std::size_t begin = 0;
  int attempts = 0;
  while (begin < n) {
    std::size_t end = begin + 1;
    while (end < n && end - begin < kItemsPerPost && starts[end + 1] - starts[begin] < kBytesPerPost)
      ++end;
    const std::string_view body(lines.data() + starts[begin], starts[end] - starts[begin]);
    const HttpResponse response = call("POST", path, body, "application/x-ndjson");
    if (response.status == 202) {  // its ids are ours already: not read
      begin = end;
      continue;
    }
    Value answer;
    try {
      answer = value_from_json(response.body);
    } catch (const InvalidArgument&) {
      // Judged by its status below.
    }
    const Value* errors = answer.is_map() ? answer.find("errors") : nullptr;
    const Value* resume = answer.is_map() ? answer.find("resume_from") : nullptr;
    if (response.status == 400 && errors != nullptr && errors->is_list()) {
      // The valid items are stored; the others never will be.
      refused += errors->as_list().size();
      if (why.empty() && !errors->as_list().empty()) why = to_json(errors->as_list().front());
      begin = end;
      continue;
    }
    if (response.status == 503 && resume != nullptr && resume->is_int() &&
        ++attempts <= kResendAttempts) {
      // Items before resume_from are stored (or refused, and listed).
      if (errors != nullptr && errors->is_list()) refused += errors->as_list().size();
      const std::int64_t from = resume->as_int();
      if (from < 0 || static_cast<std::size_t>(from) > end - begin) fail(what, response);
      begin += static_cast<std::size_t>(from);
      auto wait = std::chrono::seconds(1);
      if (!response.retry_after.empty()) {
        wait = std::chrono::seconds(std::clamp(std::atoi(response.retry_after.c_str()), 0, 60));
      }
      std::this_thread::sleep_for(std::min<std::chrono::seconds>(wait, kLongestWait));
      continue;
    }
    if (response.status == 401 || response.status == 403 || response.status == 404 ||
        response.status == 413 || response.status == 400) {
      // Refused for good: a key without the write scope, a table the
      // server will not create (--no-auto-create), a limit.
      refused += end - begin;
      if (why.empty()) {
        try {
          fail(what, response);
        } catch (const Error& e) {
          why = e.what();
        }
      }
      begin = end;
      continue;
    }
    fail(what, response);  // anything else is worth retrying: the pipeline does
  }
  return refused;
}

void RemoteStore::write(const core::RecordBatch& batch, bool sync) {
  // The records of each table, in order.
  std::map<TableHandle, std::vector<std::size_t>> by_table;
  for (std::size_t i = 0; i < batch.size(); ++i) by_table[batch[i].table].push_back(i);
  std::size_t refused = 0;
  std::string why;
  for (const auto& [table, records] : by_table) {
    refused += post(name_of(table), batch, records, sync, why);
  }
  if (refused > 0) {
    throw WriteRejected("the cctv server at " + options_.base_url + " refused " +
                            std::to_string(refused) + " of " + std::to_string(batch.size()) +
                            " activities: " + why,
                        refused);
  }
}

StoreHealth RemoteStore::health() {
  const HttpResponse response = call("GET", "/healthz");
  StoreHealth health;
  try {
    const Value v = value_from_json(response.body);
    if (const Value* p = v.find("problem"); p != nullptr && p->is_string()) health.problem = p->as_string();
    if (const Value* s = v.find("status"); s != nullptr && s->is_string())
      health.disk_full = s->as_string() == "disk full";
    if (const Value* f = v.find("free_bytes"); f != nullptr && f->is_int()) health.free_bytes = f->as_int();
    if (const Value* f = v.find("free_bytes_floor"); f != nullptr && f->is_int())
      health.free_bytes_floor = f->as_int();
  } catch (const Error&) {
    health.problem = "the cctv server at " + options_.base_url + " answered " +
                     std::to_string(response.status) + (response.status == 0 ? " (" + response.transport_error + ")" : "");
  }
  health.writable = response.status == 200;
  if (!health.writable && health.problem.empty()) health.problem = "the server refuses writes";
  return health;
}

QueryResult RemoteStore::query(const Query& q) {
  const std::string table = name_of(q.table);
  const std::string path = "/v1/" + percent_encoded(table) + "/activities?" +
                           (q.index == Index::kTarget ? "target=" : "actor=") + percent_encoded(q.key) +
                           "&limit=" + std::to_string(q.limit) +
                           "&order=" + (q.order == Order::kNewestFirst ? "newest" : "oldest") +
                           range_query(q.from_us, q.to_us);
  return page_at(path, q.after, "view table '" + table + "'");
}

QueryResult RemoteStore::page_at(std::string path, std::string_view cursor,
                                 const std::string& what) {
  if (!cursor.empty()) path += "&cursor=" + percent_encoded(cursor);
  Value page = json_of(fetch(what, "GET", path), what);
  QueryResult result;
  result.next_position = next_cursor_of(page, what);
  result.activities = activities_of(page, what);
  return result;
}

QueryResult RemoteStore::scan_page(TableHandle table, std::int64_t from_us, std::int64_t to_us,
                                   std::string_view after, std::size_t limit) {
  const std::string name = name_of(table);
  const std::string path = "/v1/" + percent_encoded(name) + "/activities?limit=" + std::to_string(limit) +
                           range_query(from_us, to_us);
  return page_at(path, after, "read table '" + name + "'");
}

void RemoteStore::scan(TableHandle table, std::int64_t from_us, std::int64_t to_us,
                       const std::function<void(const Activity&)>& visit) {
  std::string after;
  do {
    QueryResult page = scan_page(table, from_us, to_us, after, kPageLimit);
    for (const Activity& a : page.activities) visit(a);
    after = std::move(page.next_position);
  } while (!after.empty());
}

std::vector<std::int64_t> RemoteStore::counts(TableHandle, std::string_view, Bucket, std::int64_t,
                                              std::size_t) {
  throw StoreError(composed_on_the_server());
}

std::vector<core::HyperLogLog> RemoteStore::sketches(TableHandle, std::string_view, Bucket,
                                                     std::int64_t, std::size_t) {
  throw StoreError(composed_on_the_server());
}

std::string RemoteStore::composed_on_the_server() const {
  return "the cctv server at " + options_.base_url +
         " composes its counts and distinct actors itself; ask it for series whole";
}

std::optional<Series> RemoteStore::count_series(TableHandle table, std::string_view target,
                                                const TimeRange& range, Bucket bucket,
                                                const CountOptions& options, bool unique_actors) {
  const std::string name = name_of(table);
  std::string path = "/v1/" + percent_encoded(name) + "/counts?bucket=" + std::string(bucket_name(bucket)) +
                     "&from=" + epoch_seconds(range.from.time_since_epoch().count()) +
                     "&to=" + epoch_seconds(range.to.time_since_epoch().count()) +
                     "&utc_offset=" + percent_encoded(offset_text(options.utc_offset));
  if (unique_actors) path += "&unique=true";
  if (!target.empty()) path += "&target=" + percent_encoded(target);
  const std::string what = "count table '" + name + "'";
  const Value v = json_of(fetch(what, "GET", path), what);
  Series out;
  for (const Value& point : list_at(v, "series", what)) {
    out.push_back(BucketCount{timestamp_at(point, "start", what),
                              int_at(point, unique_actors ? "unique_actors" : "count", what)});
  }
  return out;
}

std::optional<std::int64_t> RemoteStore::unique_actors(TableHandle table, std::string_view target,
                                                       const TimeRange& range) {
  const std::string name = name_of(table);
  std::string path = "/v1/" + percent_encoded(name) + "/unique?from=" +
                     epoch_seconds(range.from.time_since_epoch().count()) +
                     "&to=" + epoch_seconds(range.to.time_since_epoch().count());
  if (!target.empty()) path += "&target=" + percent_encoded(target);
  const std::string what = "count distinct actors of table '" + name + "'";
  return int_at(json_of(fetch(what, "GET", path), what), "unique_actors", what);
}

void RemoteStore::rebuild_counts(TableHandle table, std::int64_t from_us, std::int64_t to_us) {
  const std::string name = name_of(table);
  fetch("rebuild the counts of table '" + name + "'", "POST",
        "/v1/" + percent_encoded(name) + "/counts/rebuild?from=" + epoch_seconds(from_us) +
            "&to=" + epoch_seconds(to_us));
}

std::vector<TargetCount> RemoteStore::top_targets(TableHandle table, std::int64_t from_minute,
                                                  std::int64_t to_minute, std::size_t limit) {
  const std::string name = name_of(table);
  const std::string what = "find the busiest targets of table '" + name + "'";
  const Value v = json_of(
      fetch(what, "GET",
            "/v1/" + percent_encoded(name) + "/top?from=" + epoch_seconds(from_minute * 60'000'000) +
                "&to=" + epoch_seconds(to_minute * 60'000'000) + "&limit=" + std::to_string(limit)),
      what);
  std::vector<TargetCount> out;
  for (const Value& t : list_at(v, "targets", what)) {
    out.push_back(TargetCount{string_at(t, "target", what), int_at(t, "count", what)});
  }
  return out;
}

}  // namespace cctv::store::remote
