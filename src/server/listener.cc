#include "server/listener.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "cctv/error.h"
#include "server/session.h"

namespace cctv::server {

namespace net = boost::asio;
using tcp = net::ip::tcp;

Listener::Listener(std::vector<net::io_context*> serving, const tcp::endpoint& endpoint, Api& api,
                   const ServerOptions& options, Sessions& sessions)
    : serving_(std::move(serving)),
      acceptor_(*serving_.front()),
      retry_(*serving_.front()),
      api_(api),
      options_(options),
      sessions_(sessions) {
  boost::system::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    throw Error("cannot listen on " + endpoint.address().to_string() + ":" +
                std::to_string(endpoint.port()) + ": " + ec.message() +
                "; pick another --listen HOST:PORT");
  }
  port_ = acceptor_.local_endpoint().port();
}

void Listener::start() { accept(); }

void Listener::stop() {
  // On the accepting thread (Server's stop runs there): closed now, so the
  // port refuses connections while what was accepted is written.
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  retry_.cancel();
}

void Listener::close_descriptor_in_child() noexcept {
  if (acceptor_.is_open()) ::close(acceptor_.native_handle());
}

void Listener::accept() {
  net::io_context& io = *serving_[next_++ % serving_.size()];
  acceptor_.async_accept(
      io, [self = shared_from_this()](boost::system::error_code ec, Socket socket) {
        if (ec == net::error::operation_aborted || !self->acceptor_.is_open()) return;
        if (ec) {
          // Out of file descriptors (or memory): the connection stays in the
          // backlog and accepting again at once would fail again at once.
          // Pause, rather than spin on the thread that also serves.
          spdlog::warn("cctv serve: cannot accept a connection: {}; pausing accepts for 100 ms",
                       ec.message());
          self->retry_.expires_after(std::chrono::milliseconds(100));
          self->retry_.async_wait([self](boost::system::error_code wait_error) {
            if (!wait_error) self->accept();
          });
          return;
        }
        {
          socket.set_option(tcp::no_delay(true), ec);
          auto session = std::make_shared<Session>(std::move(socket), self->api_, self->options_,
                                                   self->sessions_);
          if (self->sessions_.try_add(session, self->options_.max_connections)) {
            session->start();
          } else {
            // Small enough to go out in one write on a fresh connection.
            self->api_.metrics().connection_refused();
            session->refuse_connection();
          }
        }
        self->accept();
      });
}

}  // namespace cctv::server
