#include "store/http/http_client.h"

#include <openssl/ssl.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cstdlib>
#include <future>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>

namespace cctv::store {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

namespace {

constexpr auto kConnectTimeout = std::chrono::seconds(5);
// Servers close idle connections (DynamoDB after about a minute); one kept
// longer than this is closed rather than tried.
constexpr auto kMaxIdle = std::chrono::seconds(50);
constexpr std::size_t kMaxIdlePerOrigin = 64;
// DynamoDB's largest responses (BatchGetItem, Query pages) stay well under this.
constexpr std::uint64_t kMaxResponseBody = std::uint64_t{64} << 20;

// Where a request goes: scheme, host and port, and the path to ask for.
struct Origin {
  bool tls = false;
  std::string host;  // without brackets for IPv6
  std::string port;
  std::string target;  // path and query, at least "/"
  std::string key;     // "https://host:port", names the connection pool
};

// Parses http[s]://host[:port][/path]. Returns an error message, or "".
std::string parse_url(std::string_view url, Origin& out) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return "URL '" + std::string(url) + "' has no scheme";
  const std::string_view scheme = url.substr(0, scheme_end);
  if (scheme == "https") {
    out.tls = true;
  } else if (scheme != "http") {
    return "URL '" + std::string(url) + "' is neither http nor https";
  }
  std::string_view rest = url.substr(scheme_end + 3);
  const auto path_start = rest.find('/');
  std::string_view authority = rest.substr(0, path_start);
  out.target = path_start == std::string_view::npos ? "/" : std::string(rest.substr(path_start));
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {  // [IPv6]:port
    const auto close = authority.find(']');
    if (close == std::string_view::npos)
      return "URL '" + std::string(url) + "' has an unclosed '['";
    out.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size() && authority[close + 1] == ':')
      port = authority.substr(close + 2);
  } else {
    const auto colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return "URL '" + std::string(url) + "' has no host";
  out.port = port.empty() ? (out.tls ? "443" : "80") : std::string(port);
  out.key = std::string(scheme) + "://" + out.host + ":" + out.port;
  return "";
}

bool has_host_header(const std::vector<std::string>& headers) {
  for (const auto& h : headers) {
    if (h.size() > 5 && (h[0] == 'h' || h[0] == 'H') && (h[1] == 'o' || h[1] == 'O') &&
        (h[2] == 's' || h[2] == 'S') && (h[3] == 't' || h[3] == 'T') && h[4] == ':') {
      return true;
    }
  }
  return false;
}

// The request line and headers, ready to send before the body.
std::string request_head(const HttpRequest& request, const Origin& origin) {
  std::string head;
  head.reserve(256 + request.headers.size() * 64);
  head.append(request.method).append(" ").append(origin.target).append(" HTTP/1.1\r\n");
  if (!has_host_header(request.headers)) {
    head.append("Host: ").append(origin.host).append(":").append(origin.port).append("\r\n");
  }
  for (const auto& header : request.headers) head.append(header).append("\r\n");
  const bool has_body = !request.body.empty() || request.method == "POST" ||
                        request.method == "PUT" || request.method == "PATCH";
  if (has_body) {
    head.append("Content-Length: ").append(std::to_string(request.body.size())).append("\r\n");
  }
  head.append("\r\n");
  return head;
}

// A kept-alive connection to one origin, plain or TLS.
struct Connection {
  Connection(asio::io_context& io, ssl::context* tls) {
    if (tls != nullptr) {
      secure = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(io, *tls);
    } else {
      plain = std::make_unique<beast::tcp_stream>(io);
    }
  }
  beast::tcp_stream& tcp() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
  // Calls f with the stream requests are written to and read from.
  template <class F>
  void with_stream(F&& f) {
    if (secure) {
      f(*secure);
    } else {
      f(*plain);
    }
  }

  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  std::chrono::steady_clock::time_point idle_since;
};

// One request on its way: which connection carries it, what came back.
struct Exchange {
  const HttpRequest* request = nullptr;
  HttpResponse* response = nullptr;
  Origin origin;
  std::string head;
  std::unique_ptr<Connection> connection;
  bool reused = false;  // the connection carried an earlier request
  bool resent = false;  // already sent again after a kept connection failed
  std::optional<http::response_parser<http::string_body>> parser;
};

// The requests of one perform_all call. Lives on the caller's stack; the
// caller waits on `finished`.
struct Batch {
  std::vector<Exchange> exchanges;
  std::size_t next = 0;
  int running = 0;
  int concurrency = 1;
  std::promise<void> finished;
};

}  // namespace

