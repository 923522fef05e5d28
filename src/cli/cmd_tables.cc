// cctv tables [list | create NAME [--retention D] [--counts-retention D] |
//              set NAME [--retention D] [--counts-retention D] [--apply] |
//              describe NAME | drop NAME --yes]
#include <cstdio>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/output.h"

namespace cctv::cli {

namespace {

struct TablesArgs {
  std::string name;
  std::string format = "table";
  bool yes = false;
  std::string retention;
  std::string counts_retention;
  bool apply = false;
};


bool wants_json(const TablesArgs& args) {
  const Format format = parse_format(args.format);
  if (format != Format::kTable && format != Format::kJson) {
    throw InvalidArgument("--format", "tables prints table or json");
  }
  return format == Format::kJson;
}

void run_list(const Globals& globals, const TablesArgs& args) {
  const bool json = wants_json(args);
  std::vector<std::string> names;
  try {
    names = open_for_reading(globals.store).tables();
  } catch (const NotFound&) {
    // No store yet: no tables.
  }
  if (json) {
    List list(names.begin(), names.end());
    std::printf("%s\n", to_json(Value(Map{{"tables", std::move(list)}})).c_str());
    return;
  }
  if (names.empty()) std::fprintf(stderr, "no tables in %s\n", globals.store.c_str());
  for (const auto& name : names) std::printf("%s\n", name.c_str());
}

void run_create(const Globals& globals, const TablesArgs& args) {
  validate_table_name(args.name);
  TableOptions options;
  if (!args.retention.empty()) options.retention = parse_duration(args.retention, "--retention");
  if (!args.counts_retention.empty()) {
    options.counts_retention = parse_duration(args.counts_retention, "--counts-retention");
  }
  const TableInfo info = open_for_writing(globals.store).create_table(args.name, options);
  std::printf("created table %s\n", info.name.c_str());
}

void run_set(const Globals& globals, const TablesArgs& args) {
  Client client = open_for_writing(globals.store);
  TableOptions options = client.describe_table(args.name).options;
  if (!args.retention.empty()) options.retention = parse_duration(args.retention, "--retention");
  if (!args.counts_retention.empty()) {
    options.counts_retention = parse_duration(args.counts_retention, "--counts-retention");
  }
  client.alter_table(args.name, options);
  if (args.apply) client.apply_retention(args.name);
  std::printf("changed table %s\n", args.name.c_str());
}

void run_describe(const Globals& globals, const TablesArgs& args) {
  const bool json = wants_json(args);
  const TableInfo info = open_for_reading(globals.store).describe_table(args.name);
  if (json) {
    std::printf("%s\n", to_json(info).c_str());
    return;
  }
  std::printf("name                    %s\n", info.name.c_str());
  std::printf("store                   %s\n", globals.store.c_str());
  std::printf("created                 %s\n", format_time(info.created).c_str());
  std::printf("activities (estimate)   %llu\n",
              static_cast<unsigned long long>(info.approximate_activities));
  std::printf("size (estimate)         %llu bytes\n",
              static_cast<unsigned long long>(info.approximate_bytes));
  std::printf("views                   by target%s\n", info.has_actor_index ? ", by actor" : "");
  for (const auto& [label, text] : info.details) {
    std::printf("%-23s %s\n", label.c_str(), text.c_str());
  }
}

void run_drop(const Globals& globals, const TablesArgs& args) {
  Client client = open_for_writing(globals.store);
  const TableInfo info = client.describe_table(args.name);
  if (!args.yes) {
    throw InvalidArgument("--yes", "dropping '" + info.name + "' deletes about " +
                                       std::to_string(info.approximate_activities) +
                                       " activities for good; add --yes to confirm");
  }
  client.drop_table(args.name);
  std::printf("dropped table %s\n", info.name.c_str());
}

}  // namespace

void add_tables_command(CLI::App& app, Globals& globals) {
  auto args = std::make_shared<TablesArgs>();
  CLI::App* cmd = app.add_subcommand("tables", "List, create, change, describe and drop tables");
  cmd->add_option("--format,-f", args->format, "table or json")->capture_default_str();
  cmd->callback([&globals, args, cmd] {
    if (cmd->get_subcommands().empty()) run_list(globals, *args);
  });

  CLI::App* list = cmd->add_subcommand("list", "List the tables (the default)");
  list->add_option("--format,-f", args->format, "table or json");
  list->callback([&globals, args] { run_list(globals, *args); });

  CLI::App* create = cmd->add_subcommand("create", "Create a table");
  create->add_option("NAME", args->name, "3 to 255 characters from A-Z a-z 0-9 _ . -")->required();
  create->add_option("--retention", args->retention,
                     "Keep activities this long, e.g. 90d (30m, 12h, 2w, 1y; default forever); counts stay");
  create->add_option("--counts-retention", args->counts_retention, "Keep counts this long (default forever)");
  create->callback([&globals, args] { run_create(globals, *args); });

  CLI::App* set = cmd->add_subcommand("set", "Change how long a table keeps activities and counts");
  set->add_option("NAME", args->name, "Table")->required();
  set->add_option("--retention", args->retention, "Keep activities this long, e.g. 30d, or forever");
  set->add_option("--counts-retention", args->counts_retention, "Keep counts this long, e.g. 1y, or forever");
  set->add_flag("--apply", args->apply, "Remove what has expired now, not as the store compacts");
  set->callback([&globals, args] { run_set(globals, *args); });

  CLI::App* describe = cmd->add_subcommand("describe", "Show a table's details");
  describe->add_option("NAME", args->name, "Table")->required();
  describe->add_option("--format,-f", args->format, "table or json");
  describe->callback([&globals, args] { run_describe(globals, *args); });

  CLI::App* drop = cmd->add_subcommand("drop", "Delete a table and all its activities");
  drop->add_option("NAME", args->name, "Table")->required();
  drop->add_flag("--yes", args->yes, "Confirm: the activities are gone for good");
  drop->callback([&globals, args] { run_drop(globals, *args); });
}

}  // namespace cctv::cli
