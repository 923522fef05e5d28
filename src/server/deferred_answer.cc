#include "server/deferred_answer.h"

namespace cctv::server {

void DeferredAnswer::set_on_send(std::function<void(const Response&)> on_send) {
  std::lock_guard lock(mu_);
  on_send_ = std::move(on_send);
}

void DeferredAnswer::set_fallback(std::function<Response()> fallback) {
  std::lock_guard lock(mu_);
  fallback_ = std::move(fallback);
}

void DeferredAnswer::answer(Response response) {
  if (sent_.exchange(true)) return;
  send(std::move(response));
}

void DeferredAnswer::expire() {
  if (sent_.exchange(true)) return;
  std::function<Response()> fallback;
  {
    std::lock_guard lock(mu_);
    fallback = fallback_;
  }
  if (fallback) send(fallback());
}

void DeferredAnswer::send(Response response) {
  {
    std::lock_guard lock(mu_);
    if (on_send_) on_send_(response);
  }
  send_(std::move(response));
}

}  // namespace cctv::server
