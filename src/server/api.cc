#include "server/api.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/ip/address_v4.hpp>
#include <chrono>

#include "cctv/error.h"
#include "cctv/json.h"
#include "cctv/value.h"
#include "server/deferred_answer.h"

namespace cctv::server {

namespace {

// Splits "/v1/logins/activities" into {"v1", "logins", "activities"}.
std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const std::size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash);
  }
  return out;
}

bool is_capture(std::string_view part) { return part == "{table}" || part == "{file}"; }

// Matches `path` against a pattern's `parts`, capturing "{table}" (decoded).
bool matches(const std::vector<std::string_view>& parts, const std::vector<std::string_view>& path,
             std::string& table) {
  if (parts.size() != path.size()) return false;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (!is_capture(parts[i]) && parts[i] != path[i]) return false;
  }
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (!is_capture(parts[i])) continue;
    auto decoded = url_decode(path[i]);
    if (!decoded) return false;
    table = std::move(*decoded);
  }
  return true;
}

// Fails with NotFound, in the API's words, unless `table` exists.
void require_table(Client& client, const std::string& table, const std::string& how_to_make) {
  try {
    client.describe_table(table);
  } catch (const NotFound&) {
    throw NotFound("table '" + table + "' does not exist; " + how_to_make);
  }
}

std::string error_body(std::string_view message) {
  std::string body = "{\"error\":";
  append_json(Value(std::string(message)), body);
  body += "}";
  return body;
}

}  // namespace

Response make_response(http::status status, unsigned version, bool keep_alive,
                       std::string_view content_type, std::string body) {
  Response response(status, version);
  if (!content_type.empty()) {
    response.set(http::field::content_type,
                 boost::beast::string_view(content_type.data(), content_type.size()));
  }
  // JSON ends with a newline, so that a shell prompt after `curl` starts a
  // line of its own.
  if (content_type == "application/json" && !body.empty() && body.back() != '\n') body += '\n';
  response.body() = std::move(body);
  response.keep_alive(keep_alive);
  response.prepare_payload();
  return response;
}

Response error_response(http::status status, std::string_view message, unsigned version,
                        bool keep_alive) {
  return make_response(status, version, keep_alive, "application/json", error_body(message));
}

Response respond(const Request& request, http::status status, std::string_view content_type,
                 std::string body) {
  return make_response(status, request.version(), request.keep_alive(), content_type,
                       std::move(body));
}

std::vector<Api::Route> Api::with_parts(std::vector<Route> routes) {
  for (Route& r : routes) r.parts = segments(r.pattern);
  return routes;
}

const std::vector<Api::Route>& Api::routes() {
  // The first route whose pattern and method match serves the request.
  static const std::vector<Route> kRoutes = with_parts({
      {http::verb::post, "/v1/{table}/activities", kWrite, &Api::post_activities},
      {http::verb::get, "/v1/tables", kRead, &Api::list_tables},
      {http::verb::post, "/v1/tables", kAdmin, &Api::create_table},
      {http::verb::get, "/v1/tables/{table}", kRead, &Api::describe_table},
      {http::verb::patch, "/v1/tables/{table}", kAdmin, &Api::alter_table},
      {http::verb::delete_, "/v1/tables/{table}", kAdmin, &Api::drop_table},
      {http::verb::get, "/v1/{table}/activities", kRead, &Api::get_activities},
      {http::verb::get, "/v1/{table}/counts", kRead, &Api::get_counts},
      {http::verb::get, "/v1/{table}/top", kRead, &Api::get_top},
      {http::verb::get, "/v1/{table}/unique", kRead, &Api::get_unique},
      {http::verb::post, "/v1/{table}/counts/rebuild", kAdmin, &Api::rebuild_counts},
      {http::verb::get, "/healthz", 0, &Api::healthz},
      {http::verb::get, "/metrics", kRead, &Api::get_metrics},
      {http::verb::get, "/", 0, &Api::dashboard},
      {http::verb::get, "/assets/{file}", 0, &Api::dashboard_asset},
  });
  return kRoutes;
}

std::vector<std::string> Api::route_names() {
  std::vector<std::string> names;
  for (const Route& r : routes())
    names.push_back(std::string(http::to_string(r.method)) + " " + std::string(r.pattern));
  return names;
}