// The I/O thread, its connection pool and the request state machine:
// connect (and TLS handshake) when no kept connection is idle, write the
// request, read the response, keep the connection if the server allows.
class HttpClient::Loop {
 public:
  explicit Loop(std::chrono::milliseconds timeout)
      : timeout_(timeout),
        work_(asio::make_work_guard(io_)),
        resolver_(io_),
        tls_(ssl::context::tls_client) {
    tls_.set_verify_mode(ssl::verify_peer);
    boost::system::error_code ec;
    if (const char* bundle = std::getenv("AWS_CA_BUNDLE"); bundle != nullptr && *bundle != '\0') {
      tls_.load_verify_file(bundle, ec);
      if (ec) {
        tls_error_ = std::string("cannot load the CA certificates in AWS_CA_BUNDLE (") + bundle +
                     "): " + ec.message();
      }
    } else {
      tls_.set_default_verify_paths(ec);
      if (ec) tls_error_ = "cannot load the system's CA certificates: " + ec.message();
    }
    thread_ = std::thread([this] { io_.run(); });
  }

  ~Loop() {
    asio::post(io_, [this] { idle_.clear(); });
    work_.reset();
    thread_.join();
  }

  void perform_all(std::span<const HttpRequest> requests, std::span<HttpResponse> responses,
                   int concurrency) {
    Batch batch;
    batch.concurrency = std::max(1, concurrency);
    batch.exchanges = std::vector<Exchange>(requests.size());
    std::size_t valid = 0;
    for (std::size_t i = 0; i < requests.size(); ++i) {
      Exchange& ex = batch.exchanges[i];
      ex.request = &requests[i];
      ex.response = &responses[i];
      *ex.response = HttpResponse{};
      if (std::string bad = parse_url(requests[i].url, ex.origin); !bad.empty()) {
        ex.response->transport_error = bad;
        ex.request = nullptr;  // nothing to send
        continue;
      }
      ex.head = request_head(requests[i], ex.origin);
      ++valid;
    }
    if (valid == 0) return;
    std::future<void> finished = batch.finished.get_future();
    asio::post(io_, [this, &batch] { launch(batch); });
    finished.wait();
  }

 private:
  using Clock = std::chrono::steady_clock;

  // Starts exchanges until `concurrency` are running or none is left.
  void launch(Batch& batch) {
    while (batch.running < batch.concurrency && batch.next < batch.exchanges.size()) {
      Exchange& ex = batch.exchanges[batch.next++];
      if (ex.request == nullptr) continue;
      ++batch.running;
      start(batch, ex);
    }
    if (batch.running == 0) batch.finished.set_value();  // the last use of `batch`
  }

  void done(Batch& batch, Exchange& ex) {
    ex.parser.reset();
    ex.connection.reset();
    --batch.running;
    launch(batch);
  }

  void start(Batch& batch, Exchange& ex) {
    ex.connection = take_idle(ex.origin.key);
    if (ex.connection) {
      ex.reused = true;
      send(batch, ex);
    } else {
      connect(batch, ex);
    }
  }

  void connect(Batch& batch, Exchange& ex) {
    ex.reused = false;
    if (ex.origin.tls && !tls_error_.empty()) {
      // Not inline: start() runs inside launch(), which must not re-enter.
      return asio::post(io_, [this, &batch, &ex] { fail(batch, ex, tls_error_); });
    }
    ex.connection = std::make_unique<Connection>(io_, ex.origin.tls ? &tls_ : nullptr);
    resolver_.async_resolve(
        ex.origin.host, ex.origin.port,
        [this, &batch, &ex](const boost::system::error_code& ec,
                            const tcp::resolver::results_type& found) {
          if (ec) return fail(batch, ex, "cannot resolve " + ex.origin.host + ": " + ec.message());
          connect_to(batch, ex, found);
        });
  }

  void connect_to(Batch& batch, Exchange& ex, const tcp::resolver::results_type& found) {
    ex.connection->tcp().expires_after(kConnectTimeout);
    ex.connection->tcp().async_connect(
        found, [this, &batch, &ex](const boost::system::error_code& ec, const tcp::endpoint&) {
          if (ec) {
            return fail(batch, ex,
                        "cannot connect to " + ex.origin.host + ":" + ex.origin.port + ": " +
                            (ec == beast::error::timeout ? "timed out" : ec.message()));
          }
          if (!ex.origin.tls) return send(batch, ex);
          handshake(batch, ex);
        });
  }

  void handshake(Batch& batch, Exchange& ex) {
    auto& stream = *ex.connection->secure;
    // Server Name Indication, and the certificate must name the host.
    SSL_set_tlsext_host_name(stream.native_handle(), ex.origin.host.c_str());
    boost::system::error_code setup;
    stream.set_verify_callback(ssl::host_name_verification(ex.origin.host), setup);
    if (setup) return fail(batch, ex, "TLS setup failed: " + setup.message());
    stream.async_handshake(ssl::stream_base::client, [this, &batch,
                                                      &ex](const boost::system::error_code& ec) {
      if (ec) {
        return fail(batch, ex,
                    "TLS handshake with " + ex.origin.host +
                        " failed: " + (ec == beast::error::timeout ? "timed out" : ec.message()));
      }
      send(batch, ex);
    });
  }

