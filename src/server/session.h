// One HTTP/1.1 connection: reads requests within the size and time limits,
// hands each to the Api, writes the answers, keeps the connection alive
// between them. Requests that break a limit get their status (408, 413,
// 431, 400) and the connection is closed: what follows them on the wire
// cannot be trusted to start a request.
//
// Lives as long as its asynchronous operations hold it (shared_ptr); all
// of them run on the connection's strand.
#ifndef CCTV_SERVER_SESSION_H_
#define CCTV_SERVER_SESSION_H_

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <optional>

#include "server/api.h"
#include "server/server_options.h"

namespace cctv::server {

class Sessions;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(boost::asio::ip::tcp::socket&& socket, Api& api, const ServerOptions& options, Sessions& sessions);
  ~Session();

  void start();
  // Answers 503 and closes: for a connection past the connection limit.
  void refuse_connection();
  // For a graceful stop: closes the connection if it is waiting for a
  // request; one being read or answered finishes first, then closes.
  void stop_when_idle();

 private:
  void wait_for_request();
  void read_header();
  void on_header(boost::beast::error_code ec);
  void on_request(boost::beast::error_code ec);
  void send(Response response);
  void on_sent(bool close, boost::beast::error_code ec);
  // Answers a request that broke a limit, then closes.
  void refuse(http::status status, const std::string& why);
  void close();

  boost::beast::tcp_stream stream_;
  // The request timeout. Not the stream's own: that closes the socket,
  // and a late request is owed a 408 first.
  boost::asio::steady_timer request_timer_;
  bool timed_out_ = false;
  boost::beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Response response_;  // kept while it is being written
  Api& api_;
  const ServerOptions& options_;
  Sessions& sessions_;
  bool idle_ = false;      // waiting for the first byte of a request
  bool stopping_ = false;  // answer what is in flight, then close
};

}  // namespace cctv::server

#endif  // CCTV_SERVER_SESSION_H_
