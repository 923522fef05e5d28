// cctv export TABLE [--target T | --actor A] [--from T] [--to T]
#include <cstdio>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/output.h"

namespace cctv::cli {

namespace {

struct ExportArgs {
  std::string table;
  std::string target;
  std::string actor;
  std::string from;
  std::string to;
};

// Output is gathered into blocks this large before each write.
constexpr std::size_t kWriteBlock = std::size_t{1} << 16;

void run_export(const Globals& globals, const ExportArgs& args) {
  const TimeRange range = parse_range(args.from, args.to, cctv::now(), kMaxTime);
  Client client = open_for_reading(globals.store);
  Tracker tracker = client.tracker(args.table);

  std::string block;
  auto emit = [&block](const Activity& a) {
    append_json(a, block);
    block.push_back('\n');
    if (block.size() >= kWriteBlock) {
      write_all(stdout, block);
      block.clear();
    }
  };
  if (args.target.empty() && args.actor.empty()) {
    tracker.for_each_activity(range, emit);
  } else {
    ViewOptions options;
    options.limit = kMaxViewLimit;
    options.order = Order::kOldestFirst;
    for (;;) {
      Page page = args.target.empty() ? tracker.view_actor_activity(args.actor, range, options)
                                      : tracker.view_activity(args.target, range, options);
      for (const Activity& a : page.activities) emit(a);
      if (page.next_cursor.empty()) break;
      options.cursor = std::move(page.next_cursor);
    }
  }
  write_all(stdout, block);
  if (std::fflush(stdout) != 0)
    throw Error("could not write the output (disk full or closed pipe?)");
}

}  // namespace

void add_export_command(CLI::App& app, Globals& globals) {
  auto args = std::make_shared<ExportArgs>();
  CLI::App* cmd = app.add_subcommand(
      "export", "Write activities as NDJSON (one JSON object per line) that import reads back");
  cmd->add_option("TABLE", args->table, "Table")->required();
  auto* target = cmd->add_option("--target,-t", args->target, "Only activities on this target");
  auto* actor = cmd->add_option("--actor,-a", args->actor, "Only activities by this actor");
  target->excludes(actor);
  cmd->add_option("--from", args->from, "Start of the range, inclusive (default: the beginning)");
  cmd->add_option("--to", args->to, "End of the range, exclusive (default: no end)");
  cmd->callback([&globals, args] { run_export(globals, *args); });
}

}  // namespace cctv::cli
