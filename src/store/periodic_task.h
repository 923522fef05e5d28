// A task run on its own thread at a fixed period -- the stores' writers of
// gathered counts -- that keeps the last failure for whoever asks next.
//
// Thread-safe.
#ifndef CCTV_STORE_PERIODIC_TASK_H_
#define CCTV_STORE_PERIODIC_TASK_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace cctv::store {

class PeriodicTask {
 public:
  // Starts running `task` every `period`. An exception from it is kept
  // (take_error), not thrown.
  PeriodicTask(std::chrono::milliseconds period, std::function<void()> task);
  // stop().
  ~PeriodicTask();
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  // Runs the task no more, after a run in progress ends. Idempotent.
  void stop();

  // What the last failed run said, since the last call; "" if none failed.
  std::string take_error();

 private:
  void loop();

  const std::chrono::milliseconds period_;
  const std::function<void()> task_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;  // guarded by mu_
  std::string error_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace cctv::store

#endif  // CCTV_STORE_PERIODIC_TASK_H_
