// Runs tests/support/crash_writer (records into a store, flushes, says
// "flushed", and goes on recording) for the crash and damage tests, which
// define CCTV_CRASH_WRITER as its path.
#ifndef CCTV_TESTS_SUPPORT_CRASH_WRITER_PROCESS_H_
#define CCTV_TESTS_SUPPORT_CRASH_WRITER_PROCESS_H_

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace cctv::testing {

// How a crash writer ended: what it printed first, and its waitpid status.
struct WriterEnd {
  std::string said;
  int status = 0;
};

// Starts the crash writer with `args`. With `kill_after`: waits until it
// says it flushed, lets it write on that long, then kills it (SIGKILL).
// Without: waits for it to exit. Throws std::runtime_error if it cannot be
// started.
inline WriterEnd run_crash_writer(std::vector<std::string> args,
                                  std::optional<std::chrono::milliseconds> kill_after) {
  // Everything the child needs is built before the fork: a forked child of
  // a threaded process must not allocate (another thread may have held
  // malloc's lock), so it only execs.
  args.insert(args.begin(), CCTV_CRASH_WRITER);
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  int out[2];
  if (pipe(out) != 0) throw std::runtime_error("cannot make a pipe for the crash writer");
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("cannot fork the crash writer");
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    execv(CCTV_CRASH_WRITER, argv.data());
    _exit(127);
  }
  close(out[1]);
  WriterEnd end;
  if (kill_after) {
    char said[16] = {};
    const ssize_t n = read(out[0], said, 8);
    if (n > 0) end.said.assign(said, static_cast<std::size_t>(n));
    std::this_thread::sleep_for(*kill_after);
    kill(pid, SIGKILL);
  }
  waitpid(pid, &end.status, 0);
  close(out[0]);
  return end;
}

}  // namespace cctv::testing

#endif  // CCTV_TESTS_SUPPORT_CRASH_WRITER_PROCESS_H_
