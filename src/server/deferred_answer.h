// An answer that comes later, from another thread: a POST of activities is
// answered once the store holds them, from the writer thread that stored
// them. If that does not happen in time, the connection's watchdog sends a
// fallback instead (expire()). Exactly one of the two is sent; the other
// is dropped.
//
// Thread-safe.
#ifndef CCTV_SERVER_DEFERRED_ANSWER_H_
#define CCTV_SERVER_DEFERRED_ANSWER_H_

#include <atomic>
#include <functional>
#include <mutex>

#include "server/api.h"

namespace cctv::server {

class DeferredAnswer {
 public:
  // `send` takes the answer to the connection (it must not block: it posts
  // to the connection's thread).
  explicit DeferredAnswer(std::function<void(Response)> send) : send_(std::move(send)) {}

  // What to do with the answer before it is sent (count it in the
  // metrics). Set before the handler runs.
  void set_on_send(std::function<void(const Response&)> on_send);
  // What expire() sends. Set by the handler that defers.
  void set_fallback(std::function<Response()> fallback);

  // Sends `response` unless an answer was sent already.
  void answer(Response response);
  // Sends the fallback unless an answer was sent already.
  void expire();

 private:
  void send(Response response);

  std::atomic<bool> sent_{false};
  std::function<void(Response)> send_;
  std::mutex mu_;  // guards the two below
  std::function<Response()> fallback_;
  std::function<void(const Response&)> on_send_;
};

}  // namespace cctv::server

#endif  // CCTV_SERVER_DEFERRED_ANSWER_H_
