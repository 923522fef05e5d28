// The open connections, so that a graceful stop can reach each one and
// know when the last has closed; and the connection limit.
//
// Thread-safe.
#ifndef CCTV_SERVER_SESSIONS_H_
#define CCTV_SERVER_SESSIONS_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>

namespace cctv::server {

class Session;

class Sessions {
 public:
  // false when `max` are open already: the caller refuses the connection.
  bool try_add(const std::shared_ptr<Session>& session, std::size_t max);
  void remove(Session* session);

  // Asks every open session to close once idle (Session::stop_when_idle),
  // and every later one too.
  void stop_all();
  // Asked by every connection for every request: a flag, not the lock.
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  // Has every session whose request waits for the store answer now what
  // it would at --ack-timeout (Session::expire_waiting): for a stop that
  // cannot wait longer.
  void expire_waiting();
  // Waits until none is open or `timeout` passes; true when none is.
  bool wait_until_empty(std::chrono::milliseconds timeout);

 private:
  mutable std::mutex mu_;
  std::condition_variable empty_;
  std::map<Session*, std::weak_ptr<Session>> open_;  // guarded by mu_
  std::atomic<bool> stopping_{false};
};

}  // namespace cctv::server

#endif  // CCTV_SERVER_SESSIONS_H_
