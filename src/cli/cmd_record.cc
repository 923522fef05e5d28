// cctv record TABLE ACTOR TARGET [KEY=VALUE ...] [--time T]
#include <cstdio>

#include "cli/args.h"
#include "cli/command.h"

namespace cctv::cli {

namespace {

struct RecordArgs {
  std::string table;
  std::string actor;
  std::string target;
  std::vector<std::string> attributes;
  std::string time;
};

void run_record(const Globals& globals, const RecordArgs& args) {
  const Timestamp now = cctv::now();
  const Timestamp time = args.time.empty() ? now : parse_time(args.time, now, "--time");
  Activity activity{args.actor, args.target, time, kNoId, parse_attributes(args.attributes)};
  // Check everything before opening the store, so bad input leaves no trace.
  validate_table_name(args.table);
  validate_activity(activity);
  Client client = open_for_writing(globals.store);
  const ActivityId id = client.tracker(args.table).record(activity);
  client.close();  // durable before we say so
  std::printf("%s\n", format_id(id).c_str());
}

}  // namespace

void add_record_command(CLI::App& app, Globals& globals) {
  auto args = std::make_shared<RecordArgs>();
  CLI::App* cmd = app.add_subcommand("record", "Record one activity and print its id");
  cmd->add_option("TABLE", args->table, "Table (kind of activity), e.g. store-pageviews")
      ->required();
  cmd->add_option("ACTOR", args->actor, "Who acted, e.g. bob")->required();
  cmd->add_option("TARGET", args->target, "What was acted on, e.g. /store")->required();
  cmd->add_option("ATTRIBUTES", args->attributes,
                  "Extra attributes: KEY=VALUE (numbers, true, false and null are typed, "
                  "anything else is a string) or KEY:=JSON");
  cmd->add_option("--time", args->time,
                  "When it happened (default now): 2026-11-01T10:00:00Z, epoch seconds, -5m");
  cmd->callback([&globals, args] { run_record(globals, *args); });
}

}  // namespace cctv::cli
