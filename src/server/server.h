// `cctv serve`: the HTTP API and the dashboard over one Client.
//
// run() serves until stop() or SIGTERM/SIGINT, then stops gracefully: it
// stops accepting, lets requests in flight finish (up to drain_timeout),
// and returns; the caller then closes the Client, which writes everything
// accepted. Nothing answered 202 is lost.
//
// Construct, then run() from one thread; stop() from any thread.
#ifndef CCTV_SERVER_SERVER_H_
#define CCTV_SERVER_SERVER_H_

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cctv/client.h"
#include "server/api.h"
#include "server/server_options.h"
#include "server/sessions.h"

namespace cctv::server {

class Listener;

class Server {
 public:
  // Binds options.listen. Throws InvalidArgument for a malformed listen
  // address, a bad key file, or a non-loopback address without API keys
  // (unless options.insecure); Error when the address cannot be bound.
  Server(Client& client, const ServerOptions& options);
  ~Server();

  // The port bound (useful with port 0).
  unsigned short port() const;
  // "http://HOST:PORT".
  std::string url() const;
  // The URL a process on this machine connects to: url(), with loopback
  // for the unspecified address (0.0.0.0, ::) a server may listen on.
  std::string local_url() const;
  bool has_api_keys() const { return has_keys_; }
  // Listening on a loopback address only.
  bool loopback() const { return loopback_; }

  // Serves until stop() or a signal; returns after the graceful stop, with
  // SIGTERM and SIGINT ignored from then on (the caller is writing what
  // was accepted; SIGKILL still ends the process).
  void run();
  // Makes run() return (see above); before run(), makes it return at once.
  void stop();

  // In a child of fork(), which has this server's memory but none of its
  // threads: closes the child's copy of the listening socket, so that
  // connections go to the parent alone, and touches nothing else. The
  // caller then leaks the server; destroying it would wait for threads
  // the child does not have.
  void forget_in_child() noexcept;

 private:
  const ServerOptions options_;
  std::string host_;
  bool has_keys_ = false;
  bool loopback_ = false;
  // Declared before ios_, so that connections the io_contexts still hold
  // when they are destroyed find them alive.
  std::unique_ptr<Api> api_;
  Sessions sessions_;
  // One io_context per serving thread (the first also accepts and takes
  // the signals): a connection stays on one thread, without strands.
  std::vector<std::unique_ptr<boost::asio::io_context>> ios_;
  std::shared_ptr<Listener> listener_;
  std::mutex stop_mu_;
  std::function<void()> stop_;  // set while run() runs; guarded by stop_mu_
  bool stop_asked_ = false;     // guarded by stop_mu_
};

// Splits "HOST:PORT" ("[::1]:8080" for IPv6). Throws InvalidArgument
// naming `--listen`.
std::pair<std::string, unsigned short> parse_listen(const std::string& listen);

}  // namespace cctv::server

#endif  // CCTV_SERVER_SERVER_H_
