#include "cli/bench_workload.h"

#include <algorithm>

namespace cctv::cli {

namespace {

constexpr std::uint64_t kPerSecond = 1000;
constexpr std::size_t kAttributeSets = 1024;
constexpr double kZipfScale = 4611686018427387904.0;                      // 2^62: exact in a double
const Timestamp kStart = Timestamp(std::chrono::seconds(1'767'225'600));  // 2026-01-01T00:00:00Z

}  // namespace

Distribution parse_distribution(std::string_view name) {
  if (name == "uniform") return Distribution::kUniform;
  if (name == "zipf") return Distribution::kZipf;
  throw InvalidArgument("--distribution",
                        "must be uniform or zipf, not '" + std::string(name) + "'");
}

const char* distribution_name(Distribution d) {
  return d == Distribution::kZipf ? "zipf" : "uniform";
}

Workload::Workload(const WorkloadSpec& spec) : spec_(spec) {
  if (spec.distribution == Distribution::kZipf) {
    double total = 0;
    for (std::uint64_t k = 1; k <= spec.targets; ++k) total += 1.0 / static_cast<double>(k);
    target_cdf_.reserve(spec.targets);
    double sum = 0;
    for (std::uint64_t k = 1; k <= spec.targets; ++k) {
      sum += 1.0 / static_cast<double>(k);
      target_cdf_.push_back(static_cast<std::uint64_t>(std::min(1.0, sum / total) * kZipfScale));
    }
    target_cdf_.back() = static_cast<std::uint64_t>(kZipfScale);
  }
  actors_.reserve(spec.actors);
  for (std::uint64_t i = 0; i < spec.actors; ++i) actors_.push_back("user" + std::to_string(i));
  targets_.reserve(spec.targets);
  for (std::uint64_t i = 0; i < spec.targets; ++i)
    targets_.push_back("/store/products/" + std::to_string(i));
  std::mt19937_64 prep(spec.seed);
  attribute_sets_.resize(kAttributeSets);
  for (auto& set : attribute_sets_) {
    for (int k = 0; k < spec.attributes; ++k) {
      set.emplace_back("attr" + std::to_string(k), "value" + std::to_string(prep() % 100));
    }
    attribute_json_.push_back(to_json(Value(set)));
  }
}

Timestamp Workload::time(std::uint64_t i) const {
  return kStart + std::chrono::milliseconds(i * 1000 / kPerSecond);
}

TimeRange Workload::later_half() const {
  const Timestamp end = time(spec_.activities) + std::chrono::seconds(1);
  return TimeRange{kStart + (end - kStart) / 2, end};
}

Workload::Stream::Stream(const Workload& w, int part)
    : w_(w), rng_(w.spec().seed * 7919 + static_cast<std::uint64_t>(part)) {}

Workload::Stream::Pick Workload::Stream::next() {
  Pick p;
  p.actor = rng_() % w_.spec().actors;
  if (w_.target_cdf_.empty()) {
    p.target = rng_() % w_.spec().targets;
  } else {
    const std::uint64_t draw = rng_() >> 2;  // uniform in [0, kZipfScale)
    p.target = static_cast<std::uint64_t>(
        std::lower_bound(w_.target_cdf_.begin(), w_.target_cdf_.end(), draw) -
        w_.target_cdf_.begin());
  }
  p.attributes = static_cast<std::size_t>(rng_() % w_.attribute_sets().size());
  return p;
}

}  // namespace cctv::cli
