// cctv import TABLE FILE|-
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <vector>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/output.h"
#include "cli/progress.h"

namespace cctv::cli {

namespace {

struct ImportArgs {
  std::string table;
  std::string file;
};

// Rejected lines listed one by one; past this, only counted.
constexpr std::size_t kMaxListedRejects = 100;
// A full queue during an import means the store is busy, not that the
// import should fail: wait for it.
constexpr auto kImportEnqueueTimeout = std::chrono::hours(1);

bool blank(const std::string& line) { return line.find_first_not_of(" \t\r") == std::string::npos; }

// Lines parsed and handed to the store together.
constexpr std::size_t kLinesPerBatch = 1000;

void run_import(Globals& globals, const ImportArgs& args) {
  validate_table_name(args.table);
  std::ifstream file;
  std::istream* in = &std::cin;
  std::uint64_t total_bytes = 0;
  if (args.file != "-") {
    file.open(args.file, std::ios::binary);
    if (!file) throw InvalidArgument("FILE", "cannot open '" + args.file + "'");
    struct stat st {};
    if (::stat(args.file.c_str(), &st) == 0 && S_ISREG(st.st_mode)) total_bytes = st.st_size;
    in = &file;
  }

  Client client = open_for_writing(globals.store, kImportEnqueueTimeout);
  Tracker tracker = client.tracker(args.table);
  // Progress counts activities the store holds, not lines read.
  Progress progress(
      "importing " + (args.file == "-" ? std::string("stdin") : args.file), total_bytes,
      [&client] {
        const Metrics m = client.metrics();
        return Progress::Done{m.written, m.accepted};
      },
      "stored");

  std::uint64_t line_number = 0;
  std::uint64_t bytes = 0;
  std::uint64_t imported = 0;
  std::uint64_t rejected = 0;
  const auto reject = [&](std::uint64_t line, const std::string& why) {
    if (++rejected <= kMaxListedRejects) {
      progress.finish();
      std::fprintf(stderr, "line %llu: %s\n", static_cast<unsigned long long>(line), why.c_str());
    }
  };
  std::vector<Activity> batch;
  std::vector<std::uint64_t> line_of;  // the line each of `batch` came from
  // This batch's lines that are not JSON activities, reported with those
  // record_batch() refuses, in line order.
  std::vector<std::pair<std::uint64_t, std::string>> bad;
  const auto record = [&] {
    const BatchResult r = tracker.record_batch(batch);
    for (const ItemError& e : r.errors) bad.emplace_back(line_of[e.index], e.message);
    std::sort(bad.begin(), bad.end());
    for (const auto& [line, why] : bad) reject(line, why);
    imported += r.accepted();
    // With an hour to wait for room, only a close stops a batch short.
    if (r.stopped_at < batch.size()) throw StoreError(r.refused);
    batch.clear();
    line_of.clear();
    bad.clear();
  };
  std::string line;
  const Timestamp now = cctv::now();
  while (std::getline(*in, line)) {
    ++line_number;
    bytes += line.size() + 1;
    progress.update(bytes);
    if (blank(line)) continue;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    try {
      batch.push_back(activity_from_json(line, now));
      line_of.push_back(line_number);
    } catch (const InvalidArgument& e) {
      bad.emplace_back(line_number, e.what());
    }
    if (batch.size() == kLinesPerBatch) record();
  }
  record();
  progress.finish();
  if (in->bad()) throw Error("could not read '" + args.file + "'");
  client.close();  // everything imported is durable before we say so
  if (rejected > kMaxListedRejects) {
    std::fprintf(stderr, "... and %llu more rejected lines\n",
                 static_cast<unsigned long long>(rejected - kMaxListedRejects));
  }
  std::printf("imported %llu %s into %s, rejected %llu\n",
              static_cast<unsigned long long>(imported), activities_word(imported), args.table.c_str(),
              static_cast<unsigned long long>(rejected));
  if (rejected > 0) globals.exit_code = kExitFailure;
}

}  // namespace

void add_import_command(CLI::App& app, Globals& globals) {
  auto args = std::make_shared<ImportArgs>();
  CLI::App* cmd = app.add_subcommand(
      "import",
      "Record activities from NDJSON, one activity object per line (the shape export writes). "
      "Lines with an id are stored once however often they are imported. Invalid lines are "
      "reported and skipped; every valid line is imported.");
  cmd->add_option("TABLE", args->table, "Table")->required();
  cmd->add_option("FILE", args->file, "NDJSON file, or - for standard input")->required();
  cmd->callback([&globals, args] { run_import(globals, *args); });
}

}  // namespace cctv::cli
