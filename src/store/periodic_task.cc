#include "store/periodic_task.h"

#include <exception>
#include <utility>

namespace cctv::store {

PeriodicTask::PeriodicTask(std::chrono::milliseconds period, std::function<void()> task)
    : period_(period), task_(std::move(task)), thread_([this] { loop(); }) {}

PeriodicTask::~PeriodicTask() { stop(); }

void PeriodicTask::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

std::string PeriodicTask::take_error() {
  std::lock_guard lock(mu_);
  return std::exchange(error_, std::string());
}

void PeriodicTask::loop() {
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, period_, [this] { return stop_; })) {
    lock.unlock();
    std::string error;
    try {
      task_();
    } catch (const std::exception& e) {
      error = e.what();
    }
    lock.lock();
    if (!error.empty()) error_ = error;
  }
}

}  // namespace cctv::store
