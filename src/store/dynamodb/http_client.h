// A small HTTP/1.1 client on libcurl for DynamoDB's JSON API: POST a body,
// get status and body back. Connections (and TLS sessions) are kept and
// shared by every request, and many requests can be in flight at once.
//
// Thread-safe.
#ifndef CCTV_STORE_DYNAMODB_HTTP_CLIENT_H_
#define CCTV_STORE_DYNAMODB_HTTP_CLIENT_H_

#include <chrono>
#include <mutex>
#include <span>
#include <string>
#include <vector>

typedef void CURL;                     // NOLINT: matches curl.h
typedef void CURLSH;                   // NOLINT

namespace cctv::store::dynamodb {

struct HttpRequest {
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string_view body;             // sent with POST; owned by the caller until answered
};

struct HttpResponse {
  long status = 0;              // 0 when no response arrived
  std::string body;
  std::string transport_error;  // why no response arrived (refused, reset, timed out)
};

class HttpClient {
 public:
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
  struct Transfer;
  // An easy handle with the options every request shares already set.
  CURL* acquire();
  void release(CURL* easy);
  void prepare(CURL* easy, const HttpRequest& request, Transfer& transfer);

  const std::chrono::milliseconds timeout_;
  CURLSH* share_;
  std::mutex share_mu_[8];  // one per curl_lock_data kind the share uses
  std::mutex pool_mu_;
  std::vector<CURL*> pool_;  // idle easy handles
};

}  // namespace cctv::store::dynamodb

#endif  // CCTV_STORE_DYNAMODB_HTTP_CLIENT_H_
