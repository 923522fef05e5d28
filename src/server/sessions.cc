#include "server/sessions.h"

#include <vector>

#include "server/session.h"

namespace cctv::server {

bool Sessions::try_add(const std::shared_ptr<Session>& session, std::size_t max) {
  std::lock_guard lock(mu_);
  if (open_.size() >= max) return false;
  open_.emplace(session.get(), session);
  return true;
}

void Sessions::remove(Session* session) {
  std::lock_guard lock(mu_);
  open_.erase(session);
  if (open_.empty()) empty_.notify_all();
}

void Sessions::stop_all() {
  std::vector<std::shared_ptr<Session>> open;
  {
    std::lock_guard lock(mu_);
    stopping_.store(true, std::memory_order_release);
    for (const auto& [raw, weak] : open_) {
      if (auto session = weak.lock()) open.push_back(std::move(session));
    }
  }
  for (const auto& session : open) session->stop_when_idle();
}

void Sessions::expire_waiting() {
  std::vector<std::shared_ptr<Session>> open;
  {
    std::lock_guard lock(mu_);
    for (const auto& [raw, weak] : open_) {
      if (auto session = weak.lock()) open.push_back(std::move(session));
    }
  }
  for (const auto& session : open) session->expire_waiting();
}

bool Sessions::wait_until_empty(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return empty_.wait_for(lock, timeout, [this] { return open_.empty(); });
}

}  // namespace cctv::server