Api::Api(Client& client, const ServerOptions& options, std::optional<ApiKeys> keys, bool loopback)
    : client_(client),
      options_(options),
      keys_(std::move(keys)),
      guard_host_(!keys_ && loopback),
      metrics_(route_names()) {}

bool Api::may_defer(const Admitted& admitted) const {
  return admitted.route < routes().size() &&
         routes()[admitted.route].handler == &Api::post_activities;
}

std::optional<Response> Api::handle(const Request& request, Admitted admitted,
                                    const std::shared_ptr<DeferredAnswer>& later) {
  const auto start = std::chrono::steady_clock::now();
  Response response;
  bool deferred = false;
  const std::size_t route = admitted.route;
  if (later && may_defer(admitted)) {
    later->set_on_send([this, route, start](const Response& answer) {
      metrics_.record(route, answer.result_int(), std::chrono::steady_clock::now() - start);
    });
  }
  const auto fail = [&](http::status status, std::string_view message) {
    response = error_response(status, message, request.version(), request.keep_alive());
  };
  const auto log = [&](const std::exception& e) {
    spdlog::error("{} {}: {}", std::string(request.method_string()), std::string(request.target()),
                  e.what());
  };
  try {
    const std::string_view target = view(request.target());
    const std::size_t question = target.find('?');
    Call call{request,
              Query(question == std::string_view::npos ? std::string_view()
                                                       : target.substr(question + 1)),
              std::move(admitted.table), later};
    response = (this->*routes()[route].handler)(call);
    deferred = call.deferred;
  } catch (const InvalidArgument& e) {
    fail(http::status::bad_request, e.what());
  } catch (const NotFound& e) {
    fail(http::status::not_found, e.what());
  } catch (const AlreadyExists& e) {
    fail(http::status::conflict, e.what());
  } catch (const Backpressure& e) {
    fail(http::status::service_unavailable, e.what());
    response.set(http::field::retry_after, "1");
  } catch (const StoreFull& e) {
    // Not a failure to log each time: /healthz and /metrics say it.
    fail(http::status::insufficient_storage, e.what());
    response.set(http::field::retry_after, "10");
  } catch (const StoreError& e) {
    log(e);
    fail(http::status::service_unavailable, e.what());
    response.set(http::field::retry_after, "5");
  } catch (const std::exception& e) {
    log(e);
    fail(http::status::internal_server_error, std::string("internal error: ") + e.what());
  }
  // A deferred answer is counted when it is sent, with the time it took
  // (set_on_send() above).
  if (deferred) return std::nullopt;
  metrics_.record(route, response.result_int(), std::chrono::steady_clock::now() - start);
  return response;
}

namespace {

// "127.0.0.1:8080", "localhost", "[::1]:80", any 127.x.y.z: names of this
// machine only.
bool is_loopback_host(std::string_view host) {
  if (host.starts_with("[::1]")) return host.size() == 5 || host[5] == ':';
  const std::string_view name = host.substr(0, host.find(':'));
  if (name == "localhost") return true;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address_v4(std::string(name), ec);
  return !ec && address.is_loopback();
}

constexpr std::string_view kBearer = "Bearer ";

// The scheme's name is case-insensitive.
bool is_bearer(std::string_view authorization) {
  return authorization.size() > kBearer.size() &&
         boost::beast::iequals(boost::beast::string_view(authorization.data(), kBearer.size()),
                               boost::beast::string_view(kBearer.data(), kBearer.size()));
}

}  // namespace

