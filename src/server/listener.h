// Accepts connections and starts a Session for each, up to the connection
// limit; past it a connection is answered 503 and closed at once.
//
// Lives as long as its accept loop holds it (shared_ptr).
#ifndef CCTV_SERVER_LISTENER_H_
#define CCTV_SERVER_LISTENER_H_

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "server/api.h"
#include "server/server_options.h"
#include "server/sessions.h"

namespace cctv::server {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // Binds and listens on `endpoint`; throws Error when it cannot.
  Listener(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint, Api& api,
           const ServerOptions& options, Sessions& sessions);

  void start();
  // Stops accepting; connections already open go on.
  void stop();
  unsigned short port() const { return port_; }

 private:
  void accept();

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  Api& api_;
  const ServerOptions& options_;
  Sessions& sessions_;
  unsigned short port_ = 0;
};

}  // namespace cctv::server

#endif  // CCTV_SERVER_LISTENER_H_
