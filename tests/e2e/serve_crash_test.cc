// `cctv serve` killed with SIGKILL at random moments while several clients
// post: a 202 means the activities are in the store's write-ahead log, so
// every acknowledged activity is there after a restart, and the counts
// equal what is stored.
#include <atomic>
#include <mutex>
#include <random>
#include <set>

#include "e2e/serve.h"

namespace cctv::testing {
namespace {

// Posts until the server goes away, keeping the ids of every 202.
class Poster {
 public:
  enum class Kind { kNdjson, kArray, kSingle };
  Poster(int port, Kind kind, int who, std::mutex& mu, std::set<std::string>& acknowledged)
      : thread_([=, this, &mu, &acknowledged] { run(port, kind, who, mu, acknowledged); }) {}
  ~Poster() { thread_.join(); }
  int answered() const { return answered_; }

 private:
  void run(int port, Kind kind, int who, std::mutex& mu, std::set<std::string>& acknowledged) {
    try {
      HttpConnection c(port);
      for (int b = 0;; ++b) {
        std::string body;
        std::map<std::string, std::string> headers;
        const std::string target = "/w" + std::to_string(who) + "/" + std::to_string(b % 50);
        const auto item = [&](int i) {
          return R"({"actor":"u)" + std::to_string(i % 37) + R"(","target":")" + target + R"("})";
        };
        if (kind == Kind::kNdjson) {
          for (int i = 0; i < 200; ++i) body += item(i) + "\n";
          headers["Content-Type"] = "application/x-ndjson";
        } else if (kind == Kind::kArray) {
          body = "[";
          for (int i = 0; i < 50; ++i) body += (i > 0 ? "," : "") + item(i);
          body += "]";
        } else {
          body = item(b);
        }
        const HttpReply r = c.request("POST", "/v1/crash/activities", body, headers);
        if (r.status != 202) {
          ADD_FAILURE() << r.status << " " << r.body;
          return;
        }
        const Value reply = value_from_json(r.body);
        std::lock_guard lock(mu);
        for (const auto& id : reply.find("ids")->as_list()) acknowledged.insert(id.as_string());
        ++answered_;
      }
    } catch (const std::exception&) {
      // The server was killed under the request: it was not acknowledged.
    }
  }

  std::atomic<int> answered_{0};
  std::thread thread_;
};

void expect_every_acknowledged_activity_stored(const std::string& store,
                                               const std::set<std::string>& acknowledged,
                                               bool exact_counts = true) {
  // Opened for writing: counts a kill kept from being written are
  // recounted first.
  Client client = Client::open(store);
  Tracker t = client.tracker("crash");
  std::set<std::string> stored;
  std::size_t duplicates = 0;
  t.for_each_activity(TimeRange::all(), [&](const Activity& a) {
    if (!stored.insert(format_id(a.id)).second) ++duplicates;
  });
  EXPECT_EQ(duplicates, 0u);
  std::size_t missing = 0;
  for (const auto& id : acknowledged) missing += stored.count(id) == 0 ? 1 : 0;
  EXPECT_EQ(missing, 0u) << "acknowledged activities lost, of " << acknowledged.size();
  EXPECT_GE(stored.size(), acknowledged.size());
  if (!exact_counts) return;
  // Counted exactly once each, acknowledged or not.
  client.flush();
  const TimeRange days{now() - std::chrono::hours(48), now() + std::chrono::hours(48)};
  std::int64_t counted = 0;
  for (const auto& p : t.count_activity(days, Bucket::kDay)) counted += p.count;
  EXPECT_EQ(counted, static_cast<std::int64_t>(stored.size()));
}

void kill_rounds(const std::string& store, const std::vector<std::string>& flags, int rounds,
                 std::uint32_t seed, bool exact_counts = true) {
  std::mt19937 rng(seed);
  std::set<std::string> acknowledged;
  std::mutex mu;
  int answered = 0;
  for (int round = 0; round < rounds; ++round) {
    std::vector<std::string> argv = {CCTV_BINARY, "--store",  store,
                                     "serve",     "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    ServerProcess server(argv);
    {
      std::vector<std::unique_ptr<Poster>> posters;
      posters.push_back(
          std::make_unique<Poster>(server.port(), Poster::Kind::kNdjson, 0, mu, acknowledged));
      posters.push_back(
          std::make_unique<Poster>(server.port(), Poster::Kind::kNdjson, 1, mu, acknowledged));
      posters.push_back(
          std::make_unique<Poster>(server.port(), Poster::Kind::kArray, 2, mu, acknowledged));
      posters.push_back(
          std::make_unique<Poster>(server.port(), Poster::Kind::kSingle, 3, mu, acknowledged));
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::uniform_int_distribution<int>(150, 1500)(rng)));
      ASSERT_TRUE(server.kill_now()) << "the server exited before it was killed";
      for (const auto& p : posters) answered += p->answered();
    }  // the posters see their connections reset, and stop
  }
  ASSERT_GT(answered, rounds) << "the server answered almost nothing before it was killed";
  expect_every_acknowledged_activity_stored(store, acknowledged, exact_counts);
}

TEST_F(ServeTest, KillNineAtRandomMomentsLosesNoAcknowledgedActivity) {
  kill_rounds(store_, {}, 6, 1);
}

TEST_F(ServeTest, KillNineWithSyncLosesNoAcknowledgedActivity) {
  kill_rounds(store_, {"--sync"}, 3, 2);
}

// On DynamoDB, 202 means DynamoDB confirmed every item: through a proxy
// that throttles, answers 500 and drops connections before and after
// DynamoDB did the work, a kill -9 still loses nothing acknowledged.
// (Exact counts under such faults are not this test's: DynamoDB's counts
// are rounds of their own.)
TEST(ServeDynamoCrash, KillNineLosesNothingDynamoConfirmed) {
  Dynalite dynalite;
  FaultProxy proxy(dynalite.port(), {"--throttle", "0.05", "--http500", "0.05", "--drop-before",
                                     "0.03", "--drop-after", "0.03", "--seed", "9"});
  const std::string store = proxy.store("kill-");
  {
    Client client = Client::open(store);
    client.create_table("crash");
  }
  kill_rounds(store, {}, 3, 3, false);
}

}  // namespace
}  // namespace cctv::testing
