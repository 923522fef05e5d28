#include "server/server_metrics.h"

#include <fmt/format.h>

#include <algorithm>

namespace cctv::server {

ServerMetrics::ServerMetrics(std::vector<std::string> routes)
    : names_(std::move(routes)), routes_(names_.size() + 2) {
  names_.emplace_back("unmatched");
  names_.emplace_back("connection");
}

void ServerMetrics::record(std::size_t route, unsigned status, std::chrono::nanoseconds latency) {
  PerRoute& r =
      routes_[route == kConnection ? routes_.size() - 1 : std::min(route, routes_.size() - 2)];
  const auto s = std::find(kStatuses.begin(), kStatuses.end() - 1, status) - kStatuses.begin();
  r.by_status[static_cast<std::size_t>(s)].fetch_add(1, std::memory_order_relaxed);
  const double seconds = std::chrono::duration<double>(latency).count();
  const auto b = std::lower_bound(kLatencyBounds.begin(), kLatencyBounds.end(), seconds) -
                 kLatencyBounds.begin();
  r.latency[static_cast<std::size_t>(b)].fetch_add(1, std::memory_order_relaxed);
  r.latency_ns_total.fetch_add(static_cast<std::uint64_t>(latency.count()),
                               std::memory_order_relaxed);
}

namespace {

// A remote store's requests by operation: DynamoDB's (nothing for the
// embedded store).
void render_store_requests(const std::vector<StoreRequestMetrics>& requests,
                           fmt::memory_buffer& out) {
  if (requests.empty()) return;
  auto it = std::back_inserter(out);
  struct Family {
    const char* name;
    const char* help;
    double (*value)(const StoreRequestMetrics&);
  };
  static constexpr Family kFamilies[] = {
      {"cctv_store_requests_total", "Requests sent to the store, every retry included.",
       [](const StoreRequestMetrics& m) { return static_cast<double>(m.requests); }},
      {"cctv_store_request_retries_total",
       "Requests sent again: after a failure, or for items left unprocessed.",
       [](const StoreRequestMetrics& m) { return static_cast<double>(m.retries); }},
      {"cctv_store_request_throttles_total", "Requests the store answered with \"slow down\".",
       [](const StoreRequestMetrics& m) { return static_cast<double>(m.throttles); }},
      {"cctv_store_request_errors_total",
       "Requests answered with another error, or not answered in time.",
       [](const StoreRequestMetrics& m) { return static_cast<double>(m.errors); }},
      {"cctv_store_read_units_total",
       "Read capacity units consumed (DynamoDB's count; docs/dynamodb.md).",
       [](const StoreRequestMetrics& m) { return m.read_units; }},
      {"cctv_store_write_units_total",
       "Write capacity units consumed, index writes included (docs/dynamodb.md).",
       [](const StoreRequestMetrics& m) { return m.write_units; }},
  };
  for (const Family& f : kFamilies) {
    fmt::format_to(it, "# HELP {} {}\n# TYPE {} counter\n", f.name, f.help, f.name);
    for (const StoreRequestMetrics& m : requests) {
      fmt::format_to(it, "{}{{operation=\"{}\"}} {}\n", f.name, m.operation, f.value(m));
    }
  }
}

}  // namespace

std::string ServerMetrics::render(const Metrics& ingest, const StoreHealth& health) const {
  fmt::memory_buffer out;
  auto it = std::back_inserter(out);
  auto header = [&](std::string_view name, std::string_view type, std::string_view help) {
    fmt::format_to(it, "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  };

  header("cctv_http_requests_total", "counter", "HTTP requests answered, by route and status.");
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    for (std::size_t s = 0; s < kStatuses.size(); ++s) {
      const std::uint64_t n = routes_[i].by_status[s].load(std::memory_order_relaxed);
      if (n == 0) continue;
      const std::string status = kStatuses[s] == 0 ? "other" : std::to_string(kStatuses[s]);
      fmt::format_to(it, "cctv_http_requests_total{{route=\"{}\",status=\"{}\"}} {}\n", names_[i],
                     status, n);
    }
  }
  header("cctv_http_request_duration_seconds", "histogram",
         "Time from a request's last byte read to its response handed to the socket.");
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b <= kLatencyBounds.size(); ++b)
      cumulative += routes_[i].latency[b].load(std::memory_order_relaxed);
    if (cumulative == 0) continue;
    cumulative = 0;
    for (std::size_t b = 0; b <= kLatencyBounds.size(); ++b) {
      cumulative += routes_[i].latency[b].load(std::memory_order_relaxed);
      const std::string le =
          b == kLatencyBounds.size() ? "+Inf" : fmt::format("{}", kLatencyBounds[b]);
      fmt::format_to(it, "cctv_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n",
                     names_[i], le, cumulative);
    }
    fmt::format_to(
        it, "cctv_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n", names_[i],
        static_cast<double>(routes_[i].latency_ns_total.load(std::memory_order_relaxed)) / 1e9);
    fmt::format_to(it, "cctv_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", names_[i],
                   cumulative);
  }
  header("cctv_http_connections", "gauge", "Connections open now.");
  fmt::format_to(it, "cctv_http_connections {}\n", open_connections());
  header("cctv_http_connections_refused_total", "counter",
         "Connections refused: --max-connections were open.");
  fmt::format_to(it, "cctv_http_connections_refused_total {}\n",
                 refused_connections_.load(std::memory_order_relaxed));

