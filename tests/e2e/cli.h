// Running the built `cctv` binary against a store in a temporary directory.
#ifndef CCTV_TESTS_E2E_CLI_H_
#define CCTV_TESTS_E2E_CLI_H_

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "support/run.h"
#include "support/temp_dir.h"

namespace cctv::testing {

class CliTest : public ::testing::Test {
 protected:
  // Runs `cctv --store <this test's store> ARGS...`.
  RunResult cctv(std::vector<std::string> args, const std::string& stdin_data = "") {
    args.insert(args.begin(), {CCTV_BINARY, "--store", store_});
    RunOptions options;
    options.stdin_data = stdin_data;
    return run(args, options);
  }
  // Runs cctv and expects success.
  std::string ok(std::vector<std::string> args, const std::string& stdin_data = "") {
    const RunResult r = cctv(args, stdin_data);
    EXPECT_EQ(r.exit_code, 0) << "stderr: " << r.err;
    return r.out;
  }

  static std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) out.push_back(line);
    }
    return out;
  }

  TempDir dir_;
  std::string store_ = dir_.store();
};

}  // namespace cctv::testing

#endif  // CCTV_TESTS_E2E_CLI_H_
