// What every subcommand of `cctv` shares: the global options, and the hook
// each command file uses to add itself to the parser.
#ifndef CCTV_CLI_COMMAND_H_
#define CCTV_CLI_COMMAND_H_

#include <CLI/CLI.hpp>
#include <string>

namespace cctv::cli {

inline constexpr const char* kDefaultStore = "rocksdb:./cctv-data";

// Exit codes: 0 success, 1 the work failed (store errors, rejected import
// lines), 2 the command line or its input was wrong.
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

struct Globals {
  std::string store = kDefaultStore;
  // Set by a command that finished but wants a nonzero exit.
  int exit_code = 0;
};

void add_record_command(CLI::App& app, Globals& globals);
void add_view_command(CLI::App& app, Globals& globals);
void add_import_command(CLI::App& app, Globals& globals);
void add_export_command(CLI::App& app, Globals& globals);
void add_tables_command(CLI::App& app, Globals& globals);
void add_bench_command(CLI::App& app, Globals& globals);
void add_count_commands(CLI::App& app, Globals& globals);
void add_serve_command(CLI::App& app, Globals& globals);
void add_repair_command(CLI::App& app, Globals& globals);
void add_keys_command(CLI::App& app, Globals& globals);

}  // namespace cctv::cli

#endif  // CCTV_CLI_COMMAND_H_
