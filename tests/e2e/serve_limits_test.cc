// `cctv serve`'s API keys, limits and timeouts, over real loopback HTTP.
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "e2e/serve.h"
#include "support/run.h"

namespace cctv::testing {
namespace {

constexpr const char* kReadKey = "read-key-0123456789abcdef";
constexpr const char* kWriteKey = "write-key-0123456789abcdef";
constexpr const char* kAdminKey = "admin-key-0123456789abcdef";

std::map<std::string, std::string> bearer(const std::string& key) { return {{"Authorization", "Bearer " + key}}; }

TEST_F(ServeTest, ApiKeysAndScopes) {
  const std::string keys = dir_.file("keys");
  std::ofstream(keys) << "# who may do what\n"
                      << kReadKey << " read\n\n"
                      << kWriteKey << " write\n"
                      << kAdminKey << " admin\n";
  auto server = serve({"--api-keys", keys});
  HttpConnection c(server->port());
  const std::string one = R"({"actor":"a","target":"/x"})";

  HttpReply r = c.request("POST", "/v1/things/activities", one);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.header("www-authenticate"), "Bearer");
  r = c.request("POST", "/v1/things/activities", one, bearer("not-a-key-0123456789"));
  EXPECT_EQ(r.status, 401);
  r = c.request("POST", "/v1/things/activities", one, {{"Authorization", "Basic dXNlcjpwYXNz"}});
  EXPECT_EQ(r.status, 401);
  // A key's prefix is not the key.
  r = c.request("POST", "/v1/things/activities", one, bearer(std::string(kWriteKey).substr(0, 20)));
  EXPECT_EQ(r.status, 401);
  r = c.request("POST", "/v1/things/activities", one, bearer(kReadKey));
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("write"), std::string::npos);
  r = c.request("POST", "/v1/things/activities", one, bearer(kWriteKey));
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(wait_for_activities(server->port(), "things", "target=/x", 1, bearer(kReadKey)).size(), 1u);
  EXPECT_EQ(c.request("GET", "/v1/things/activities?target=/x").status, 401);
  EXPECT_EQ(c.request("GET", "/v1/things/activities?target=/x", "", bearer(kWriteKey)).status, 403);
  EXPECT_EQ(c.request("GET", "/v1/things/activities?target=/x", "", bearer(kAdminKey)).status, 200);
  EXPECT_EQ(c.request("GET", "/v1/things/counts", "", bearer(kReadKey)).status, 200);
  EXPECT_EQ(c.request("GET", "/metrics", "", bearer(kReadKey)).status, 200);
  EXPECT_EQ(c.request("GET", "/metrics").status, 401);
  // The key is checked before the body is read: a client without one
  // cannot make the server take in megabytes.
  {
    HttpConnection keyless(server->port());
    keyless.send_raw("POST /v1/things/activities HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5000000\r\n\r\n");
    EXPECT_EQ(keyless.read_reply(std::chrono::seconds(5)).status, 401);
  }
  // The scheme's name is not case-sensitive.
  EXPECT_EQ(c.request("GET", "/metrics", "", {{"Authorization", std::string("bearer ") + kReadKey}}).status, 200);
  // Tables are the admin's.
  EXPECT_EQ(c.request("POST", "/v1/tables", R"({"name":"others"})", bearer(kWriteKey)).status, 403);
  EXPECT_EQ(c.request("POST", "/v1/tables", R"({"name":"others"})", bearer(kAdminKey)).status, 201);
  EXPECT_EQ(c.request("DELETE", "/v1/tables/others", "", bearer(kReadKey)).status, 403);
  EXPECT_EQ(c.request("PATCH", "/v1/tables/others", R"({"retention":"1d"})", bearer(kWriteKey)).status,
            403);
  EXPECT_EQ(c.request("PATCH", "/v1/tables/others", R"({"retention":"1d"})", bearer(kAdminKey)).status,
            200);
  EXPECT_EQ(c.request("POST", "/v1/things/counts/rebuild?from=-1d&to=now", "", bearer(kWriteKey)).status,
            403);
  EXPECT_EQ(c.request("POST", "/v1/things/counts/rebuild?from=-1d&to=now", "", bearer(kAdminKey)).status,
            200);
  EXPECT_EQ(c.request("GET", "/v1/things/unique", "", bearer(kWriteKey)).status, 403);
  EXPECT_EQ(c.request("GET", "/v1/things/unique", "", bearer(kReadKey)).status, 200);
  EXPECT_EQ(c.request("DELETE", "/v1/tables/others", "", bearer(kAdminKey)).status, 204);
  EXPECT_EQ(c.request("GET", "/v1/tables", "", bearer(kReadKey)).status, 200);
  // Health and the dashboard's page need no key (the dashboard asks for one).
  EXPECT_EQ(c.request("GET", "/healthz").status, 200);
  EXPECT_EQ(c.request("GET", "/").status, 200);
}

