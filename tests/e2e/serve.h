// Running `cctv serve` on a store in a temporary directory, and talking to
// it over loopback.
#ifndef CCTV_TESTS_E2E_SERVE_H_
#define CCTV_TESTS_E2E_SERVE_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cctv/cctv.h"
#include "support/http.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

namespace cctv::testing {

class ServeTest : public ::testing::Test {
 protected:
  // Starts `cctv --store STORE serve --listen 127.0.0.1:0 FLAGS...`.
  std::unique_ptr<ServerProcess> serve(const std::vector<std::string>& flags = {},
                                       const std::string& store = "") {
    std::vector<std::string> argv = {CCTV_BINARY, "--store", store.empty() ? store_ : store, "serve"};
    if (std::find(flags.begin(), flags.end(), "--listen") == flags.end()) {
      argv.insert(argv.end(), {"--listen", "127.0.0.1:0"});
    }
    argv.insert(argv.end(), flags.begin(), flags.end());
    return std::make_unique<ServerProcess>(argv);
  }

  // The JSON body of a reply, parsed.
  static Value body(const HttpReply& reply) { return value_from_json(reply.body, "response body"); }

  // Polls GET .../activities?QUERY until it lists `n` activities (they are
  // visible once written, a moment after 202). Returns the last list.
  static List wait_for_activities(int port, const std::string& table, const std::string& query, std::size_t n,
                                  const std::map<std::string, std::string>& headers = {}) {
    List last;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      const HttpReply reply = http_request(port, "GET", "/v1/" + table + "/activities?" + query, "", headers);
      if (reply.status == 200) {
        last = body(reply).find("activities")->as_list();
        if (last.size() >= n) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return last;
  }

  TempDir dir_;
  std::string store_ = dir_.store();
};

}  // namespace cctv::testing

#endif  // CCTV_TESTS_E2E_SERVE_H_
