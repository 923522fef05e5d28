// A plain HTTP/1.1 client over a loopback socket, for testing `cctv
// serve`: one keep-alive connection, requests answered in order; and raw
// bytes for tests of malformed and slow requests.
#ifndef CCTV_TESTS_SUPPORT_HTTP_H_
#define CCTV_TESTS_SUPPORT_HTTP_H_

#include <chrono>
#include <map>
#include <memory>
#include <string>

namespace cctv::testing {

struct HttpReply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-case
  bool keep_alive = true;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

class HttpConnection {
 public:
  // Connects to 127.0.0.1:port. Throws std::runtime_error when it cannot.
  explicit HttpConnection(int port);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sends a request and reads its response. `headers` are "Name: value"
  // pairs. Throws std::runtime_error on a socket error or a closed
  // connection.
  HttpReply request(const std::string& method, const std::string& target, const std::string& body = "",
                    const std::map<std::string, std::string>& headers = {});

  // Raw access: writes `bytes` as they are.
  void send_raw(const std::string& bytes);
  // Reads one response (after send_raw), or throws if the server closes
  // first or nothing comes within `timeout`.
  HttpReply read_reply(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Reads the answer to a HEAD request: a header, no body whatever its
  // Content-Length says.
  HttpReply read_head_reply(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // True when the server closed the connection within `timeout` (reading
  // and dropping anything it sent first).
  bool closed_within(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One request on a fresh connection.
HttpReply http_request(int port, const std::string& method, const std::string& target, const std::string& body = "",
                       const std::map<std::string, std::string>& headers = {});

}  // namespace cctv::testing

#endif  // CCTV_TESTS_SUPPORT_HTTP_H_
