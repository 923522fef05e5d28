// GET /healthz and GET /metrics.
#include "server/api.h"

namespace cctv::server {

Response Api::healthz(Call& call) {
  call.query.allow_only({});
  // The store answers: listing tables reads it (a DynamoDB call on that store).
  client_.tables();
  return json(call, http::status::ok, "{\"status\":\"ok\"}");
}

Response Api::get_metrics(Call& call) {
  call.query.allow_only({});
  return respond(call.request, http::status::ok, "text/plain; version=0.0.4; charset=utf-8",
                 metrics_.render(client_.metrics()));
}

}  // namespace cctv::server
