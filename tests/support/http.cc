#include "support/http.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <csignal>
#include <stdexcept>

namespace cctv::testing {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

struct HttpConnection::Impl {
  net::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;

  HttpReply read(std::chrono::milliseconds timeout, bool head = false) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::size_t{1} << 30);
    parser.skip(head);
    beast::error_code ec;
    stream.expires_after(timeout);
    bool done = false;
    http::async_read(stream, buffer, parser, [&](beast::error_code e, std::size_t) {
      ec = e;
      done = true;
    });
    io.restart();
    while (!done && io.run_one() > 0) {
    }
    if (ec) throw std::runtime_error("reading a response: " + ec.message());
    HttpReply reply;
    const auto& response = parser.get();
    reply.status = response.result_int();
    reply.body = response.body();
    reply.keep_alive = response.keep_alive();
    for (const auto& field : response) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      reply.headers[name] = std::string(field.value());
    }
    return reply;
  }
};

HttpConnection::HttpConnection(int port) : impl_(std::make_unique<Impl>()) {
  // A server that closes a connection mid-request must fail the write,
  // not kill the test.
  std::signal(SIGPIPE, SIG_IGN);
  beast::error_code ec;
  impl_->stream.socket().connect(
      net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)),
      ec);
  if (ec)
    throw std::runtime_error("connecting to 127.0.0.1:" + std::to_string(port) + ": " +
                             ec.message());
}

HttpConnection::~HttpConnection() = default;

HttpReply HttpConnection::request(const std::string& method, const std::string& target,
                                  const std::string& body,
                                  const std::map<std::string, std::string>& headers) {
  http::request<http::string_body> request(http::string_to_verb(method), target, 11);
  request.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = body;
  request.prepare_payload();
  beast::error_code ec;
  http::write(impl_->stream.socket(), request, ec);
  if (ec) throw std::runtime_error("writing a request: " + ec.message());
  return impl_->read(std::chrono::seconds(60));
}

void HttpConnection::send_raw(const std::string& bytes) {
  beast::error_code ec;
  net::write(impl_->stream.socket(), net::buffer(bytes), ec);
  if (ec) throw std::runtime_error("writing: " + ec.message());
}

HttpReply HttpConnection::read_reply(std::chrono::milliseconds timeout) {
  return impl_->read(timeout);
}

HttpReply HttpConnection::read_head_reply(std::chrono::milliseconds timeout) {
  return impl_->read(timeout, true);
}

bool HttpConnection::closed_within(std::chrono::milliseconds timeout) {
  // Reads (and drops) until the server closes (true) or the time is up (false).
  char buf[4096];
  impl_->stream.expires_after(timeout);
  while (true) {
    beast::error_code ec;
    bool done = false;
    impl_->stream.async_read_some(net::buffer(buf), [&](beast::error_code e, std::size_t) {
      ec = e;
      done = true;
    });
    impl_->io.restart();
    while (!done && impl_->io.run_one() > 0) {
    }
    if (ec) return ec != beast::error::timeout;
  }
}

HttpReply http_request(int port, const std::string& method, const std::string& target,
                       const std::string& body, const std::map<std::string, std::string>& headers) {
  HttpConnection connection(port);
  return connection.request(method, target, body, headers);
}

}  // namespace cctv::testing
