// The DynamoDB client's HTTP layer against real servers on loopback: kept
// connections the server has closed, requests that get no answer, refused
// connections, and TLS with certificate and host-name checks.
#include "store/http/http_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "cctv/cctv.h"
#include "support/server_process.h"

namespace cctv {
namespace {

using store::HttpClient;
using store::HttpRequest;
using store::HttpResponse;

// Self-signed certificates (valid until 2126): one for IP 127.0.0.1, one
// for another name, with their keys.
const std::string kCert = CCTV_TEST_DATA "/tls/loopback-cert.pem";
const std::string kKey = CCTV_TEST_DATA "/tls/loopback-key.pem";
const std::string kOtherCert = CCTV_TEST_DATA "/tls/other-name-cert.pem";
const std::string kOtherKey = CCTV_TEST_DATA "/tls/other-name-key.pem";

HttpRequest stats_request(const std::string& base) {
  HttpRequest request;
  request.url = base + "/__stats";
  return request;
}

// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) { setenv(name, value.c_str(), 1); }
  ~ScopedEnv() { unsetenv(name_); }

 private:
  const char* name_;
};

TEST(HttpClient, ConnectionsTheServerClosedWhileIdleAreReplacedTransparently) {
  testing::Dynalite dynalite;
  testing::FaultProxy proxy(dynalite.port(), {"--keep-alive-ms", "100"});
  HttpClient http;
  std::vector<HttpRequest> requests(8, stats_request(proxy.url()));
  std::vector<HttpResponse> responses(requests.size());
  for (int round = 0; round < 2; ++round) {
    http.perform_all(requests, responses, 8);  // leaves 8 kept connections
    for (const auto& r : responses) {
      ASSERT_EQ(r.status, 200) << "round " << round << ": " << r.transport_error;
      EXPECT_NE(r.body.find("\"requests\""), std::string::npos);
    }
    // The proxy closes them after 100 ms (Node's timer fires within about
    // a second); the next round finds them dead.
    std::this_thread::sleep_for(std::chrono::milliseconds(1600));
  }
}

TEST(HttpClient, ARequestWithoutAnswerTimesOut) {
  testing::Dynalite dynalite;
  testing::FaultProxy proxy(dynalite.port(), {"--stall", "1"});
  HttpClient http(std::chrono::milliseconds(300));
  HttpRequest request;
  request.url = proxy.url() + "/";
  request.body = "{}";
  const auto start = std::chrono::steady_clock::now();
  const HttpResponse r = http.perform(request);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.transport_error, "no response within 300 ms");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(HttpClient, ARefusedConnectionSaysWhere) {
  // A port nobody listens on: bound, then closed.
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  close(s);

  HttpClient http;
  const HttpResponse r = http.perform(stats_request("http://127.0.0.1:" + std::to_string(port)));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.transport_error, "cannot connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused");
}

TEST(HttpClient, TlsChecksTheCertificateAgainstTheCaBundle) {
  testing::Dynalite dynalite;
  testing::FaultProxy proxy(dynalite.port(), {"--tls-cert", kCert, "--tls-key", kKey});
  const std::string https = "https://127.0.0.1:" + std::to_string(proxy.port());
  {
    ScopedEnv bundle("AWS_CA_BUNDLE", kCert);
    HttpClient http;
    const HttpResponse r = http.perform(stats_request(https));
    EXPECT_EQ(r.status, 200) << r.transport_error;
  }
  {
    // The system's CAs do not know the self-signed certificate.
    HttpClient http;
    const HttpResponse r = http.perform(stats_request(https));
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.transport_error.find("TLS handshake with 127.0.0.1 failed: certificate verify failed"),
              std::string::npos)
        << r.transport_error;
  }
  {
    ScopedEnv bundle("AWS_CA_BUNDLE", "/nonexistent/ca.pem");
    HttpClient http;
    const HttpResponse r = http.perform(stats_request(https));
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.transport_error.find("cannot load the CA certificates in AWS_CA_BUNDLE (/nonexistent/ca.pem)"),
              std::string::npos)
        << r.transport_error;
  }
}

TEST(HttpClient, TlsChecksTheHostName) {
  // A trusted certificate that names another host.
  testing::Dynalite dynalite;
  testing::FaultProxy proxy(dynalite.port(), {"--tls-cert", kOtherCert, "--tls-key", kOtherKey});
  ScopedEnv bundle("AWS_CA_BUNDLE", kOtherCert);
  HttpClient http;
  const HttpResponse r = http.perform(stats_request("https://127.0.0.1:" + std::to_string(proxy.port())));
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.transport_error.find("TLS handshake with 127.0.0.1 failed: certificate verify failed"),
            std::string::npos)
      << r.transport_error;
}

TEST(HttpClient, ActivitiesRoundTripThroughDynamoOverTls) {
  testing::Dynalite dynalite;
  testing::FaultProxy proxy(dynalite.port(), {"--tls-cert", kCert, "--tls-key", kKey});
  ScopedEnv bundle("AWS_CA_BUNDLE", kCert);
  Client client = Client::open("dynamodb://local?endpoint=https://127.0.0.1:" + std::to_string(proxy.port()));
  Tracker t = client.tracker("events");
  const Timestamp t0 = parse_time("2026-11-01T10:00:00Z");
  for (int i = 0; i < 500; ++i) t.record_activity("user" + std::to_string(i % 7), "/page", {{"i", i}}, t0 + std::chrono::seconds(i));
  t.flush();
  ViewOptions options;
  options.limit = 1000;
  const Page page = t.view_activity("/page", {}, options);
  ASSERT_EQ(page.activities.size(), 500u);
  EXPECT_EQ(page.activities.front().attributes.at(0).second.as_int(), 499);
}

}  // namespace
}  // namespace cctv
