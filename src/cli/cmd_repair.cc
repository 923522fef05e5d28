// cctv repair: salvage a damaged embedded store.
#include <cstdio>
#include <memory>

#include "cctv/cctv.h"
#include "cli/command.h"
#include "cli/output.h"

namespace cctv::cli {

namespace {

void run_repair(Globals& globals, const RepairOptions& options) {
  const RepairReport report = repair_store(globals.store, options);
  if (options.into.empty()) {
    std::printf("repaired %s\n", globals.store.c_str());
  } else {
    std::printf("repaired %s into rocksdb:%s\n", globals.store.c_str(), report.repaired.c_str());
  }
  for (const std::string& finding : report.findings) std::printf("  found: %s\n", finding.c_str());
  if (report.findings.empty()) std::printf("  found no damage\n");
  for (const RepairReport::Table& t : report.tables) {
    std::printf("  table %s: %s %s salvaged", t.name.c_str(), with_commas(t.activities).c_str(),
                activities_word(t.activities));
    if (t.counted_before >= 0) {
      const std::int64_t lost = t.counted_before - static_cast<std::int64_t>(t.activities);
      std::printf(" of %s counted before",
                  with_commas(static_cast<std::uint64_t>(t.counted_before)).c_str());
      if (lost > 0)
        std::printf(": about %s lost", with_commas(static_cast<std::uint64_t>(lost)).c_str());
    }
    std::printf("; counts recounted\n");
  }
  std::printf("the damaged store, unchanged: %s (delete it once the repaired store looks right)\n",
              report.damaged_copy.c_str());
}

}  // namespace

void add_repair_command(CLI::App& app, Globals& globals) {
  CLI::App* cmd = app.add_subcommand(
      "repair",
      "Rebuild a damaged embedded store (--store) from what is readable in it: activities either "
      "index still holds, tables and their settings, counts recounted. The damaged store is kept "
      "aside, unchanged. Needs free space for a second copy, and the store not open elsewhere");
  auto options = std::make_shared<RepairOptions>();
  cmd->add_option("--into", options->into,
                  "Write the repaired store to this new or empty directory and leave the damaged "
                  "one where it is (for a store that is a mount point, or a disk without room for "
                  "a second copy)");
  cmd->callback([&globals, options] { run_repair(globals, *options); });
}

}  // namespace cctv::cli
