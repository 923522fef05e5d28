// The README's shell examples, run as written and in order, the way a
// newcomer pastes them: in an empty directory, with `cctv` on the PATH (the
// README's `export PATH=...`), beside a server started as `make run` starts
// it. A command fails the test when it exits non-zero or prints an error.
//
// What the harness does that a person would do by hand: it runs the server
// in the background rather than in a terminal of its own, on a free port
// instead of 8080 (every "8080" in the examples is changed to it), and a
// `cctv serve` line of the README replaces the running server until the end
// of its block. A block preceded by <!-- readme-test: skip. WHY --> is not
// run (the two set-up commands themselves; examples that need AWS or a
// free store); lines starting with '#' are comments or sample output.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "support/run.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

namespace cctv::testing {
namespace {

struct Block {
  int line;  // where it starts in README.md, for messages
  std::vector<std::string> commands;
};

// The ```sh blocks of `markdown` not marked to be skipped, as commands
// (continuation lines joined, comments and blank lines dropped).
std::vector<Block> shell_blocks(const std::string& markdown, std::vector<std::string>& skipped) {
  std::vector<Block> blocks;
  std::istringstream in(markdown);
  std::string line;
  std::string last_text;  // the last non-blank line before a fence
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line != "```sh") {
      if (!line.empty()) last_text = line;
      continue;
    }
    Block block{number, {}};
    const bool skip = last_text.rfind("<!-- readme-test: skip", 0) == 0;
    std::string command;
    while (std::getline(in, line) && line != "```") {
      ++number;
      if (command.empty() && (line.empty() || line.front() == '#')) continue;
      if (!line.empty() && line.back() == '\\') {
        command += line.substr(0, line.size() - 1) + " ";
        continue;
      }
      command += line;
      block.commands.push_back(command);
      command.clear();
    }
    ++number;
    last_text.clear();
    if (skip) {
      skipped.push_back("README.md line " + std::to_string(block.line));
    } else {
      blocks.push_back(std::move(block));
    }
  }
  return blocks;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size())
    text.replace(at, from.size(), to);
  return text;
}

// What a command printed that says it went wrong: an error answer from the
// API, curl's own complaint, or a `cctv:` line other than its note that it
// goes through the running server.
std::string error_in(const RunResult& r) {
  if (r.exit_code != 0) return "exit status " + std::to_string(r.exit_code);
  if (r.out.find("\"error\"") != std::string::npos) return "an error answer";
  std::istringstream err(r.err);
  for (std::string line; std::getline(err, line);) {
    if (line.find("going through its API") != std::string::npos) continue;
    if (line.rfind("cctv:", 0) == 0 || line.rfind("curl:", 0) == 0 ||
        line.find("error") != std::string::npos)
      return "stderr: " + line;
  }
  return "";
}

TEST(Readme, EveryShellExampleRunsAsWritten) {
  std::ifstream file(std::string(CCTV_SOURCE_DIR) + "/README.md");
  ASSERT_TRUE(file) << "cannot read README.md";
  std::stringstream text;
  text << file.rdbuf();
  std::vector<std::string> skipped;
  const std::vector<Block> blocks = shell_blocks(text.str(), skipped);
  ASSERT_GE(blocks.size(), 3u) << "the README's examples were not found";

  TempDir dir;
  const std::string work = dir.path().string();
  const std::string bin = std::filesystem::path(CCTV_BINARY).parent_path().string();
  const std::string port = std::to_string(free_loopback_port());
  const std::string shell_prefix =
      "cd '" + work + "' && export PATH='" + bin + "':\"$PATH\" && unset CCTV_STORE CCTV_API_KEY && ";
  const auto start_server = [&](const std::string& command) {
    return std::make_unique<ServerProcess>(
        std::vector<std::string>{"bash", "-c", shell_prefix + "exec " + command});
  };
  // What `make run` starts.
  const std::string make_run = "cctv --store rocksdb:./cctv-data serve --listen 127.0.0.1:" + port;
  auto server = start_server(make_run);

  int ran = 0;
  for (const Block& block : blocks) {
    bool replaced = false;
    for (const std::string& written : block.commands) {
      const std::string command = replace_all(written, "8080", port);
      SCOPED_TRACE("README.md block at line " + std::to_string(block.line) + ": " + written);
      if (command.rfind("cctv serve", 0) == 0) {
        server.reset();  // stopped, as Ctrl-C would
        server = start_server(command);
        replaced = true;
        ++ran;
        continue;
      }
      const RunResult r = run({"/bin/bash", "-c", shell_prefix + command});
      const std::string error = error_in(r);
      EXPECT_EQ(error, "") << "out: " << r.out.substr(0, 2000) << "\nerr: " << r.err.substr(0, 2000);
      ++ran;
    }
    if (replaced) {
      server.reset();
      server = start_server(make_run);
    }
  }
  EXPECT_GE(ran, 20) << "fewer examples ran than the README holds";
  std::string output;
  EXPECT_EQ(server->terminate(&output), 0) << output;
  std::cout << "ran " << ran << " README commands; skipped blocks at: ";
  for (const auto& s : skipped) std::cout << s << "; ";
  std::cout << "\n";
}

}  // namespace
}  // namespace cctv::testing