  auto counter = [&](std::string_view name, std::string_view help, std::uint64_t value) {
    header(name, "counter", help);
    fmt::format_to(it, "{} {}\n", name, value);
  };
  counter("cctv_activities_accepted_total", "Activities accepted into the ingest queue.",
          ingest.accepted);
  counter("cctv_activities_written_total", "Activities the store confirmed.", ingest.written);
  counter("cctv_activities_failed_total",
          "Activities the store refused for good (each also logged).", ingest.failed);
  counter("cctv_store_batch_retries_total", "Batch writes that failed and were tried again.",
          ingest.retried);
  header("cctv_ingest_queue_depth", "gauge", "Activities accepted and not yet written or failed.");
  fmt::format_to(it, "cctv_ingest_queue_depth {}\n", ingest.queue_depth);
  header("cctv_store_batch_duration_seconds", "histogram", "Time to write one batch to the store.");
  std::uint64_t cumulative = 0;
  for (std::size_t b = 0; b < ingest.batch_latency_buckets.size(); ++b) {
    cumulative += ingest.batch_latency_buckets[b];
    const std::string le =
        b == kBatchLatencyBoundsUs.size()
            ? "+Inf"
            : fmt::format("{}", static_cast<double>(kBatchLatencyBoundsUs[b]) / 1e6);
    fmt::format_to(it, "cctv_store_batch_duration_seconds_bucket{{le=\"{}\"}} {}\n", le,
                   cumulative);
  }
  fmt::format_to(it, "cctv_store_batch_duration_seconds_sum {}\n",
                 static_cast<double>(ingest.batch_latency_us_total) / 1e6);
  fmt::format_to(it, "cctv_store_batch_duration_seconds_count {}\n", ingest.batches);
  header("cctv_store_writable", "gauge",
         "1 while the store takes writes; 0 while it refuses them (its disk is near full, or it "
         "stopped after an error: see /healthz).");
  fmt::format_to(it, "cctv_store_writable {}\n", health.writable ? 1 : 0);
  if (health.free_bytes >= 0) {
    header("cctv_store_free_bytes", "gauge", "Free space on the disk holding the store.");
    fmt::format_to(it, "cctv_store_free_bytes {}\n", health.free_bytes);
    header("cctv_store_free_bytes_floor", "gauge",
           "Free space below which the store refuses writes (min_free_mb).");
    fmt::format_to(it, "cctv_store_free_bytes_floor {}\n", health.free_bytes_floor);
  }
  render_store_requests(ingest.store_requests, out);
  return fmt::to_string(out);
}

}  // namespace cctv::server
