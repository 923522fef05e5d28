// Runs a program the way a user's shell would, capturing what it prints.
#ifndef CCTV_TESTS_SUPPORT_RUN_H_
#define CCTV_TESTS_SUPPORT_RUN_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace cctv::testing {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

struct RunOptions {
  std::string stdin_data;                // fed to the program's standard input
  std::vector<std::string> environment;  // extra NAME=VALUE entries
  std::string working_directory;         // default: inherit
  bool stderr_is_terminal = false;       // give the program a pseudo-terminal as stderr
};

// Runs `argv` (argv[0] is a path) and waits for it.
RunResult run(const std::vector<std::string>& argv, const RunOptions& options = {});

// Starts `argv` with its output thrown away, and does not wait: the caller
// kills or waits for the process it returns.
pid_t start_silenced(const std::vector<std::string>& argv);

}  // namespace cctv::testing

#endif  // CCTV_TESTS_SUPPORT_RUN_H_
