// GET / and GET /assets/{file}: the dashboard, served from files embedded
// in the binary at build time (web/, generated into dashboard_assets.cc).
#include "cctv/error.h"
#include "server/api.h"
#include "server/dashboard_assets.h"

namespace cctv::server {

namespace {

Response asset_response(const Request& request, const DashboardAsset& asset) {
  Response response =
      respond(request, http::status::ok, asset.content_type, std::string(asset.body));
  // Names are fixed per build; a new build may change them, so caching is
  // short and revalidated.
  response.set(http::field::cache_control, "no-cache");
  return response;
}

}  // namespace

Response Api::dashboard(Call& call) {
  for (const DashboardAsset& asset : dashboard_assets()) {
    if (asset.name == "index.html") return asset_response(call.request, asset);
  }
  throw NotFound("the dashboard was not built into this binary");
}

Response Api::dashboard_asset(Call& call) {
  for (const DashboardAsset& asset : dashboard_assets()) {
    if (asset.name == call.table) return asset_response(call.request, asset);
  }
  throw NotFound("no dashboard asset named '" + call.table + "'");
}

}  // namespace cctv::server
