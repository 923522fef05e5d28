// cctv count TABLE [--target T] [--bucket minute|hour|day] [--from] [--to]
//                  [--utc-offset +05:30] [--unique] [--format table|json|csv]
// cctv top TABLE [--from] [--to] [--limit N] [--format table|json|csv]
// cctv counts rebuild TABLE [--from] [--to]
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/output.h"

namespace cctv::cli {

namespace {

struct CountArgs {
  std::string table;
  std::string target;
  std::string bucket = "hour";
  std::string from;
  std::string to;
  std::string utc_offset;
  bool unique = false;
  std::string format = "table";
};

struct TopArgs {
  std::string table;
  std::string from;
  std::string to;
  std::size_t limit = 10;
  std::string format = "table";
};

struct RebuildArgs {
  std::string table;
  std::string from;
  std::string to;
};

int terminal_width() {
  winsize size{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 20) return size.ws_col;
  return 80;
}

// A bar of `value` out of `max` in `width` cells, in eighths of a cell.
std::string bar(std::int64_t value, std::int64_t max, int width) {
  static const char* const kEighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  if (max <= 0 || value <= 0 || width <= 0) return "";
  const std::int64_t eighths = std::max<std::int64_t>(1, value * width * 8 / max);
  std::string out;
  for (std::int64_t i = 0; i < eighths / 8; ++i) out += "█";
  out += kEighths[eighths % 8];
  return out;
}

void run_count(const Globals& globals, const CountArgs& args) {
  const Bucket bucket = parse_bucket(args.bucket, "--bucket");
  const Format format = parse_format(args.format);
  if (format == Format::kNdjson) throw InvalidArgument("--format", "must be table, json or csv for counts");
  CountOptions options;
  options.utc_offset = parse_utc_offset(args.utc_offset, "--utc-offset");
  const Timestamp now = cctv::now();
  // Without --from, the tracker starts the series the bucket's default
  // span before its end.
  const TimeRange series_range = parse_range(args.from, args.to, now, now);

  Client client = open_for_reading(globals.store);
  Tracker tracker = client.tracker(args.table);
  const Series counts = args.target.empty() ? tracker.count_activity(series_range, bucket, options)
                                            : tracker.count_activity(args.target, series_range, bucket, options);
  Series unique;
  if (args.unique) {
    unique = args.target.empty() ? tracker.count_unique_actors(series_range, bucket, options)
                                 : tracker.count_unique_actors(args.target, series_range, bucket, options);
  }
  std::string out;
  if (format == Format::kJson) {
    out = series_to_json(bucket, counts, args.unique ? &unique : nullptr) + "\n";
  } else if (format == Format::kCsv) {
    out = args.unique ? "start,count,unique_actors\n" : "start,count\n";
    for (std::size_t i = 0; i < counts.size(); ++i) {
      out += format_bucket_start(counts[i].start) + "," + std::to_string(counts[i].count);
      if (args.unique) out += "," + std::to_string(unique[i].count);
      out += "\n";
    }
  } else {
    // A bar chart: one line per bucket, the bar scaled to the busiest.
    std::int64_t max = 0, total = 0;
    std::size_t count_width = 5, unique_width = 6;
    for (std::size_t i = 0; i < counts.size(); ++i) {
      max = std::max(max, counts[i].count);
      total += counts[i].count;
      count_width = std::max(count_width, with_commas(static_cast<std::uint64_t>(counts[i].count)).size());
      if (args.unique) {
        unique_width = std::max(unique_width, with_commas(static_cast<std::uint64_t>(unique[i].count)).size());
      }
    }
    const int fixed = 21 + static_cast<int>(count_width) + (args.unique ? static_cast<int>(unique_width) + 2 : 0) + 2;
    const int width = std::max(10, terminal_width() - fixed);
    char line[256];
    std::snprintf(line, sizeof line, "%-20s %*s%s%*s  \n", "START", static_cast<int>(count_width), "COUNT",
                  args.unique ? "  " : "", args.unique ? static_cast<int>(unique_width) : 0, args.unique ? "ACTORS" : "");
    out += line;
    for (std::size_t i = 0; i < counts.size(); ++i) {
      std::snprintf(line, sizeof line, "%-20s %*s", format_bucket_start(counts[i].start).c_str(), static_cast<int>(count_width),
                    with_commas(static_cast<std::uint64_t>(counts[i].count)).c_str());
      out += line;
      if (args.unique) {
        std::snprintf(line, sizeof line, "  %*s", static_cast<int>(unique_width),
                      with_commas(static_cast<std::uint64_t>(unique[i].count)).c_str());
        out += line;
      }
      out += "  " + bar(counts[i].count, max, width) + "\n";
    }
    out += with_commas(static_cast<std::uint64_t>(total)) + " " +
           activities_word(static_cast<std::uint64_t>(total)) + " in " + std::to_string(counts.size()) + " " +
           std::string(bucket_name(bucket)) + (counts.size() == 1 ? "" : "s") +
           (args.target.empty() ? " (all targets)" : " on " + args.target) + "\n";
  }
  write_all(stdout, out);
}

void run_top(const Globals& globals, const TopArgs& args) {
  const Format format = parse_format(args.format);
  if (format == Format::kNdjson) throw InvalidArgument("--format", "must be table, json or csv for top");
  const Timestamp now = cctv::now();
  TimeRange range = parse_range(args.from, args.to, now, now);
  if (args.from.empty()) range.from = range.to - std::chrono::hours(24);
  Client client = open_for_reading(globals.store);
  const std::vector<TargetCount> top = client.tracker(args.table).top_targets(range, args.limit);
  std::string out;
  if (format == Format::kJson) {
    out = top_to_json(top) + "\n";
  } else if (format == Format::kCsv) {
    out = "target,count\n";
    for (const auto& t : top) out += csv_field(t.target) + "," + std::to_string(t.count) + "\n";
  } else {
    std::size_t target_width = 6, count_width = 5;
    for (const auto& t : top) {
      target_width = std::max(target_width, t.target.size());
      count_width = std::max(count_width, with_commas(static_cast<std::uint64_t>(t.count)).size());
    }
    target_width = std::min<std::size_t>(target_width, 60);
    const std::int64_t max = top.empty() ? 0 : top.front().count;
    const int width = std::max(10, terminal_width() - static_cast<int>(target_width + count_width) - 10);
    char line[512];
    std::snprintf(line, sizeof line, "%4s  %-*s  %*s\n", "#", static_cast<int>(target_width), "TARGET",
                  static_cast<int>(count_width), "COUNT");
    out += line;
    for (std::size_t i = 0; i < top.size(); ++i) {
      std::snprintf(line, sizeof line, "%4zu  %-*s  %*s  ", i + 1, static_cast<int>(target_width),
                    top[i].target.c_str(), static_cast<int>(count_width),
                    with_commas(static_cast<std::uint64_t>(top[i].count)).c_str());
      out += line + bar(top[i].count, max, width) + "\n";
    }
    if (top.empty()) out += "no activity from " + format_time(range.from) + " to " + format_time(range.to) + "\n";
  }
  write_all(stdout, out);
}

void run_rebuild(const Globals& globals, const RebuildArgs& args) {
  const Timestamp now = cctv::now();
  const TimeRange range = parse_range(args.from, args.to, now, kMaxTime);
  Client client = open_for_writing(globals.store);
  Tracker tracker = client.tracker(args.table);
  tracker.rebuild_counts(range);
  client.close();
  std::fprintf(stderr, "rebuilt the counts of %s from its activities, whole UTC days from %s to %s\n",
               args.table.c_str(), format_time(range.from).c_str(), format_time(range.to).c_str());
}

}  // namespace

void add_count_commands(CLI::App& app, Globals& globals) {
  {
    auto args = std::make_shared<CountArgs>();
    CLI::App* cmd = app.add_subcommand("count", "Activities per minute, hour or day, as a chart, JSON or CSV");
    cmd->add_option("TABLE", args->table, "Table")->required();
    cmd->add_option("--target,-t", args->target, "Count this target (default: every target together)");
    cmd->add_option("--bucket,-b", args->bucket, "minute, hour or day")->capture_default_str();
    cmd->add_option("--from", args->from,
                    "Start (default: 1 hour, 24 hours or 30 days before --to, by bucket): ISO 8601, epoch "
                    "seconds, or relative (-1h, -7d, today)");
    cmd->add_option("--to", args->to, "End, exclusive (default: now)");
    cmd->add_option("--utc-offset", args->utc_offset, "Days start at midnight at this UTC offset, e.g. +05:30");
    cmd->add_flag("--unique,-u", args->unique, "Also count distinct actors (estimates within about 1%)");
    cmd->add_option("--format,-f", args->format, "table (a chart), json or csv")->capture_default_str();
    cmd->callback([&globals, args] { run_count(globals, *args); });
  }
  {
    auto args = std::make_shared<TopArgs>();
    CLI::App* cmd = app.add_subcommand("top", "The targets with the most activity in a time range");
    cmd->add_option("TABLE", args->table, "Table")->required();
    cmd->add_option("--from", args->from, "Start (default: 24 hours before --to)");
    cmd->add_option("--to", args->to, "End, exclusive (default: now)");
    cmd->add_option("--limit,-n", args->limit, "How many targets, 1 to 10000")->capture_default_str();
    cmd->add_option("--format,-f", args->format, "table, json or csv")->capture_default_str();
    cmd->callback([&globals, args] { run_top(globals, *args); });
  }
  {
    CLI::App* counts = app.add_subcommand("counts", "Maintain counts");
    counts->require_subcommand(1);
    auto args = std::make_shared<RebuildArgs>();
    CLI::App* cmd = counts->add_subcommand(
        "rebuild", "Recount whole UTC days from the activities stored (tables filled before counts were kept)");
    cmd->add_option("TABLE", args->table, "Table")->required();
    cmd->add_option("--from", args->from, "Start (default: the beginning)");
    cmd->add_option("--to", args->to, "End, exclusive (default: the end of time)");
    cmd->callback([&globals, args] { run_rebuild(globals, *args); });
  }
}

}  // namespace cctv::cli
