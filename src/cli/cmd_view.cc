// cctv view TABLE (--target T | --actor A) [--from] [--to] [--limit] [--order]
//                 [--cursor] [--all] [--format]
#include <cstdio>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/output.h"

namespace cctv::cli {

namespace {

struct ViewArgs {
  std::string table;
  std::string target;
  std::string actor;
  std::string from;
  std::string to;
  std::size_t limit = kDefaultViewLimit;
  std::string order = "newest";
  std::string cursor;
  bool all = false;
  std::string format = "table";
};

void run_view(const Globals& globals, const ViewArgs& args) {
  if (args.target.empty() == args.actor.empty()) {
    throw InvalidArgument("view", "give exactly one of --target T or --actor A");
  }
  const Timestamp now = cctv::now();
  const TimeRange range = parse_range(args.from, args.to, now, now);
  ViewOptions options;
  options.limit = args.limit;
  options.order = parse_order(args.order);
  options.cursor = args.cursor;
  const Format format = parse_format(args.format);

  Client client = open_for_reading(globals.store);
  Tracker tracker = client.tracker(args.table);
  ViewPrinter printer(format, stdout);
  for (;;) {
    Page page = args.target.empty() ? tracker.view_actor_activity(args.actor, range, options)
                                    : tracker.view_activity(args.target, range, options);
    printer.add(page.activities);
    if (!args.all || page.next_cursor.empty()) {
      printer.finish(page.next_cursor);
      return;
    }
    options.cursor = std::move(page.next_cursor);
  }
}

}  // namespace

void add_view_command(CLI::App& app, Globals& globals) {
  auto args = std::make_shared<ViewArgs>();
  CLI::App* cmd = app.add_subcommand("view", "Show activities on a target or by an actor");
  cmd->add_option("TABLE", args->table, "Table")->required();
  auto* target = cmd->add_option("--target,-t", args->target, "Activities on this target");
  auto* actor = cmd->add_option("--actor,-a", args->actor, "Activities by this actor");
  target->excludes(actor);
  cmd->add_option("--from", args->from,
                  "Start of the range, inclusive (default: the beginning): ISO 8601, epoch "
                  "seconds, or relative (-1h, -7d, today)");
  cmd->add_option("--to", args->to, "End of the range, exclusive (default: now)");
  cmd->add_option("--limit,-n", args->limit, "Activities per page, 1 to 10000")
      ->capture_default_str();
  cmd->add_option("--order", args->order, "newest or oldest first")->capture_default_str();
  cmd->add_option("--cursor", args->cursor, "Continue after the page that printed this cursor");
  cmd->add_flag("--all", args->all, "Follow cursors to the end of the range");
  cmd->add_option("--format,-f", args->format, "table, json, ndjson or csv")->capture_default_str();
  cmd->callback([&globals, args] { run_view(globals, *args); });
}

}  // namespace cctv::cli