std::optional<Response> Api::refusal(const Request& request, std::size_t& route,
                                     std::string& table) const {
  const std::string_view target = view(request.target());
  const std::size_t question = target.find('?');
  const auto path = segments(target.substr(0, question));
  const auto refuse = [&](http::status status, const std::string& message) {
    return error_response(status, message, request.version(), request.keep_alive());
  };
  if (guard_host_) {
    // No keys, on loopback: only this machine's programs may call. A web
    // page's script may not (its Origin is another site), nor one reaching
    // here through a name that resolves to 127.0.0.1 (DNS rebinding: its
    // Host is that name).
    const std::string_view host = view(request[http::field::host]);
    const std::string_view origin = view(request[http::field::origin]);
    if (!is_loopback_host(host)) {
      return refuse(http::status::forbidden,
                    "Host '" + std::string(host) +
                        "' is not this machine; without --api-keys the server answers "
                        "only requests to 127.0.0.1, localhost or [::1]");
    }
    if (!origin.empty() && origin != "http://" + std::string(host)) {
      return refuse(http::status::forbidden, "requests from pages of " + std::string(origin) +
                                                 " are refused without --api-keys");
    }
  }
  std::vector<std::string> allowed;  // methods of the routes whose pattern matches
  const auto& all = routes();
  // HEAD is GET without the body.
  const http::verb method =
      request.method() == http::verb::head ? http::verb::get : request.method();
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (!matches(all[i].parts, path, table)) continue;
    if (all[i].method != method) {
      // Two patterns may match one path (a table named "tables"): name each method once.
      const std::string name(http::to_string(all[i].method));
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) allowed.push_back(name);
      continue;
    }
    route = i;
    const Route& r = all[i];
    if (r.scope == 0 || !keys_) return std::nullopt;
    const std::string_view authorization = view(request[http::field::authorization]);
    if (!is_bearer(authorization)) {
      Response response = refuse(http::status::unauthorized,
                                 "this route needs an API key: send Authorization: Bearer KEY");
      response.set(http::field::www_authenticate, "Bearer");
      return response;
    }
    const std::uint8_t scopes = keys_->scopes_of(authorization.substr(kBearer.size()));
    if (scopes == 0) {
      Response response = refuse(http::status::unauthorized, "the API key is not valid");
      response.set(http::field::www_authenticate, "Bearer error=\"invalid_token\"");
      return response;
    }
    if ((scopes & r.scope) == 0) {
      return refuse(http::status::forbidden,
                    "the API key lacks the " +
                        std::string(scope_name(static_cast<Scope>(r.scope))) +
                        " scope this route needs");
    }
    return std::nullopt;
  }
  if (!allowed.empty()) {
    std::string list;
    for (const auto& name : allowed) list += (list.empty() ? "" : ", ") + name;
    Response response =
        refuse(http::status::method_not_allowed,
               std::string(request.method_string()) + " is not allowed here; use " + list);
    response.set(http::field::allow, list);
    return response;
  }
  return refuse(http::status::not_found, "no route for " + std::string(target.substr(0, question)) +
                                             "; see docs/http-api.md");
}

std::optional<Response> Api::check_header(const Request& request, Admitted& admitted) {
  admitted.route = routes().size();
  admitted.table.clear();
  auto response = refusal(request, admitted.route, admitted.table);
  if (response) metrics_.record(admitted.route, response->result_int(), std::chrono::nanoseconds(0));
  return response;
}

Response Api::json(const Call& call, http::status status, std::string body) const {
  return respond(call.request, status, "application/json", std::move(body));
}

Tracker Api::writer(const std::string& table) {
  return tracker_for(table, options_.auto_create ? Missing::kCreate : Missing::kRefuseWrite);
}

Tracker Api::reader(const std::string& table) { return tracker_for(table, Missing::kRefuseRead); }

std::optional<Tracker> Api::kept_tracker(const std::string& table) {
  std::shared_lock lock(trackers_mu_);
  auto it = trackers_.find(table);
  if (it == trackers_.end()) return std::nullopt;
  return it->second;
}

Tracker Api::tracker_for(const std::string& table, Missing missing) {
  if (auto kept = kept_tracker(table)) return *kept;
  validate_table_name(table);
  if (missing == Missing::kRefuseWrite) {
    require_table(client_, table,
                  "this server does not create tables on write (--no-auto-create): create it with "
                  "POST /v1/tables {\"name\":\"" +
                      table + "\"}");
  } else if (missing == Missing::kRefuseRead) {
    require_table(client_, table, "record an activity into it, or create it with POST /v1/tables");
  }
  Tracker tracker = client_.tracker(table);
  std::unique_lock lock(trackers_mu_);
  return trackers_.emplace(table, tracker).first->second;
}

void Api::forget(const std::string& table) {
  std::unique_lock lock(trackers_mu_);
  trackers_.erase(table);
}

}  // namespace cctv::server
