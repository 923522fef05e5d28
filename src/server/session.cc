#include "server/session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "server/sessions.h"

namespace cctv::server {

namespace beast = boost::beast;
namespace net = boost::asio;

Session::Session(net::ip::tcp::socket&& socket, Api& api, const ServerOptions& options, Sessions& sessions)
    : stream_(std::move(socket)),
      request_timer_(stream_.get_executor()),
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
  // On the connection's strand, like everything after it.
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->wait_for_request(); });
}

void Session::refuse_connection() {
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    Response response = error_response(http::status::service_unavailable,
                                        "too many connections are open (--max-connections " +
                                            std::to_string(self->options_.max_connections) + "); try again shortly",
                                        11, false);
    response.set(http::field::retry_after, "1");
    self->api_.metrics().record(ServerMetrics::kConnection, response.result_int(), std::chrono::nanoseconds(0));
    self->send(std::move(response));
  });
}

void Session::stop_when_idle() {
  net::post(stream_.get_executor(), [self = shared_from_this()] {
    self->stopping_ = true;
    if (self->idle_) self->close();
  });
}

void Session::wait_for_request() {
  if (stopping_ || sessions_.stopping()) {
    close();
    return;
  }
  if (buffer_.size() > 0) {  // the next request came with the last one
    read_header();
    return;
  }
  // Waiting for a request: the idle timeout. Its first byte starts the
  // request timeout.
  idle_ = true;
  stream_.expires_after(options_.idle_timeout);
  stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
    self->idle_ = false;
    // A stop may have closed the socket after these bytes arrived but
    // before this ran: the request is then dropped unread, not handled
    // with nowhere to send the answer.
    if (ec || !self->stream_.socket().is_open()) {
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
  stream_.expires_never();
  timed_out_ = false;
  request_timer_.expires_after(options_.request_timeout);
  request_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec) return;  // cancelled: the request arrived
    self->timed_out_ = true;
    beast::error_code ignored;
    self->stream_.socket().cancel(ignored);
  });
  http::async_read_header(stream_, buffer_, *parser_,
                          [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
}

void Session::on_header(beast::error_code header_error) {
  if (header_error) {
    on_request(header_error);
    return;
  }
  // A client that asks before sending its body gets the go-ahead (or the
  // refusal, for a body over the limit, before it sends a byte of it).
  const auto& request = parser_->get();
  if (beast::iequals(request[http::field::expect], "100-continue")) {
    if (parser_->content_length() && *parser_->content_length() > options_.max_body_bytes) {
      on_request(http::error::body_limit);
      return;
    }
    auto continue_response = std::make_shared<http::response<http::empty_body>>(http::status::continue_, request.version());
    http::async_write(stream_, *continue_response,
                      [self = shared_from_this(), continue_response](beast::error_code write_error, std::size_t) {
                        if (write_error) {
                          self->close();
                          return;
                        }
                        http::async_read(self->stream_, self->buffer_, *self->parser_,
                                         [self](beast::error_code ec, std::size_t) { self->on_request(ec); });
                      });
    return;
  }
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_request(ec); });
}

void Session::on_request(beast::error_code ec) {
  request_timer_.cancel();
  if (ec && timed_out_) {
    refuse(http::status::request_timeout,
           "the request did not arrive whole within " +
               std::to_string(std::chrono::duration_cast<std::chrono::seconds>(options_.request_timeout).count()) +
               " s (--request-timeout)");
    return;
  }
  if (ec == http::error::end_of_stream || ec == net::error::connection_reset || ec == net::error::operation_aborted) {
    close();
    return;
  }
  if (ec == http::error::body_limit) {
    refuse(http::status::payload_too_large,
           "the body is over " + std::to_string(options_.max_body_bytes) + " bytes (--max-body-bytes); send fewer "
           "activities per request");
    return;
  }
  if (ec == http::error::header_limit) {
    refuse(http::status::request_header_fields_too_large,
           "the request line and headers are over " + std::to_string(options_.max_header_bytes) +
               " bytes (--max-header-bytes)");
    return;
  }
  if (ec) {
    refuse(http::status::bad_request, "malformed HTTP request: " + ec.message());
    return;
  }
  stream_.expires_never();  // the handler's time is not the client's
  Response response = api_.handle(parser_->get());
  if (stopping_ || sessions_.stopping()) response.keep_alive(false);
  send(std::move(response));
}

void Session::send(Response response) {
  response_ = std::move(response);
  const bool close_after = !response_.keep_alive();
  stream_.expires_after(options_.request_timeout);
  http::async_write(stream_, response_, [self = shared_from_this(), close_after](beast::error_code ec, std::size_t) {
    self->on_sent(close_after, ec);
  });
}

void Session::on_sent(bool close_after, beast::error_code ec) {
  if (ec || close_after) {
    close();
    return;
  }
  response_ = {};
  wait_for_request();
}

void Session::refuse(http::status status, const std::string& why) {
  Response response = error_response(status, why, 11, false);
  api_.metrics().record(ServerMetrics::kConnection, response.result_int(), std::chrono::nanoseconds(0));
  send(std::move(response));
}

void Session::close() {
  beast::error_code ignored;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
  stream_.socket().close(ignored);
}

}  // namespace cctv::server
