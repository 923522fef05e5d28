// The public API's results as JSON (cctv/json.h): tables, count series and
// top targets, in the shapes the CLI prints and the HTTP API answers.
#include "cctv/json.h"
#include "cctv/value.h"

namespace cctv {

std::string to_json(const TableInfo& info) {
  Map details;
  for (const auto& [label, text] : info.details) details.emplace_back(label, text);
  return to_json(Value(Map{{"name", info.name},
                           {"created", format_time(info.created)},
                           {"approximate_activities", info.approximate_activities},
                           {"approximate_bytes", info.approximate_bytes},
                           {"has_actor_index", info.has_actor_index},
                           {"retention_s", static_cast<std::int64_t>(info.options.retention.count())},
                           {"counts_retention_s", static_cast<std::int64_t>(info.options.counts_retention.count())},
                           {"details", std::move(details)}}));
}

std::string series_to_json(Bucket bucket, const Series& counts, const Series* unique_actors) {
  List series;
  series.reserve(counts.size());
  for (std::size_t i = 0; i < counts.size(); ++i) {
    Map point{{"start", format_bucket_start(counts[i].start)}, {"count", counts[i].count}};
    if (unique_actors != nullptr && i < unique_actors->size()) point.emplace_back("unique_actors", (*unique_actors)[i].count);
    series.emplace_back(std::move(point));
  }
  return to_json(Value(Map{{"bucket", std::string(bucket_name(bucket))}, {"series", std::move(series)}}));
}

std::string top_to_json(const std::vector<TargetCount>& top) {
  List targets;
  targets.reserve(top.size());
  for (const auto& t : top) targets.emplace_back(Map{{"target", t.target}, {"count", t.count}});
  return to_json(Value(Map{{"targets", std::move(targets)}}));
}

}  // namespace cctv
