// One HTTP/1.1 connection: reads requests within the size and time limits,
// hands each to the Api, writes the answers, keeps the connection alive
// between them. Requests that break a limit get their status (408, 413,
// 431, 400) and the connection is closed: what follows them on the wire
// cannot be trusted to start a request.
//
// A connection belongs to one serving thread's io_context for its whole
// life, so its handlers never run at once and need no strand. Time limits
// are kept by one watchdog timer a second per connection, not a timer set
// and cancelled around every read and write: at tens of thousands of
// requests a second, those timers cost more than the requests' parsing.
//
// Lives as long as its asynchronous operations hold it (shared_ptr).
#ifndef CCTV_SERVER_SESSION_H_
#define CCTV_SERVER_SESSION_H_

#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <array>
#include <chrono>
#include <memory>
#include <optional>

#include "server/api.h"
#include "server/server_options.h"

namespace cctv::server {

class DeferredAnswer;
class Sessions;

using Socket =
    boost::asio::basic_stream_socket<boost::asio::ip::tcp, boost::asio::io_context::executor_type>;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Socket&& socket, Api& api, const ServerOptions& options, Sessions& sessions);
  ~Session();

  void start();
  // Answers 503 and closes: for a connection past the connection limit.
  void refuse_connection();
  // For a graceful stop: closes the connection if it is waiting for a
  // request; one being read or answered finishes first, then closes.
  void stop_when_idle();
  // For a stop past its drain time: a request waiting for the store gets
  // the answer it would get at --ack-timeout.
  void expire_waiting();

 private:
  // What the connection is doing, which decides what its deadline means.
  // kAwaitingStore: a POST waits for the store to hold its activities
  // (--ack-timeout).
  enum class Phase { kIdle, kReading, kHandling, kAwaitingStore, kWriting, kLingering };

  void watch();
  void wait_for_request();
  void read_header();
  void on_header(boost::beast::error_code ec);
  void on_request(boost::beast::error_code ec);
  void send(Response response);
  // Sends the answer a deferred request got, on the connection's thread.
  void deliver(Response response);
  void on_sent(bool close, boost::beast::error_code ec);
  // Answers a request that broke a limit, then closes.
  void refuse(http::status status, const std::string& why);
  // Closes after an answer that ends the connection, without a reset.
  void linger_then_close();
  // Reads and drops up to `budget` bytes into `scratch`, then closes.
  void drain_some(std::shared_ptr<std::array<char, 16384>> scratch, std::size_t budget);
  void close();

  using Timer =
      boost::asio::basic_waitable_timer<std::chrono::steady_clock,
                                        boost::asio::wait_traits<std::chrono::steady_clock>,
                                        boost::asio::io_context::executor_type>;
  Socket socket_;
  Timer watchdog_;
  Phase phase_ = Phase::kIdle;
  std::chrono::steady_clock::time_point deadline_;
  bool timed_out_ = false;  // the watchdog cancelled a request's read
  boost::beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Api::Admitted admitted_;  // where the request being read goes, once its header passed
  std::shared_ptr<DeferredAnswer> deferred_;  // the answer a request in kAwaitingStore waits for
  Response response_;  // kept while it is being written
  Api& api_;
  const ServerOptions& options_;
  Sessions& sessions_;
  std::uint64_t served_ = 0;  // answers sent on this connection
};

}  // namespace cctv::server

#endif  // CCTV_SERVER_SESSION_H_
