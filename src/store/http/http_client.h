// A small HTTP/1.1 client for the stores that live behind HTTP (DynamoDB's
// JSON API, a cctv server's): send a request, get status and body back,
// over plain TCP or TLS. Connections are kept alive and shared by every
// request, and many requests can be in flight at once.
//
// All I/O runs on one background thread (Boost.Asio; Beast parses the
// responses); callers block until their requests are answered. One thread
// suffices: the work per request is a few microseconds, and the waiting is
// the server's.
//
// TLS verifies the server's certificate and host name against the system's
// CA certificates, or those in the file AWS_CA_BUNDLE names. HTTP proxies
// are not supported.
//
// Thread-safe.
#ifndef CCTV_STORE_HTTP_HTTP_CLIENT_H_
#define CCTV_STORE_HTTP_HTTP_CLIENT_H_

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cctv::store {

struct HttpRequest {
  std::string method = "POST";       // GET, HEAD, POST, PUT, PATCH or DELETE
  std::string url;                   // http://host[:port]/path or https://...
  std::vector<std::string> headers;  // "Name: value"; Host is added if absent
  std::string_view body;             // owned by the caller until answered; sent when not
                                     // empty, or with POST, PUT or PATCH
};

struct HttpResponse {
  long status = 0;  // 0 when no response arrived
  std::string body;
  std::string retry_after;      // the Retry-After header, when there is one
  std::string transport_error;  // why no response arrived (refused, reset, timed out)
};

// RFC 3986 percent-encoding, uppercase hex: every byte but A-Z a-z 0-9
// - . _ ~ (and '/' with `keep_slash`), as SigV4 signs paths and queries
// and as a cctv server reads path segments and query values.
std::string percent_encoded(std::string_view text, bool keep_slash = false);

class HttpClient {
 public:
  // `request_timeout` bounds sending a request and receiving its answer;
  // connecting (and the TLS handshake) has its own 5 s limit.
  explicit HttpClient(std::chrono::milliseconds request_timeout = std::chrono::seconds(60));
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResponse perform(const HttpRequest& request);

  // Performs every request, at most `concurrency` at a time; responses[i]
  // answers requests[i]. Returns when all are answered or have failed.
  void perform_all(std::span<const HttpRequest> requests, std::span<HttpResponse> responses,
                   int concurrency);

 private:
  class Loop;
  std::unique_ptr<Loop> loop_;
};

}  // namespace cctv::store

#endif  // CCTV_STORE_HTTP_HTTP_CLIENT_H_
