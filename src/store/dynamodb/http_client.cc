#include "store/dynamodb/http_client.h"

#include <curl/curl.h>

#include <mutex>
#include <stdexcept>

namespace cctv::store::dynamodb {

namespace {

std::once_flag g_curl_init;

std::size_t append_body(char* data, std::size_t size, std::size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

void lock_share(CURL* /*handle*/, curl_lock_data data, curl_lock_access /*access*/, void* user) {
  static_cast<std::mutex*>(user)[static_cast<int>(data) % 8].lock();
}

void unlock_share(CURL* /*handle*/, curl_lock_data data, void* user) {
  static_cast<std::mutex*>(user)[static_cast<int>(data) % 8].unlock();
}

}  // namespace

// What one request needs while curl works on it.
struct HttpClient::Transfer {
  curl_slist* headers = nullptr;
  HttpResponse* response = nullptr;
  char error[CURL_ERROR_SIZE] = {};
  ~Transfer() { curl_slist_free_all(headers); }
};

HttpClient::HttpClient(std::chrono::milliseconds request_timeout) : timeout_(request_timeout) {
  std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  share_ = curl_share_init();
  if (share_ == nullptr) throw std::runtime_error("curl_share_init failed");
  curl_share_setopt(share_, CURLSHOPT_LOCKFUNC, lock_share);
  curl_share_setopt(share_, CURLSHOPT_UNLOCKFUNC, unlock_share);
  curl_share_setopt(share_, CURLSHOPT_USERDATA, share_mu_);
  curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
  curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
}

HttpClient::~HttpClient() {
  for (CURL* easy : pool_) curl_easy_cleanup(easy);
  curl_share_cleanup(share_);
}

CURL* HttpClient::acquire() {
  {
    std::lock_guard lock(pool_mu_);
    if (!pool_.empty()) {
      CURL* easy = pool_.back();
      pool_.pop_back();
      return easy;
    }
  }
  CURL* easy = curl_easy_init();
  if (easy == nullptr) throw std::runtime_error("curl_easy_init failed");
  // Options that never change are set once per handle, not per request.
  curl_easy_setopt(easy, CURLOPT_SHARE, share_);
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(easy, CURLOPT_POST, 1L);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
  return easy;
}

void HttpClient::release(CURL* easy) {
  std::lock_guard lock(pool_mu_);
  pool_.push_back(easy);
}

void HttpClient::prepare(CURL* easy, const HttpRequest& request, Transfer& transfer) {
  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data());
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  for (const auto& header : request.headers) {
    transfer.headers = curl_slist_append(transfer.headers, header.c_str());
  }
  // No "Expect: 100-continue" round trip before larger bodies.
  transfer.headers = curl_slist_append(transfer.headers, "Expect:");
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer.headers);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer.response->body);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer.error);
  curl_easy_setopt(easy, CURLOPT_PRIVATE, &transfer);
}

namespace {

void finish(CURL* easy, CURLcode code, HttpResponse& response, const char* error) {
  if (code == CURLE_OK) {
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &response.status);
    return;
  }
  response.status = 0;
  response.transport_error = error[0] != '\0' ? error : curl_easy_strerror(code);
}

}  // namespace

HttpResponse HttpClient::perform(const HttpRequest& request) {
  HttpResponse response;
  Transfer transfer;
  transfer.response = &response;
  CURL* easy = acquire();
  prepare(easy, request, transfer);
  finish(easy, curl_easy_perform(easy), response, transfer.error);
  // The header list dies with `transfer`: unhook it before the handle is reused.
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, nullptr);
  release(easy);
  return response;
}

void HttpClient::perform_all(std::span<const HttpRequest> requests, std::span<HttpResponse> responses,
                             int concurrency) {
  CURLM* multi = curl_multi_init();
  if (multi == nullptr) throw std::runtime_error("curl_multi_init failed");
  std::vector<Transfer> transfers(requests.size());
  std::size_t next = 0;
  int running = 0;
  auto start_next = [&] {
    Transfer& t = transfers[next];
    responses[next] = HttpResponse{};
    t.response = &responses[next];
    CURL* easy = acquire();
    prepare(easy, requests[next], t);
    curl_multi_add_handle(multi, easy);
    ++next;
    ++running;
  };
  while (next < requests.size() && running < concurrency) start_next();
  while (running > 0) {
    int still = 0;
    curl_multi_perform(multi, &still);
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
      if (msg->msg != CURLMSG_DONE) continue;
      CURL* easy = msg->easy_handle;
      Transfer* t = nullptr;
      curl_easy_getinfo(easy, CURLINFO_PRIVATE, &t);
      finish(easy, msg->data.result, *t->response, t->error);
      curl_multi_remove_handle(multi, easy);
      curl_easy_setopt(easy, CURLOPT_HTTPHEADER, nullptr);
      release(easy);
      --running;
      if (next < requests.size()) start_next();
    }
    if (running > 0) curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
  }
  curl_multi_cleanup(multi);
}

}  // namespace cctv::store::dynamodb
