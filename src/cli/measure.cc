#include "cli/measure.h"

#include <sys/resource.h>

#include <algorithm>

namespace cctv::cli {

namespace {

rusage usage() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u;
}

}  // namespace

double process_cpu_seconds() {
  const rusage u = usage();
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double peak_rss_mb() { return static_cast<double>(usage().ru_maxrss) / 1024.0; }  // ru_maxrss: KiB

double percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(q * static_cast<double>(values.size()));
  return values[std::min(values.size() - 1, rank)];
}

}  // namespace cctv::cli
