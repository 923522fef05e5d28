// The `cctv` command: record, view, import, export and manage tables.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cctv/cctv.h"
#include "cli/command.h"
#include "cli/usage_error.h"

namespace {

// The store keeps table files open (up to half the soft limit: see
// rocks_store.cc) and the server its connections: the soft limit on file
// descriptors, often 1,024, is raised to the hard one, as servers do.
void raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
}

// Every command takes the global options too, after its name as before it
// (`cctv view --store X …`), and its --help lists them.
void add_global_options(CLI::App& command, cctv::cli::Globals& globals) {
  command.add_option("--store,-s", globals.store,
                     "Where activities live: rocksdb:PATH, dynamodb://REGION[?endpoint=URL&...] "
                     "or http://HOST:PORT (a cctv server) (env CCTV_STORE; default " +
                         std::string(cctv::cli::kDefaultStore) + ")")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);  // as a shell alias expects
  // Read by the store that is a cctv server (http://, or an embedded store
  // a server holds), from the environment.
  command.add_option("--api-key", "API key for a cctv server's API (env CCTV_API_KEY)")
      ->each([](const std::string& key) { setenv("CCTV_API_KEY", key.c_str(), 1); });
  for (CLI::App* sub : command.get_subcommands([](CLI::App*) { return true; })) {
    if (sub->get_name() != "keys") add_global_options(*sub, globals);  // keys open no store
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace cctv::cli;
  raise_open_file_limit();
  CLI::App app("cctv: record who did what to which thing, when; ask what happened.", "cctv");
  app.set_version_flag("--version", "cctv 0.1.0");
  app.require_subcommand(1);
  Globals globals;
  // The environment is read here rather than by the parser, which would
  // read it once for every command that takes --store and let it override
  // a --store given before the command's name.
  if (const char* env = std::getenv("CCTV_STORE"); env != nullptr && *env != '\0')
    globals.store = env;
  add_record_command(app, globals);
  add_view_command(app, globals);
  add_import_command(app, globals);
  add_export_command(app, globals);
  add_tables_command(app, globals);
  add_count_commands(app, globals);
  add_serve_command(app, globals);
  add_bench_command(app, globals);
  add_repair_command(app, globals);
  add_keys_command(app, globals);
  add_global_options(app, globals);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "cctv: %s\n", usage_error(app, e).c_str());
    return kExitUsage;
  } catch (const cctv::InvalidArgument& e) {
    std::fprintf(stderr, "cctv: %s\n", e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cctv: %s\n", e.what());
    return kExitFailure;
  }
  return globals.exit_code;
}
