// A cctv server as a store (http://HOST:PORT): what the library does
// through it when the server goes away, refuses, or asks for a key.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <stdexcept>
#include <thread>

#include "e2e/serve.h"
#include "support/run.h"

namespace cctv::testing {
namespace {

// The server is killed (SIGKILL) while a client records through it, and
// started again on the same address: the client's writes fail meanwhile
// and are retried, and every activity recorded ends up stored, once.
TEST_F(ServeTest, ARemoteStoreRidesOutAServerKilledMidStream) {
  const std::string listen = "127.0.0.1:" + std::to_string(free_loopback_port());
  auto server = serve({"--listen", listen});
  const std::string url = "http://" + listen;
  constexpr int kActivities = 20'000;
  std::atomic<int> recorded{0};
  {
    Client client = Client::open(url);
    Tracker events = client.tracker("events");
    std::thread recorder([&] {
      for (int i = 0; i < kActivities; ++i) {
        events.record_activity("u" + std::to_string(i % 31), "/t/" + std::to_string(i % 97), {{"i", i}});
        recorded = i + 1;
      }
    });
    while (recorded < kActivities / 4) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ASSERT_TRUE(server->kill_now());
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    server = serve({"--listen", listen});
    recorder.join();
    events.flush();
    const Page page = events.view_all_activity({}, ViewOptions{10'000, Order::kNewestFirst, ""});
    EXPECT_FALSE(page.activities.empty());
  }
  ASSERT_EQ(server->terminate(), 0);
  Client direct = Client::open(store_);
  std::set<std::int64_t> seen;
  std::size_t twice = 0;
  direct.tracker("events").for_each_activity(TimeRange::all(), [&](const Activity& a) {
    if (!seen.insert(find(a.attributes, "i")->as_int()).second) ++twice;
  });
  EXPECT_EQ(twice, 0u);
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kActivities));
}

// Keys: CCTV_API_KEY is sent; a missing or wrong one fails the open,
// naming the server and how to give a key; a key without the write scope
// has its activities refused for good, which flush() reports.
TEST_F(ServeTest, ARemoteStoreSendsItsKeyAndSaysWhenItIsRefused) {
  const std::string keys = dir_.file("keys");
  std::ofstream(keys) << "reader-key-0123456789 read\nwriter-key-0123456789 read,write\n";
  auto server = serve({"--api-keys", keys});
  const std::string url = server->url();
  unsetenv("CCTV_API_KEY");
  try {
    Client::open(url);
    FAIL() << "opened without a key";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("CCTV_API_KEY"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(url), std::string::npos) << e.what();
  }
  setenv("CCTV_API_KEY", "writer-key-0123456789", 1);
  {
    Client client = Client::open(url);
    Tracker t = client.tracker("events");
    t.record_activity("bob", "/x");
    t.flush();
    EXPECT_EQ(t.view_activity("/x").activities.size(), 1u);
  }
  setenv("CCTV_API_KEY", "reader-key-0123456789", 1);
  Client reader = Client::open(url);
  Tracker t = reader.tracker("events");
  EXPECT_EQ(t.view_activity("/x").activities.size(), 1u);
  t.record_activity("amy", "/y");
  try {
    t.flush();
    FAIL() << "a read key's activities were taken";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("refused 1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("write scope"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(t.view_activity("/y").activities.empty());
  unsetenv("CCTV_API_KEY");
}

// No server there: the open says where it looked.
TEST_F(ServeTest, ARemoteStoreWithNoServerSaysWhere) {
  const std::string url = "http://127.0.0.1:" + std::to_string(free_loopback_port());
  try {
    Client::open(url);
    FAIL() << "opened a store nobody serves";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("no answer from the cctv server at " + url),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(Client::open("http://127.0.0.1:1/path"), InvalidArgument);
}

}  // namespace
}  // namespace cctv::testing

namespace cctv::testing {
namespace {

// `cctv` on the store a running `cctv serve` holds: every command goes
// through the server's API (saying so once) instead of failing to open it;
// once the server is gone, they open the store again.
TEST_F(ServeTest, TheCommandBesideARunningServerGoesThroughIt) {
  auto server = serve();
  const auto cctv = [&](std::vector<std::string> args, const std::string& stdin_data = "") {
    args.insert(args.begin(), {CCTV_BINARY, "--store", store_});
    RunOptions options;
    options.stdin_data = stdin_data;
    return run(args, options);
  };
  const std::string through = "going through its API";
  const auto ok = [&](const std::vector<std::string>& args, const std::string& stdin_data = "") {
    const RunResult r = cctv(args, stdin_data);
    EXPECT_EQ(r.exit_code, 0) << args[0] << ": " << r.err;
    EXPECT_NE(r.err.find(server->url()), std::string::npos) << args[0] << ": " << r.err;
    const auto first = r.err.find(through);
    EXPECT_TRUE(first != std::string::npos && r.err.find(through, first + 1) == std::string::npos)
        << args[0] << " should say once that it goes through the server: " << r.err;
    return r.out;
  };
  EXPECT_EQ(ok({"record", "pageviews", "bob", "/store", "browser=Chrome"}).size(), 17u);
  EXPECT_EQ(ok({"import", "pageviews", "-"}, "{\"actor\":\"amy\",\"target\":\"/store\"}\n"),
            "imported 1 activity into pageviews, rejected 0\n");
  EXPECT_NE(ok({"view", "pageviews", "--target", "/store"}).find("amy"), std::string::npos);
  const std::string exported = ok({"export", "pageviews"});
  EXPECT_EQ(std::count(exported.begin(), exported.end(), '\n'), 2);
  // Counts include what was just recorded: the server writes its counts first.
  EXPECT_NE(ok({"count", "pageviews", "--bucket", "day", "--from", "-1d", "--format", "json"})
                .find("\"count\":2"),
            std::string::npos);
  EXPECT_NE(ok({"top", "pageviews", "--format", "json"}).find("{\"target\":\"/store\",\"count\":2}"),
            std::string::npos);
  ok({"tables", "create", "logins", "--retention", "90d"});
  ok({"tables", "set", "logins", "--retention", "30d", "--apply"});
  EXPECT_NE(ok({"tables", "describe", "logins"}).find("30 days"), std::string::npos);
  EXPECT_EQ(ok({"tables"}), "logins\npageviews\n");
  ok({"counts", "rebuild", "pageviews", "--from", "-1d", "--to", "now"});
  ok({"tables", "drop", "logins", "--yes"});
  EXPECT_EQ(ok({"tables"}), "pageviews\n");

  // Killed, the server leaves its note behind, but no longer holds the
  // store: the commands open it themselves again.
  ASSERT_TRUE(server->kill_now());
  const RunResult after = cctv({"export", "pageviews"});
  EXPECT_EQ(after.exit_code, 0) << after.err;
  EXPECT_EQ(after.err.find(through), std::string::npos) << after.err;
  EXPECT_EQ(after.out, exported);
  ASSERT_TRUE(std::filesystem::exists(dir_.path() / "data" / "cctv-serve"));
  EXPECT_EQ(cctv({"record", "pageviews", "cy", "/x"}).exit_code, 0);
  // The first writer after the killed server removed its note: another
  // writer holding the store later is not taken for that server.
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "data" / "cctv-serve"));
}

// `cctv bench` measures through a server too; --counts off, a setting of
// the server's own store, is refused with what to do instead.
TEST_F(ServeTest, BenchRunsThroughAServer) {
  auto server = serve();
  RunResult r = run({CCTV_BINARY, "--store", server->url(), "bench", "-n", "3000", "--queries", "20",
                     "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Value result = value_from_json(r.out);
  EXPECT_EQ(result.find("activities")->as_int(), 3000);
  r = run({CCTV_BINARY, "--store", server->url(), "bench", "-n", "10", "--counts", "off"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("serve a store opened with ?counts=off"), std::string::npos) << r.err;
}

// With keys, the command gives --api-key (or CCTV_API_KEY) to the server,
// and says what to do without one.
TEST_F(ServeTest, TheCommandBesideAServerWithKeysNeedsOne) {
  const std::string keys = dir_.file("keys");
  std::ofstream(keys) << "writer-key-0123456789 read,write\n";
  auto server = serve({"--api-keys", keys});
  RunResult r = run({CCTV_BINARY, "--store", store_, "record", "pageviews", "bob", "/x"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--api-key or CCTV_API_KEY"), std::string::npos) << r.err;
  r = run({CCTV_BINARY, "--store", store_, "record", "pageviews", "bob", "/x", "--api-key",
           "writer-key-0123456789"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  RunOptions env;
  env.environment = {"CCTV_API_KEY=writer-key-0123456789"};
  r = run({CCTV_BINARY, "--store", store_, "view", "pageviews", "-t", "/x"}, env);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("bob"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace cctv::testing

namespace cctv::testing {
namespace {

// A server that answers every request with the canned body of the first
// path prefix its request matches (200), for answers no cctv server gives.
class CannedServer {
 public:
  explicit CannedServer(std::vector<std::pair<std::string, std::string>> answers)
      : answers_(std::move(answers)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof addr;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd_, 16) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &size) != 0) {
      throw std::runtime_error("cannot listen");
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~CannedServer() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  void serve() {
    for (;;) {
      const int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string request;
      char buffer[4096];
      for (;;) {  // one request a connection: read to the end of its header, answer, close
        const ssize_t n = read(c, buffer, sizeof buffer);
        if (n <= 0) break;
        request.append(buffer, static_cast<std::size_t>(n));
        if (request.find("\r\n\r\n") != std::string::npos) break;
      }
      std::string body = "{}";
      const std::size_t space = request.find(' ');
      const std::string target = request.substr(space + 1, request.find(' ', space + 1) - space - 1);
      for (const auto& [prefix, answer] : answers_) {
        if (target.rfind(prefix, 0) == 0) {
          body = answer;
          break;
        }
      }
      const std::string reply = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                                "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
      (void)!write(c, reply.data(), reply.size());
      close(c);
    }
  }

  std::vector<std::pair<std::string, std::string>> answers_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

// Answers no cctv server gives -- not JSON, members missing or of the
// wrong type, activities that break the rules -- are StoreErrors naming
// what is wrong, never a crash or a value made up.
TEST(RemoteStoreAnswers, ThatAreNotTheAPIsAreStoreErrorsNamingWhatIsWrong) {
  const auto error_of = [](const std::function<void()>& f) -> std::string {
    try {
      f();
    } catch (const StoreError& e) {
      return e.what();
    } catch (const std::exception& e) {
      return std::string("not a StoreError: ") + e.what();
    }
    return "no error";
  };
  {
    CannedServer garbage({{"/v1/tables", "<html>hello</html>"}, {"/healthz", "{}"}});
    EXPECT_NE(error_of([&] { Client::open(garbage.url()); }).find("is not JSON"), std::string::npos);
  }
  CannedServer odd({{"/v1/tables/events", R"({"name":1,"created":"2026-11-01T00:00:00Z"})"},
                    {"/v1/tables", R"({"tables":["events"]})"},
                    {"/v1/events/activities", R"({"activities":[{"target":"/x"}],"next_cursor":null})"},
                    {"/v1/events/counts", R"({"bucket":"hour","series":[{"start":"soon","count":1}]})"},
                    {"/v1/events/top", R"({"targets":"many"})"},
                    {"/v1/events/unique", R"({"unique_actors":"3"})"}});
  Client client = Client::open(odd.url());
  EXPECT_EQ(client.tables(), std::vector<std::string>{"events"});
  EXPECT_NE(error_of([&] { client.describe_table("events"); }).find("'name' that is not a string"),
            std::string::npos);
  Tracker t = client.tracker("events");
  EXPECT_NE(error_of([&] { t.view_activity("/x"); }).find("holds an activity cctv cannot read"),
            std::string::npos);
  const TimeRange day{parse_time("2026-11-01"), parse_time("2026-11-02")};
  EXPECT_NE(error_of([&] { t.count_activity(day, Bucket::kHour); }).find("'start' that is not a time"),
            std::string::npos);
  EXPECT_NE(error_of([&] { t.top_targets(day); }).find("'targets' that is not a list"),
            std::string::npos);
  EXPECT_NE(error_of([&] { t.unique_actors(day); }).find("'unique_actors' that is not a whole number"),
            std::string::npos);
}

}  // namespace
}  // namespace cctv::testing
