// The HTTP API as a function from a request to a response: routing (a
// table of method, path pattern, scope and handler), authorization, the
// mapping of cctv's errors to statuses, and the request metrics. The
// transport (listener.h, session.h) knows nothing of what it serves.
//
// Thread-safe: handle() is called from every serving thread at once.
#ifndef CCTV_SERVER_API_H_
#define CCTV_SERVER_API_H_

#include <boost/beast/http.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "cctv/client.h"
#include "server/api_keys.h"
#include "server/query.h"
#include "server/server_metrics.h"
#include "server/server_options.h"

namespace cctv::server {

namespace http = boost::beast::http;
class DeferredAnswer;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// Beast's string_view as the standard one.
inline std::string_view view(boost::beast::string_view s) { return {s.data(), s.size()}; }

// A response with `body` (and its Content-Type, unless empty), sized.
Response make_response(http::status status, unsigned version, bool keep_alive,
                       std::string_view content_type, std::string body);
// The same, for the version and keep-alive `request` asked for.
Response respond(const Request& request, http::status status, std::string_view content_type,
                 std::string body);
// A response with a JSON body {"error": message}.
Response error_response(http::status status, std::string_view message, unsigned version,
                        bool keep_alive);

class Api {
 public:
  // `keys` empty: every request is allowed (the server then listens on
  // loopback only, or was told --insecure); on loopback (`loopback`), only
  // requests naming this machine in Host and coming from no other site's
  // page (Origin) are.
  Api(Client& client, const ServerOptions& options, std::optional<ApiKeys> keys, bool loopback);

  // Where check_header() found a request's route, kept for handle().
  struct Admitted {
    std::size_t route = 0;
    std::string table;  // the path's {table}
  };

  // The answer a request gets from its header alone (no key, the wrong
  // scope, no such route or method), or nullopt when its body is wanted,
  // `admitted` then saying where it goes. Counted in the metrics when it is
  // an answer.
  std::optional<Response> check_header(const Request& request, Admitted& admitted);

  // Whether handle() may answer a request going to `admitted` later.
  bool may_defer(const Admitted& admitted) const;

  // Answers `request`, which check_header() admitted: now, or, returning
  // nullopt, later through `later` (a POST of activities, answered once the
  // store holds them; `later` then has its fallback for when that takes
  // too long). Never throws: bad input is a 4xx, a failing store a 503,
  // anything unexpected a 500 (and logged).
  std::optional<Response> handle(const Request& request, Admitted admitted,
                                 const std::shared_ptr<DeferredAnswer>& later);

  ServerMetrics& metrics() { return metrics_; }

 private:
  // What a handler gets: the request, its query, and the path's {table}.
  // A handler that answers later (through `later`) sets `deferred` and
  // returns any Response; it is not sent.
  struct Call {
    const Request& request;
    Query query;
    std::string table;
    std::shared_ptr<DeferredAnswer> later;
    bool deferred = false;
  };
  using Handler = Response (Api::*)(Call&);
  struct Route {
    http::verb method;
    std::string_view pattern;  // segments; "{table}" matches any one
    std::uint8_t scope;        // 0: open to anyone
    Handler handler;
    std::vector<std::string_view> parts = {};  // the pattern's segments, split once
  };
  static const std::vector<Route>& routes();
  static std::vector<Route> with_parts(std::vector<Route> routes);
  static std::vector<std::string> route_names();

  // What check_header() says; `route` and `table` are set when a route matched.
  std::optional<Response> refusal(const Request& request, std::size_t& route,
                                  std::string& table) const;

  // Handlers (api_activities.cc, api_counts.cc, api_tables.cc, api_misc.cc).
  Response post_activities(Call& call);
  Response get_activities(Call& call);
  Response get_counts(Call& call);
  Response get_top(Call& call);
  Response get_unique(Call& call);
  Response rebuild_counts(Call& call);
  Response list_tables(Call& call);
  Response create_table(Call& call);
  Response describe_table(Call& call);
  Response alter_table(Call& call);
  Response drop_table(Call& call);
  Response healthz(Call& call);
  Response get_metrics(Call& call);
  Response dashboard(Call& call);
  Response dashboard_asset(Call& call);

  // A tracker for writing to `table`: made (and the table created, unless
  // --no-auto-create) on first use, then kept.
  Tracker writer(const std::string& table);
  // A tracker for reading `table`; throws NotFound when it does not exist
  // (reading never creates a table).
  Tracker reader(const std::string& table);
  // What tracker_for() does with a table that does not exist.
  enum class Missing { kCreate, kRefuseWrite, kRefuseRead };
  // The tracker kept for `table` (the table exists), if any.
  std::optional<Tracker> kept_tracker(const std::string& table);
  // The kept tracker of `table`, or a new one (kept from then on).
  Tracker tracker_for(const std::string& table, Missing missing);
  void forget(const std::string& table);

  Response json(const Call& call, http::status status, std::string body) const;
  // What a 503 for a full ingest queue says, the first unrecorded item of
  // `items` being `first_unrecorded`.
  std::string backpressure_message(std::size_t first_unrecorded, std::size_t items) const;

  Client& client_;
  const ServerOptions options_;
  const std::optional<ApiKeys> keys_;
  const bool guard_host_;  // no keys, on loopback: Host and Origin are checked
  ServerMetrics metrics_;
  std::shared_mutex trackers_mu_;
  std::map<std::string, Tracker, std::less<>> trackers_;  // guarded by trackers_mu_
};

}  // namespace cctv::server

#endif  // CCTV_SERVER_API_H_
