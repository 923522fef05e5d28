// Accepts connections and starts a Session for each, up to the connection
// limit; past it a connection is answered 503 and closed at once. Each
// connection goes to the next serving thread's io_context in turn.
//
// Lives as long as its accept loop holds it (shared_ptr).
#ifndef CCTV_SERVER_LISTENER_H_
#define CCTV_SERVER_LISTENER_H_

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <vector>

#include "server/api.h"
#include "server/server_options.h"
#include "server/sessions.h"

namespace cctv::server {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // Binds and listens on `endpoint`, accepting on the first of `serving`
  // (not empty); throws Error when it cannot.
  Listener(std::vector<boost::asio::io_context*> serving,
           const boost::asio::ip::tcp::endpoint& endpoint, Api& api, const ServerOptions& options,
           Sessions& sessions);

  void start();
  // Stops accepting; connections already open go on. Call it on the
  // thread of the first of `serving`.
  void stop();
  unsigned short port() const { return port_; }
  // Server::forget_in_child(): closes this process's descriptor of the
  // listening socket without telling the reactor, whose epoll instance
  // the parent shares.
  void close_descriptor_in_child() noexcept;

 private:
  void accept();

  const std::vector<boost::asio::io_context*> serving_;
  std::size_t next_ = 0;  // the io_context of the next connection
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_;  // paces accepts after an accept error
  Api& api_;
  const ServerOptions& options_;
  Sessions& sessions_;
  unsigned short port_ = 0;
};

}  // namespace cctv::server

#endif  // CCTV_SERVER_LISTENER_H_
