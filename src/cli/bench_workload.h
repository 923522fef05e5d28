// The synthetic workload of `cctv bench`, shared with the SQLite baseline in
// bench/ so that both record exactly the same activities: N activities,
// actors chosen uniformly, targets uniformly or by Zipf's law (a few busy
// targets and a long tail, as page views are), K short string attributes,
// time advancing one second per 1,000 activities.
#ifndef CCTV_CLI_BENCH_WORKLOAD_H_
#define CCTV_CLI_BENCH_WORKLOAD_H_

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "cctv/cctv.h"

namespace cctv::cli {

enum class Distribution {
  kUniform,  // every target as likely as any other
  kZipf,     // target k (from 1) with weight 1/k: /store/products/0 is the busiest
};

// "uniform" or "zipf"; throws InvalidArgument("--distribution") otherwise.
Distribution parse_distribution(std::string_view name);
const char* distribution_name(Distribution d);

struct WorkloadSpec {
  std::uint64_t activities = 1'000'000;
  std::uint64_t actors = 100'000;
  std::uint64_t targets = 10'000;
  int attributes = 3;
  std::uint64_t seed = 1;
  Distribution distribution = Distribution::kUniform;
};

class Workload {
 public:
  explicit Workload(const WorkloadSpec& spec);

  const WorkloadSpec& spec() const { return spec_; }
  const std::vector<std::string>& actors() const { return actors_; }
  const std::vector<std::string>& targets() const { return targets_; }
  // Precomputed attribute sets, picked at random per activity, so that
  // generating an activity costs next to nothing beside recording it.
  const std::vector<Attributes>& attribute_sets() const { return attribute_sets_; }
  // The same sets as JSON objects, for stores that keep JSON text.
  const std::vector<std::string>& attribute_json() const { return attribute_json_; }

  // The time of activity i.
  Timestamp time(std::uint64_t i) const;
  // [middle, end): the later half of the workload's span, as views use it.
  TimeRange later_half() const;

  // Activity i of the part of the workload that producer `part` of `parts`
  // records (i = part, part + parts, ...): indexes into actors(), targets(),
  // attribute_sets(), drawn from a generator seeded per part.
  class Stream {
   public:
    Stream(const Workload& w, int part);
    struct Pick {
      std::uint64_t actor;
      std::uint64_t target;
      std::size_t attributes;
    };
    Pick next();

   private:
    const Workload& w_;
    std::mt19937_64 rng_;
  };

 private:
  WorkloadSpec spec_;
  std::vector<std::string> actors_;
  std::vector<std::string> targets_;
  std::vector<Attributes> attribute_sets_;
  std::vector<std::string> attribute_json_;
  // With kZipf: the cumulative weight of targets 0..k, scaled to 2^62,
  // searched with a uniform draw.
  std::vector<std::uint64_t> target_cdf_;
};

}  // namespace cctv::cli

#endif  // CCTV_CLI_BENCH_WORKLOAD_H_
