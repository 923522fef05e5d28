#include "server/session.h"

#include <array>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/string.hpp>

#include "server/deferred_answer.h"
#include "server/framing.h"
#include "server/sessions.h"

namespace cctv::server {

namespace beast = boost::beast;
namespace net = boost::asio;

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kWatchInterval = std::chrono::seconds(1);

// A HEAD's answer: the header of the GET's, Content-Length included, and
// no body.
void strip_body(Response& response) {
  const std::size_t length = response.body().size();
  response.body().clear();
  response.content_length(length);
}
constexpr auto kFirstRequestWait = std::chrono::seconds(10);
constexpr std::uint64_t kDroppableBody = 64 * 1024;

}  // namespace

Session::Session(Socket&& socket, Api& api, const ServerOptions& options, Sessions& sessions)
    : socket_(std::move(socket)),
      watchdog_(socket_.get_executor()),
      // Bounded: the parser limits the header, and a string body grows
      // apart from it, but chunk-size lines and trailers would grow it
      // without end.
      buffer_(options.max_header_bytes + 64 * 1024),
      api_(api),
      options_(options),
      sessions_(sessions) {
  api_.metrics().connection_opened();
}

Session::~Session() {
  sessions_.remove(this);
  api_.metrics().connection_closed();
}

void Session::start() {
  // On the connection's thread, like everything after it.
  net::dispatch(socket_.get_executor(), [self = shared_from_this()] {
    self->watch();
    self->wait_for_request();
  });
}

void Session::watch() {
  watchdog_.expires_after(kWatchInterval);
  watchdog_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec || !self->socket_.is_open()) return;  // closed: let the session go
    if (self->phase_ != Phase::kHandling && Clock::now() >= self->deadline_) {
      if (self->phase_ == Phase::kAwaitingStore) {
        // The store did not confirm in time: the fallback answer comes
        // through deliver(), unless the real one is on its way.
        self->deferred_->expire();
        self->deadline_ = Clock::time_point::max();
      } else if (self->phase_ == Phase::kReading) {
        // A request that trickles in is owed a 408 (on_request sends it).
        self->timed_out_ = true;
        beast::error_code ignored;
        self->socket_.cancel(ignored);
      } else {
        self->close();  // idle too long, or a client that does not read its answer
        return;
      }
    }
    self->watch();
  });
}

void Session::refuse_connection() {
  net::dispatch(socket_.get_executor(), [self = shared_from_this()] {
    Response response =
        error_response(http::status::service_unavailable,
                       "too many connections are open (--max-connections " +
                           std::to_string(self->options_.max_connections) + "); try again shortly",
                       11, false);
    response.set(http::field::retry_after, "1");
    self->api_.metrics().record(ServerMetrics::kConnection, response.result_int(),
                                std::chrono::nanoseconds(0));
    self->send(std::move(response));
  });
}

void Session::stop_when_idle() {
  // Sessions::stopping() is set by now: a connection busy with a request
  // closes after answering it.
  net::post(socket_.get_executor(), [self = shared_from_this()] {
    if (self->phase_ == Phase::kIdle) self->close();
  });
}

void Session::expire_waiting() {
  net::post(socket_.get_executor(), [self = shared_from_this()] {
    if (self->phase_ == Phase::kAwaitingStore) self->deferred_->expire();
  });
}

void Session::wait_for_request() {
  if (sessions_.stopping()) {
    close();
    return;
  }
  if (buffer_.size() > 0) {  // the next request came with the last one
    read_header();
    return;
  }
  // Waiting for a request: the idle timeout (a new connection gets at
  // most kFirstRequestWait to send its first byte, so that connections
  // opened and left silent cannot hold the connection slots). The first
  // byte starts the request timeout.
  phase_ = Phase::kIdle;
  deadline_ = Clock::now() +
              (served_ == 0 ? std::min<Clock::duration>(options_.idle_timeout, kFirstRequestWait)
                            : Clock::duration(options_.idle_timeout));
  socket_.async_read_some(buffer_.prepare(4096),
                          [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                            // A stop may have closed the socket after these bytes arrived but
                            // before this ran: the request is then dropped unread, not handled
                            // with nowhere to send the answer.
                            if (ec || !self->socket_.is_open()) {
                              self->close();  // idle timeout, the client left, or a stop
                              return;
                            }
                            self->buffer_.commit(n);
                            self->read_header();
                          });
}

void Session::read_header() {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
  parser_->body_limit(options_.max_body_bytes);
  phase_ = Phase::kReading;
  deadline_ = Clock::now() + options_.request_timeout;
  timed_out_ = false;
  http::async_read_header(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
}

void Session::on_header(beast::error_code header_error) {
  if (header_error) {
    on_request(header_error);
    return;
  }
  const auto& request = parser_->get();
  if (auto fault = framing_fault(request.base())) {
    refuse(fault->status, fault->message);
    return;
  }
  // A request that will be refused whatever its body (no key, the wrong
  // scope, no such route or method) is answered before its body is read:
  // a client without a key cannot make the server hold megabytes.
  if (auto refusal = api_.check_header(request, admitted_)) {
    phase_ = Phase::kHandling;
    if (request.method() == http::verb::head) strip_body(*refusal);
    const auto length = parser_->content_length();
    const bool awaits_continue = beast::iequals(request[http::field::expect], "100-continue");
    if (!parser_->is_done() && !awaits_continue && length && *length <= kDroppableBody) {
      // A small body is read and dropped, so that the connection stays
      // usable after the refusal.
      auto held = std::make_shared<Response>(std::move(*refusal));
      phase_ = Phase::kReading;
      http::async_read(socket_, buffer_, *parser_,
                       [self = shared_from_this(), held](beast::error_code ec, std::size_t) {
                         if (ec) {
                           self->close();
                           return;
                         }
                         self->phase_ = Phase::kHandling;
                         self->send(std::move(*held));
                       });
      return;
    }
    // A larger one, or one its client holds back until told to continue,
    // stays unread and is not the next request: the connection ends with
    // the answer.
    if (!parser_->is_done()) refusal->keep_alive(false);
    send(std::move(*refusal));
    return;
  }
  // A client that asks before sending its body gets the go-ahead (a body
  // over the limit was refused with the header, before a byte of it).
  if (request.version() >= 11 && beast::iequals(request[http::field::expect], "100-continue")) {
    auto continue_response = std::make_shared<http::response<http::empty_body>>(
        http::status::continue_, request.version());
    http::async_write(
        socket_, *continue_response,
        [self = shared_from_this(), continue_response](beast::error_code write_error, std::size_t) {
          if (write_error) {
            self->close();
            return;
          }
          http::async_read(self->socket_, self->buffer_, *self->parser_,
                           [self](beast::error_code ec, std::size_t) { self->on_request(ec); });
        });
    return;
  }
  http::async_read(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_request(ec); });
}

