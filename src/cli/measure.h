// What the benchmarks measure about this process, shared by `cctv bench`
// and the SQLite baseline so both measure the same way.
#ifndef CCTV_CLI_MEASURE_H_
#define CCTV_CLI_MEASURE_H_

#include <vector>

namespace cctv::cli {

// CPU seconds (user + system) of every thread of this process so far.
double process_cpu_seconds();

// Peak resident set size of this process, in MB.
double peak_rss_mb();

// The q-quantile (0..1) of `values` (nearest rank); 0 for none.
double percentile(std::vector<double> values, double q);

}  // namespace cctv::cli

#endif  // CCTV_CLI_MEASURE_H_
