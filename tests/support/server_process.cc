#include "support/server_process.h"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>

#include "store/dynamodb/http_client.h"

namespace cctv::testing {

ServerProcess::ServerProcess(const std::vector<std::string>& argv) {
  int out[2];
  if (pipe(out) != 0) throw std::runtime_error("pipe failed");
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // Die with the test, even if it crashes.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    dup2(out[1], 1);
    close(out[0]);
    close(out[1]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (line.find('\n') == std::string::npos) {
    pollfd p{out[0], POLLIN, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char buf[64];
    const ssize_t n = read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    line.append(buf, static_cast<std::size_t>(n));
  }
  close(out[0]);
  port_ = std::atoi(line.c_str());
  if (port_ <= 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    throw std::runtime_error("'" + argv.front() + " " + (argv.size() > 1 ? argv[1] : "") +
                             "' printed no port (is the harness installed? tests/dynamo/install.sh)");
  }
}

ServerProcess::~ServerProcess() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  waitpid(pid_, nullptr, 0);
}

std::string dynamo_harness_dir() { return CCTV_DYNAMO_HARNESS; }

Dynalite::Dynalite() : ServerProcess({"node", dynamo_harness_dir() + "/start-dynalite.js"}) {}

std::string Dynalite::store(const std::string& table_prefix) const {
  return "dynamodb://local?endpoint=" + url() +
         (table_prefix.empty() ? "" : "&table_prefix=" + table_prefix);
}

namespace {

std::vector<std::string> proxy_argv(int target_port, const std::vector<std::string>& faults) {
  std::vector<std::string> argv = {"node", dynamo_harness_dir() + "/fault-proxy.js",
                                   std::to_string(target_port)};
  argv.insert(argv.end(), faults.begin(), faults.end());
  return argv;
}

}  // namespace

FaultProxy::FaultProxy(int target_port, const std::vector<std::string>& faults)
    : ServerProcess(proxy_argv(target_port, faults)) {}

std::string FaultProxy::store(const std::string& table_prefix) const {
  return "dynamodb://local?endpoint=" + url() +
         (table_prefix.empty() ? "" : "&table_prefix=" + table_prefix);
}

std::string FaultProxy::stats() const {
  store::dynamodb::HttpClient http;
  store::dynamodb::HttpRequest request;
  request.url = url() + "/__stats";
  return http.perform(request).body;
}

}  // namespace cctv::testing
