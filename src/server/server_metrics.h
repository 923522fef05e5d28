// What the server has answered, for GET /metrics: requests by route and
// status, their latency, and connections; rendered with the client's
// ingest counters in Prometheus' text format, every series named cctv_*.
//
// Thread-safe: recording is a few relaxed atomic increments.
#ifndef CCTV_SERVER_SERVER_METRICS_H_
#define CCTV_SERVER_SERVER_METRICS_H_

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cctv/health.h"
#include "cctv/metrics.h"

namespace cctv::server {

class ServerMetrics {
 public:
  // `routes` names each route as its label ("POST /v1/{table}/activities");
  // a larger route index counts requests that matched none ("unmatched":
  // 404, 405), and kConnection those the connection refused before any
  // route saw them ("connection": 400, 408, 413, 431, 503).
  explicit ServerMetrics(std::vector<std::string> routes);
  static constexpr std::size_t kConnection = SIZE_MAX;

  void record(std::size_t route, unsigned status, std::chrono::nanoseconds latency);
  void connection_opened() { open_connections_.fetch_add(1, std::memory_order_relaxed); }
  void connection_closed() { open_connections_.fetch_sub(1, std::memory_order_relaxed); }
  void connection_refused() { refused_connections_.fetch_add(1, std::memory_order_relaxed); }
  std::int64_t open_connections() const {
    return open_connections_.load(std::memory_order_relaxed);
  }

  // The whole exposition: these counters, then `ingest`'s.
  std::string render(const Metrics& ingest, const StoreHealth& health) const;

 private:
  static constexpr std::array<unsigned, 18> kStatuses = {
      200, 201, 202, 204, 400, 401, 403, 404, 405, 408, 409, 413, 431, 500, 501, 503, 507, 0};
  static constexpr std::array<double, 12> kLatencyBounds = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5};
  struct PerRoute {
    std::array<std::atomic<std::uint64_t>, kStatuses.size()> by_status{};
    std::array<std::atomic<std::uint64_t>, kLatencyBounds.size() + 1> latency{};
    std::atomic<std::uint64_t> latency_ns_total{0};
  };

  std::vector<std::string> names_;
  std::vector<PerRoute> routes_;
  std::atomic<std::int64_t> open_connections_{0};
  std::atomic<std::uint64_t> refused_connections_{0};
};

}  // namespace cctv::server

#endif  // CCTV_SERVER_SERVER_METRICS_H_