// `cctv keys new` makes lines the server takes: a fresh key each time,
// appended to a file only its owner can read.
TEST_F(ServeTest, KeysNewMakesKeysTheServerAccepts) {
  const std::string keys = dir_.file("keys.txt");
  const RunResult writer = run({CCTV_BINARY, "keys", "new", "--scope", "write", "--append", keys});
  ASSERT_EQ(writer.exit_code, 0) << writer.err;
  const RunResult reader = run({CCTV_BINARY, "keys", "new", "--scope", "read,write", "--append", keys});
  ASSERT_EQ(reader.exit_code, 0) << reader.err;
  EXPECT_EQ(reader.err, "");
  const std::regex line("[0-9a-f]{48} (read,write|write)\n");
  ASSERT_TRUE(std::regex_match(writer.out, line)) << writer.out;
  ASSERT_TRUE(std::regex_match(reader.out, line)) << reader.out;
  EXPECT_NE(writer.out.substr(0, 48), reader.out.substr(0, 48));
  std::stringstream kept;
  kept << std::ifstream(keys).rdbuf();
  EXPECT_EQ(kept.str(), writer.out + reader.out);
  EXPECT_EQ(std::filesystem::status(keys).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  auto server = serve({"--api-keys", keys});
  HttpConnection c(server->port());
  const std::string write_key = writer.out.substr(0, 48);
  const std::string read_key = reader.out.substr(0, 48);
  EXPECT_EQ(c.request("POST", "/v1/things/activities", R"({"actor":"a","target":"/x"})",
                      bearer(write_key))
                .status,
            202);
  EXPECT_EQ(c.request("GET", "/v1/things/activities?target=/x", "", bearer(write_key)).status, 403);
  EXPECT_EQ(c.request("GET", "/v1/things/activities?target=/x", "", bearer(read_key)).status, 200);

  const RunResult bad = run({CCTV_BINARY, "keys", "new", "--scope", "delete"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err,
            "cctv: --scope: names scope 'delete'; the scopes are read, write and admin\n");
  EXPECT_EQ(run({CCTV_BINARY, "keys", "new"}).exit_code, 2);
}

TEST_F(ServeTest, BadKeyFilesAndExposedListensAreRefused) {
  const std::string keys = dir_.file("keys");
  std::ofstream(keys) << "short read\n";
  RunResult r = run({CCTV_BINARY, "--store", store_, "serve", "--listen", "127.0.0.1:0", "--api-keys", keys});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("line 1"), std::string::npos) << r.err;
  std::ofstream(keys) << kReadKey << " read,delete\n";
  r = run({CCTV_BINARY, "--store", store_, "serve", "--listen", "127.0.0.1:0", "--api-keys", keys});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("'delete'"), std::string::npos) << r.err;
  r = run({CCTV_BINARY, "--store", store_, "serve", "--listen", "127.0.0.1:0", "--api-keys", dir_.file("none")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot read"), std::string::npos) << r.err;
  // Reachable from other machines without keys: refused, unless --insecure.
  r = run({CCTV_BINARY, "--store", store_, "serve", "--listen", "0.0.0.0:0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--insecure"), std::string::npos) << r.err;
  r = run({CCTV_BINARY, "--store", store_, "serve", "--listen", "localhost"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--listen"), std::string::npos) << r.err;
  auto server = serve({"--listen", "0.0.0.0:0", "--insecure"});
  EXPECT_EQ(http_request(server->port(), "GET", "/healthz").status, 200);
}

TEST_F(ServeTest, BodyItemAndHeaderLimits) {
  auto server = serve({"--max-body-bytes", "2000", "--max-items", "3", "--max-header-bytes", "2048"});
  HttpConnection c(server->port());
  std::string big = "[";
  for (int i = 0; i < 100; ++i) big += std::string(i ? "," : "") + R"({"actor":"a","target":"/x"})";
  big += "]";
  HttpReply r = c.request("POST", "/v1/things/activities", big);
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(r.body.find("--max-body-bytes"), std::string::npos) << r.body;
  // The connection is closed after a refused body: its rest is not read.
  HttpConnection c2(server->port());
  r = c2.request("POST", "/v1/things/activities",
                 R"([{"actor":"a","target":"/x"},{"actor":"a","target":"/x"},{"actor":"a","target":"/x"},{"actor":"a","target":"/x"}])");
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(r.body.find("--max-items"), std::string::npos) << r.body;
  // An array of nothing but commas is split no further than the limit.
  r = c2.request("POST", "/v1/things/activities", "[" + std::string(1900, ',') + "]");
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(r.body.find("more than 3"), std::string::npos) << r.body;
  // Nothing of a refused request is recorded.
  r = c2.request("POST", "/v1/things/activities", R"({"actor":"b","target":"/y"})");
  EXPECT_EQ(r.status, 202);
  wait_for_activities(server->port(), "things", "target=/y", 1);
  EXPECT_EQ(c2.request("GET", "/v1/things/activities?target=/x").body, R"({"activities":[],"next_cursor":null})" "\n");
  HttpConnection c3(server->port());
  r = c3.request("GET", "/healthz", "", {{"X-Padding", std::string(4000, 'p')}});
  EXPECT_EQ(r.status, 431);
  // A client that sends its whole large body before reading still gets
  // the 413, not a reset.
  HttpConnection c5(server->port());
  r = c5.request("POST", "/v1/things/activities", std::string(4 << 20, 'x'));
  EXPECT_EQ(r.status, 413);
  // Chunked framing cannot grow the server's buffer past its limit.
  HttpConnection c6(server->port());
  std::string trailers = "POST /v1/things/activities HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n";
  for (int i = 0; i < 20000; ++i) trailers += "X-T: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
  try {
    c6.send_raw(trailers);
  } catch (const std::exception&) {
    // The server may stop reading once it has refused.
  }
  r = c6.read_reply();
  EXPECT_EQ(r.status, 431) << r.body;
  // A client that announces a large body is refused before it sends it.
  HttpConnection c4(server->port());
  c4.send_raw("POST /v1/things/activities HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\nExpect: 100-continue\r\n\r\n");
  r = c4.read_reply();
  EXPECT_EQ(r.status, 413);
}

TEST_F(ServeTest, WithoutKeysOnlyThisMachinesProgramsMayCall) {
  auto server = serve();
  HttpConnection c(server->port());
  EXPECT_EQ(c.request("GET", "/healthz").status, 200);
  EXPECT_EQ(c.request("GET", "/healthz", "", {{"Host", "localhost:8080"}}).status, 200);
  EXPECT_EQ(c.request("GET", "/healthz", "", {{"Host", "127.0.0.2:8080"}}).status, 200);
  EXPECT_EQ(c.request("GET", "/healthz", "", {{"Host", "[::1]:8080"}}).status, 200);
  // A name that resolves here (DNS rebinding) is not this machine's name.
  HttpReply r = c.request("GET", "/v1/tables", "", {{"Host", "attacker.example"}});
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("attacker.example"), std::string::npos) << r.body;
  // Another site's page may not write here.
  r = c.request("POST", "/v1/things/activities", R"({"actor":"a","target":"/x"})",
                {{"Origin", "http://attacker.example"}, {"Content-Type", "text/plain"}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(c.request("GET", "/v1/tables").body, R"({"tables":[]})" "\n");
  // The dashboard's own page may.
  r = c.request("POST", "/v1/things/activities", R"({"actor":"a","target":"/x"})",
                {{"Origin", "http://127.0.0.1"}});
  EXPECT_EQ(r.status, 202) << r.body;
}

TEST_F(ServeTest, HeadAnswersLikeGetWithoutABody) {
  auto server = serve();
  HttpConnection c(server->port());
  const HttpReply get = c.request("GET", "/healthz");
  c.send_raw("HEAD /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  // A body after the header would be read as the start of the next answer.
  const HttpReply head = c.read_head_reply();
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("content-length"), std::to_string(get.body.size()));
  EXPECT_EQ(c.request("GET", "/healthz").body, get.body);  // the connection is still in step
  // A HEAD refused from its header has no body either.
  c.send_raw("HEAD /no-such-route HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  EXPECT_EQ(c.read_head_reply().status, 404);
  EXPECT_EQ(c.request("GET", "/healthz").body, get.body);
}

TEST_F(ServeTest, MalformedHttpGets400) {
  auto server = serve();
  HttpConnection c(server->port());
  c.send_raw("THIS IS NOT HTTP\r\n\r\n");
  HttpReply r = c.read_reply();
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(c.closed_within(std::chrono::seconds(5)));
  EXPECT_EQ(http_request(server->port(), "GET", "/healthz").status, 200);
}

// RFC 9112 §6.3: a request whose framing is ambiguous gets 400 and its
// connection is closed, so nothing it carried is read as another request
// (request smuggling). Each case would otherwise have left the chunk
// bytes on the connection, read as a second request.
TEST_F(ServeTest, AmbiguousFramingGets400AndTheConnectionCloses) {
  auto server = serve();
  const std::string smuggled = "0\r\n\r\nGET /v1/tables HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  const std::string post = "POST /v1/things/activities HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  const std::string item = R"({"actor":"a","target":"/x"})";
  char size[16];
  std::snprintf(size, sizeof size, "%zx", item.size());
  const std::string chunk = size + ("\r\n" + item + "\r\n");
  const std::vector<std::pair<std::string, int>> cases = {
      {post + "Transfer-Encoding: chunked, identity\r\n\r\n" + chunk + smuggled, 400},
      {post + "Transfer-Encoding: xchunked\r\n\r\n" + chunk + smuggled, 400},
      {post + "Transfer-Encoding: identity\r\nContent-Length: 26\r\n\r\n" + chunk + smuggled, 400},
      {post + "Transfer-Encoding: chunked\r\nContent-Length: 26\r\n\r\n" + chunk + smuggled, 400},
      {post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk + smuggled, 400},
      {post + "Transfer-Encoding: gzip, chunked\r\n\r\n" + chunk + smuggled, 501},
      {"POST /v1/things/activities HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk + smuggled, 400},
      {"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n\r\n" + smuggled, 400},
      {"GET /healthz HTTP/1.1\r\n\r\n" + smuggled, 400},
  };
  for (const auto& [request, status] : cases) {
    HttpConnection c(server->port());
    c.send_raw(request);
    const HttpReply r = c.read_reply();
    EXPECT_EQ(r.status, status) << request;
    EXPECT_NE(value_from_json(r.body).find("error"), nullptr) << r.body;
    EXPECT_EQ(r.header("connection"), "close") << request;
    // No second answer: the connection ends after the refusal.
    EXPECT_TRUE(c.closed_within(std::chrono::seconds(5))) << request;
  }
  // Nothing was recorded by any of them, and well-framed requests work.
  HttpConnection c(server->port());
  c.send_raw(post + "Transfer-Encoding: Chunked\r\n\r\n" + chunk + "0\r\n\r\n");
  EXPECT_EQ(c.read_reply().status, 202);
  const List stored = wait_for_activities(server->port(), "things", "target=/x", 1);
  EXPECT_EQ(stored.size(), 1u);
  EXPECT_EQ(http_request(server->port(), "GET", "/healthz").status, 200);
}

TEST_F(ServeTest, ConnectionLimitAndTimeouts) {
  auto server = serve({"--max-connections", "2", "--idle-timeout", "1", "--request-timeout", "1"});
  {
    HttpConnection a(server->port()), b(server->port());
    EXPECT_EQ(a.request("GET", "/healthz").status, 200);
    EXPECT_EQ(b.request("GET", "/healthz").status, 200);
    HttpConnection third(server->port());
    const HttpReply r = third.read_reply(std::chrono::seconds(5));
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.header("retry-after"), "1");
    EXPECT_TRUE(third.closed_within(std::chrono::seconds(5)));
  }
  // The server sees those three go a moment after they close.
  auto wait_for_room = [&] {
    for (int i = 0; i < 100; ++i) {
      auto c = std::make_unique<HttpConnection>(server->port());
      try {
        if (c->request("GET", "/healthz").status == 200) return c;
      } catch (const std::exception&) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "no room for a connection after the others closed";
    return std::make_unique<HttpConnection>(server->port());
  };
  // An idle keep-alive connection is closed after --idle-timeout.
  auto idle_connection = wait_for_room();
  HttpConnection& idle = *idle_connection;
  EXPECT_TRUE(idle.closed_within(std::chrono::seconds(10)));
  // A request that trickles in is answered 408 after --request-timeout.
  HttpConnection slow(server->port());
  slow.send_raw("POST /v1/things/activities HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 40\r\n\r\n{\"actor\":");
  const HttpReply r = slow.read_reply(std::chrono::seconds(10));
  EXPECT_EQ(r.status, 408);
  EXPECT_TRUE(slow.closed_within(std::chrono::seconds(5)));
  // Room again for new connections.
  wait_for_room();
}

}  // namespace
}  // namespace cctv::testing
