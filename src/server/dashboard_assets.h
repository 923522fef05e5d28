// The dashboard's files (web/), embedded in the binary at build time by
// cmake/EmbedAssets.cmake.
#ifndef CCTV_SERVER_DASHBOARD_ASSETS_H_
#define CCTV_SERVER_DASHBOARD_ASSETS_H_

#include <span>
#include <string_view>

namespace cctv::server {

struct DashboardAsset {
  std::string_view name;          // "index.html", "app.js", ...
  std::string_view content_type;  // "text/html; charset=utf-8", ...
  std::string_view body;
};

std::span<const DashboardAsset> dashboard_assets();

}  // namespace cctv::server

#endif  // CCTV_SERVER_DASHBOARD_ASSETS_H_
