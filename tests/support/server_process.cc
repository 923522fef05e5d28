#include "support/server_process.h"

#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>

#include "store/http/http_client.h"

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
  out_ = out[0];
  const std::size_t newline = line.find('\n');
  first_line_ = line.substr(0, newline);
  if (newline != std::string::npos) rest_ = line.substr(newline + 1);
  const std::size_t url = first_line_.find("http://");
  if (url == std::string::npos) {
    port_ = std::atoi(first_line_.c_str());
  } else {
    const std::size_t colon = first_line_.find(':', url + 7);
    port_ = colon == std::string::npos ? 0 : std::atoi(first_line_.c_str() + colon + 1);
  }
  if (port_ <= 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    throw std::runtime_error("'" + argv.front() + " " + (argv.size() > 1 ? argv[1] : "") +
                             "' printed no port (is the harness installed? scripts/npm-install tests/dynamo)");
  }
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    // Ten seconds to stop; then it is killed.
    bool reaped = false;
    for (int i = 0; i < 1000 && !reaped; ++i) {
      reaped = waitpid(pid_, nullptr, WNOHANG) == pid_;
      if (!reaped) usleep(10'000);
    }
    if (!reaped) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  if (out_ >= 0) close(out_);
}

bool ServerProcess::kill_now() {
  if (pid_ <= 0) throw std::runtime_error("the server has exited already");
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

int ServerProcess::terminate(std::string* output, int timeout_s) {
  if (pid_ <= 0) throw std::runtime_error("the server has exited already");
  kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  // Read what it prints while it stops, so a full pipe cannot hold it up.
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
      throw std::runtime_error("the server did not exit within " + std::to_string(timeout_s) + " s of SIGTERM");
    }
    pollfd p{out_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    const ssize_t n = read(out_, buf, sizeof buf);
    if (n <= 0) break;  // it closed its stdout: exiting
    rest_.append(buf, static_cast<std::size_t>(n));
  }
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  if (output != nullptr) *output = rest_;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
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
  store::HttpClient http;
  store::HttpRequest request;
  request.url = url() + "/__stats";
  return http.perform(request).body;
}

int free_loopback_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof addr;
  const bool bound = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                     getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size) == 0;
  close(fd);
  if (!bound) throw std::runtime_error("no free loopback port");
  return ntohs(addr.sin_port);
}

}  // namespace cctv::testing