void Session::on_request(beast::error_code ec) {
  if (ec && timed_out_) {
    refuse(http::status::request_timeout,
           "the request did not arrive whole within " +
               std::to_string(
                   std::chrono::duration_cast<std::chrono::seconds>(options_.request_timeout)
                       .count()) +
               " s (--request-timeout)");
    return;
  }
  if (ec == http::error::end_of_stream || ec == net::error::connection_reset ||
      ec == net::error::operation_aborted) {
    close();
    return;
  }
  if (ec == http::error::body_limit) {
    refuse(http::status::payload_too_large, "the body is over " +
                                                std::to_string(options_.max_body_bytes) +
                                                " bytes (--max-body-bytes); send fewer "
                                                "activities per request");
    return;
  }
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
    refuse(http::status::request_header_fields_too_large,
           "the request line and headers (or a chunked body's framing) are over " +
               std::to_string(options_.max_header_bytes) + " bytes (--max-header-bytes)");
    return;
  }
  if (ec) {
    refuse(http::status::bad_request, "malformed HTTP request: " + ec.message());
    return;
  }
  phase_ = Phase::kHandling;  // the handler's time is not the client's
  if (api_.may_defer(admitted_)) {
    // Posted to this connection's thread: the answer may come from a
    // writer thread. The session lives until it arrives (or the watchdog's
    // fallback does).
    deferred_ = std::make_shared<DeferredAnswer>([self = shared_from_this()](Response response) {
      net::post(self->socket_.get_executor(), [self, response = std::move(response)]() mutable {
        self->deliver(std::move(response));
      });
    });
  }
  std::optional<Response> response = api_.handle(parser_->get(), std::move(admitted_), deferred_);
  if (!response) {
    phase_ = Phase::kAwaitingStore;
    deadline_ = Clock::now() + options_.ack_timeout;
    return;
  }
  deferred_.reset();
  if (parser_->get().method() == http::verb::head) strip_body(*response);
  if (sessions_.stopping()) response->keep_alive(false);
  send(std::move(*response));
}

void Session::deliver(Response response) {
  // The connection may have been closed meanwhile (a stop past its drain
  // time): the answer has nowhere to go, and what it acknowledges stays
  // stored.
  if (phase_ != Phase::kAwaitingStore || !socket_.is_open()) return;
  deferred_.reset();
  if (sessions_.stopping()) response.keep_alive(false);
  send(std::move(response));
}

void Session::send(Response response) {
  ++served_;
  response_ = std::move(response);
  const bool close_after = !response_.keep_alive();
  phase_ = Phase::kWriting;
  deadline_ = Clock::now() + options_.request_timeout;
  http::async_write(socket_, response_,
                    [self = shared_from_this(), close_after](beast::error_code ec, std::size_t) {
                      self->on_sent(close_after, ec);
                    });
}

void Session::on_sent(bool close_after, beast::error_code ec) {
  if (ec) {
    close();
    return;
  }
  if (close_after) {
    linger_then_close();
    return;
  }
  response_ = {};
  wait_for_request();
}

void Session::refuse(http::status status, const std::string& why) {
  Response response = error_response(status, why, 11, false);
  api_.metrics().record(ServerMetrics::kConnection, response.result_int(),
                        std::chrono::nanoseconds(0));
  send(std::move(response));
}

void Session::linger_then_close() {
  // Closing with unread input makes the kernel send a reset, which can
  // destroy the answer before the client reads it (a 413 to a client still
  // sending its body). So: stop sending, drain what comes for a moment,
  // then close.
  beast::error_code ignored;
  socket_.shutdown(net::ip::tcp::socket::shutdown_send, ignored);
  phase_ = Phase::kLingering;
  deadline_ = Clock::now() + std::chrono::seconds(2);
  drain_some(std::make_shared<std::array<char, 16384>>(), std::size_t{64} << 20);
}

void Session::drain_some(std::shared_ptr<std::array<char, 16384>> scratch, std::size_t budget) {
  socket_.async_read_some(net::buffer(*scratch), [self = shared_from_this(), scratch, budget](
                                                     beast::error_code ec, std::size_t n) {
    if (ec || n >= budget) {
      self->close();
      return;
    }
    self->drain_some(scratch, budget - n);
  });
}

void Session::close() {
  beast::error_code ignored;
  socket_.shutdown(net::ip::tcp::socket::shutdown_send, ignored);
  socket_.close(ignored);
  watchdog_.cancel();
}

}  // namespace cctv::server
