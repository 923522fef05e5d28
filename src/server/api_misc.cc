// GET /healthz and GET /metrics.
#include "cctv/json.h"
#include "server/api.h"

namespace cctv::server {

Response Api::healthz(Call& call) {
  call.query.allow_only({});
  // The store answers: listing tables reads it (a DynamoDB call on that store).
  client_.tables();
  const StoreHealth health = client_.health();
  std::string body = "{\"status\":";
  body += health.writable ? "\"ok\"" : health.disk_full ? "\"disk full\"" : "\"not writing\"";
  if (!health.writable) {
    body += ",\"problem\":";
    append_json(Value(health.problem), body);
  }
  if (health.free_bytes >= 0) {
    body += ",\"free_bytes\":" + std::to_string(health.free_bytes) +
            ",\"free_bytes_floor\":" + std::to_string(health.free_bytes_floor);
  }
  body += "}";
  // Reads still work; writes do not: a load balancer should send writes
  // elsewhere until the problem ends.
  return json(call, health.writable ? http::status::ok : http::status::service_unavailable,
              std::move(body));
}

Response Api::get_metrics(Call& call) {
  call.query.allow_only({});
  return respond(call.request, http::status::ok, "text/plain; version=0.0.4; charset=utf-8",
                 metrics_.render(client_.metrics(), client_.health()));
}

}  // namespace cctv::server
