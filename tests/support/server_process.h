// A helper server for tests (dynalite, the fault proxy, `cctv serve`):
// started as a child process that prints its port on its first line (alone,
// or in a URL http://HOST:PORT), and killed by its PID when the test is
// done -- or when the test process dies, whichever comes first.
#ifndef CCTV_TESTS_SUPPORT_SERVER_PROCESS_H_
#define CCTV_TESTS_SUPPORT_SERVER_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace cctv::testing {

class ServerProcess {
 public:
  // Runs argv (argv[0] found on PATH) and waits for the port it prints.
  // Throws std::runtime_error if it exits or prints no port within 30 s.
  explicit ServerProcess(const std::vector<std::string>& argv);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  // The first line it printed.
  const std::string& first_line() const { return first_line_; }

  // Sends SIGTERM, waits for it to exit, and returns its exit status (or
  // 128 + the signal that killed it); `output` gets what it printed after
  // its first line. Throws std::runtime_error if it has not exited within
  // `timeout_s`, after killing it.
  int terminate(std::string* output = nullptr, int timeout_s = 60);
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Kills it with SIGKILL at once and reaps it; true when SIGKILL is what
  // ended it (not an earlier exit).
  bool kill_now();

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  int out_ = -1;  // its stdout, read after the first line only by terminate()
  std::string first_line_;
  std::string rest_;  // read past the first line
};

// A loopback port free now: for a server that must keep its address
// across a restart, or one given a fixed port.
int free_loopback_port();

// The directory with the pinned Node harness (tests/dynamo), installed.
std::string dynamo_harness_dir();

// dynalite, in memory, on a free port.
class Dynalite : public ServerProcess {
 public:
  Dynalite();
  // A store URI for this dynalite; `table_prefix` keeps tests apart.
  std::string store(const std::string& table_prefix = "") const;
};

// The fault-injecting proxy in front of `target_port`; `faults` are its
// flags, e.g. {"--throttle", "0.1", "--seed", "7"}.
class FaultProxy : public ServerProcess {
 public:
  FaultProxy(int target_port, const std::vector<std::string>& faults);
  std::string store(const std::string& table_prefix = "") const;
  // The counts of injected faults, as JSON.
  std::string stats() const;
};

}  // namespace cctv::testing

#endif  // CCTV_TESTS_SUPPORT_SERVER_PROCESS_H_
