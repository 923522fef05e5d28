// A task run on its own thread again and again -- the stores' writers of
// gathered counts -- waiting between runs as long as the last run asked,
// that keeps the last failure for whoever asks next.
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
  // One run; returns how long to wait before the next.
  using Task = std::function<std::chrono::milliseconds()>;

  // Runs `task` after `first_wait`, then again after each wait it returns.
  // An exception from it is kept (take_error), not thrown; the wait after
  // a failed run is `first_wait`.
  PeriodicTask(std::chrono::milliseconds first_wait, Task task);
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

  const std::chrono::milliseconds first_wait_;
  const Task task_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;  // guarded by mu_
  std::string error_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace cctv::store

#endif  // CCTV_STORE_PERIODIC_TASK_H_