  void send(Batch& batch, Exchange& ex) {
    ex.connection->tcp().expires_after(timeout_);
    const std::array<asio::const_buffer, 2> buffers{
        asio::buffer(ex.head), asio::buffer(ex.request->body.data(), ex.request->body.size())};
    ex.connection->with_stream([&](auto& stream) {
      asio::async_write(stream, buffers,
                        [this, &batch, &ex](const boost::system::error_code& ec, std::size_t) {
                          if (ec) return failed_exchange(batch, ex, ec);
                          receive(batch, ex);
                        });
    });
  }

  void receive(Batch& batch, Exchange& ex) {
    ex.parser.emplace();
    ex.parser->body_limit(kMaxResponseBody);
    ex.parser->skip(ex.request->method == "HEAD");  // its answer has no body
    ex.connection->with_stream([&](auto& stream) {
      http::async_read(stream, ex.connection->buffer, *ex.parser,
                       [this, &batch, &ex](const boost::system::error_code& ec, std::size_t) {
                         if (ec) return failed_exchange(batch, ex, ec);
                         complete(batch, ex);
                       });
    });
  }

  void complete(Batch& batch, Exchange& ex) {
    auto& message = ex.parser->get();
    ex.response->status = message.result_int();
    ex.response->body = std::move(message.body());
    if (const auto it = message.find(http::field::retry_after); it != message.end())
      ex.response->retry_after = std::string(it->value());
    if (message.keep_alive() && ex.connection->buffer.size() == 0)
      put_idle(ex.origin.key, std::move(ex.connection));
    done(batch, ex);
  }

  // The request could not be sent or its answer not read.
  void failed_exchange(Batch& batch, Exchange& ex, const boost::system::error_code& ec) {
    const bool answered = ex.parser && ex.parser->got_some();
    // A kept connection the server closed while it sat idle fails at once,
    // before any answer: send once more on a new connection. (DynamoDB's
    // writes are idempotent -- an item is put under its key -- so a request
    // that did arrive and is sent again is stored once.)
    if (ex.reused && !ex.resent && !answered && ec != beast::error::timeout) {
      ex.resent = true;
      ex.parser.reset();
      return connect(batch, ex);
    }
    std::string what;
    if (ec == beast::error::timeout) {
      what = "no response within " + std::to_string(timeout_.count()) + " ms";
    } else if (ec == http::error::end_of_stream || ec == asio::error::eof) {
      what = "the server closed the connection without answering";
    } else {
      what =
          (answered ? "reading the response failed: " : "the connection failed: ") + ec.message();
    }
    fail(batch, ex, what);
  }

  void fail(Batch& batch, Exchange& ex, std::string what) {
    ex.response->status = 0;
    ex.response->body.clear();
    ex.response->transport_error = std::move(what);
    done(batch, ex);
  }

  std::unique_ptr<Connection> take_idle(const std::string& origin) {
    auto it = idle_.find(origin);
    if (it == idle_.end()) return nullptr;
    auto& pool = it->second;
    const auto now = Clock::now();
    while (!pool.empty()) {
      std::unique_ptr<Connection> c = std::move(pool.back());
      pool.pop_back();
      if (now - c->idle_since < kMaxIdle) return c;
    }
    return nullptr;
  }

  void put_idle(const std::string& origin, std::unique_ptr<Connection> c) {
    auto& pool = idle_[origin];
    if (pool.size() >= kMaxIdlePerOrigin) return;
    c->tcp().expires_never();
    c->idle_since = Clock::now();
    pool.push_back(std::move(c));
  }

  const std::chrono::milliseconds timeout_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  tcp::resolver resolver_;
  ssl::context tls_;
  std::string tls_error_;  // why TLS cannot be used, when it cannot
  std::unordered_map<std::string, std::vector<std::unique_ptr<Connection>>>
      idle_;  // I/O thread only
  std::thread thread_;
};

HttpClient::HttpClient(std::chrono::milliseconds request_timeout)
    : loop_(std::make_unique<Loop>(request_timeout)) {}

HttpClient::~HttpClient() = default;

HttpResponse HttpClient::perform(const HttpRequest& request) {
  HttpResponse response;
  loop_->perform_all(std::span<const HttpRequest>(&request, 1),
                     std::span<HttpResponse>(&response, 1), 1);
  return response;
}

void HttpClient::perform_all(std::span<const HttpRequest> requests,
                             std::span<HttpResponse> responses, int concurrency) {
  loop_->perform_all(requests, responses, concurrency);
}

std::string percent_encoded(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '-' ||
        u == '.' || u == '_' || u == '~' || (keep_slash && u == '/')) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

}  // namespace cctv::store
