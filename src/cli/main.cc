// The `cctv` command: record, view, import, export and manage tables.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "cctv/cctv.h"
#include "cli/command.h"

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

}  // namespace

int main(int argc, char** argv) {
  using namespace cctv::cli;
  raise_open_file_limit();
  CLI::App app("cctv: record who did what to which thing, when; ask what happened.", "cctv");
  app.set_version_flag("--version", "cctv 0.1.0");
  app.require_subcommand(1);
  Globals globals;
  app.add_option("--store,-s", globals.store,
                 "Where activities live: rocksdb:PATH or dynamodb://REGION[?endpoint=URL&...] "
                 "(env CCTV_STORE)")
      ->envname("CCTV_STORE")
      ->capture_default_str();
  add_record_command(app, globals);
  add_view_command(app, globals);
  add_import_command(app, globals);
  add_export_command(app, globals);
  add_tables_command(app, globals);
  add_count_commands(app, globals);
  add_serve_command(app, globals);
  add_bench_command(app, globals);
  add_repair_command(app, globals);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    const auto unparsed = app.remaining();
    if (app.get_subcommands().empty() && !unparsed.empty()) {
      std::fprintf(stderr,
                   "cctv: unknown command '%s'; the commands are record, view, import, export, "
                   "tables, count, top, counts, serve, bench and repair (cctv --help)\n",
                   unparsed.front().c_str());
      return kExitUsage;
    }
    app.exit(e);
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
