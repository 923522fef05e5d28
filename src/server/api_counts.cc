// /v1/{table}/counts, /top and /unique: the library's counts; and rebuilding them.
#include "cctv/error.h"
#include "cctv/json.h"
#include "server/api.h"
#include "server/request_params.h"

namespace cctv::server {

Response Api::get_counts(Call& call) {
  call.query.allow_only({"target", "bucket", "from", "to", "unique", "utc_offset"});
  const Bucket bucket = parse_bucket(call.query.get("bucket").value_or("hour"), "bucket");
  CountOptions options;
  options.utc_offset = parse_utc_offset(call.query.get("utc_offset").value_or(""), "utc_offset");
  // Open ends are the tracker's to close: up to now, back the default span.
  const TimeRange range = range_param(call.query, TimeRange{});
  const bool unique = flag_param(call.query, "unique");
  const auto target = call.query.get("target");
  Tracker tracker = reader(call.table);
  const Series counts = target ? tracker.count_activity(*target, range, bucket, options)
                               : tracker.count_activity(range, bucket, options);
  Series actors;
  if (unique) {
    actors = target ? tracker.count_unique_actors(*target, range, bucket, options)
                    : tracker.count_unique_actors(range, bucket, options);
  }
  return json(call, http::status::ok, series_to_json(bucket, counts, unique ? &actors : nullptr));
}

namespace {

// [from, to) of a query whose range defaults to the 24 hours up to now.
TimeRange last_day_by_default(const Query& query) {
  TimeRange range = range_param(query, TimeRange{kMinTime, now()});
  if (!query.has("from")) range.from = range.to - std::chrono::hours(24);
  return range;
}

}  // namespace

Response Api::get_top(Call& call) {
  call.query.allow_only({"from", "to", "limit"});
  const TimeRange range = last_day_by_default(call.query);
  const std::size_t limit = size_param(call.query, "limit", 10, 1, 10'000);
  return json(call, http::status::ok, top_to_json(reader(call.table).top_targets(range, limit)));
}

Response Api::get_unique(Call& call) {
  call.query.allow_only({"target", "from", "to"});
  const TimeRange range = last_day_by_default(call.query);
  Tracker tracker = reader(call.table);
  const auto target = call.query.get("target");
  const std::int64_t unique =
      target ? tracker.unique_actors(*target, range) : tracker.unique_actors(range);
  return json(call, http::status::ok, "{\"unique_actors\":" + std::to_string(unique) + "}");
}

Response Api::rebuild_counts(Call& call) {
  call.query.allow_only({"from", "to"});
  if (!call.query.has("from") || !call.query.has("to")) {
    throw InvalidArgument("from", "give the range to recount: from=2026-11-01&to=2026-11-08 "
                                  "(whole UTC days holding it are recounted)");
  }
  const TimeRange range = range_param(call.query, TimeRange{});
  reader(call.table).rebuild_counts(range);
  return json(call, http::status::ok, "{\"rebuilt\":true}");
}

}  // namespace cctv::server
