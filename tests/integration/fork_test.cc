// ForkSafeClient: a process that forks after opening a store goes on
// recording in the parent and in every child, losing nothing and writing
// nothing twice -- on the embedded store (the children go through the
// parent) and on dynalite (each opens its own).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cctv/cctv.h"
#include "cctv/fork_safe_client.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

namespace cctv {
namespace {

using testing::Dynalite;
using testing::TempDir;

// Forks as the bindings do, after prepare_fork(); the child runs `body`
// and exits with what it returns (2 when it throws), without returning
// into the test.
pid_t fork_running(const std::function<int()>& body) {
  ForkSafeClient::prepare_fork();
  const pid_t pid = fork();
  if (pid == 0) {
    int code = 2;
    try {
      code = body();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child %d: %s\n", static_cast<int>(getpid()), e.what());
    }
    std::fflush(stderr);
    _exit(code);
  }
  return pid;
}

int exit_code_of(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void record_many(Tracker& tracker, const std::string& target, int n) {
  for (int i = 0; i < n; ++i)
    tracker.record_activity("actor-" + std::to_string(i % 7), target, {{"n", i}});
}

// Every activity of `target`, paged.
std::vector<Activity> all_of(Tracker tracker, const std::string& target) {
  std::vector<Activity> all;
  ViewOptions options;
  options.limit = 1000;
  for (;;) {
    Page page = tracker.view_activity(target, {}, options);
    all.insert(all.end(), page.activities.begin(), page.activities.end());
    if (page.next_cursor.empty()) return all;
    options.cursor = page.next_cursor;
  }
}

class ForkTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "dynamodb") {
      dynalite_.emplace();
      uri_ = dynalite_->store("fork-");
    } else {
      uri_ = dir_.store();
    }
  }

  TempDir dir_;
  std::optional<Dynalite> dynalite_;
  std::string uri_;
};

TEST_P(ForkTest, ParentAndChildrenEachWriteEverythingOnce) {
  constexpr int kChildren = 3;
  constexpr int kEach = 2000;
  auto shared = ForkSafeClient::open(uri_);
  Tracker tracker = shared->client().tracker("visits");
  // Queued and not yet written when the process forks: the parent's to
  // write, and the children's copies of the queue are dropped.
  record_many(tracker, "parent-before", kEach);

  std::vector<pid_t> children;
  for (int c = 0; c < kChildren; ++c) {
    children.push_back(fork_running([&shared, c] {
      if (shared->generation() != 1) return 3;
      Tracker mine = shared->client().tracker("visits");
      const std::string target = "child-" + std::to_string(c);
      record_many(mine, target, kEach);
      if (c == 0) {
        // A grandchild, forked from a child that already goes through
        // its parent (or to DynamoDB on its own).
        const pid_t grandchild = fork_running([&shared] {
          Tracker its = shared->client().tracker("visits");
          record_many(its, "grandchild", kEach);
          shared->close();
          return 0;
        });
        if (exit_code_of(grandchild) != 0) return 4;
      }
      // A child reads what it wrote, once flushed, through the same store.
      mine.flush();
      if (all_of(mine, target).size() != static_cast<std::size_t>(kEach)) return 5;
      record_many(mine, target + "-unflushed", kEach);
      shared->close();  // what the bindings do at exit: writes the rest
      return 0;
    }));
  }
  record_many(tracker, "parent-after", kEach);
  for (const pid_t child : children) EXPECT_EQ(exit_code_of(child), 0) << "child " << child;
  EXPECT_EQ(shared->generation(), 0u);
  tracker.flush();

  std::vector<std::string> targets = {"parent-before", "parent-after", "grandchild"};
  for (int c = 0; c < kChildren; ++c) {
    targets.push_back("child-" + std::to_string(c));
    targets.push_back("child-" + std::to_string(c) + "-unflushed");
  }
  std::set<ActivityId> ids;
  for (const std::string& target : targets) {
    const std::vector<Activity> stored = all_of(tracker, target);
    std::multiset<std::int64_t> numbers;
    for (const Activity& a : stored) {
      ids.insert(a.id);
      numbers.insert(a.attributes.at(0).second.as_int());
    }
    EXPECT_EQ(stored.size(), static_cast<std::size_t>(kEach)) << target;
    // Each n once: nothing lost, nothing twice.
    EXPECT_EQ(std::set<std::int64_t>(numbers.begin(), numbers.end()).size(), numbers.size())
        << target;
  }
  EXPECT_EQ(ids.size(), targets.size() * kEach) << "an id was given to two activities";
}

TEST_P(ForkTest, AChildCountsAndReadsWhatItsParentWrote) {
  auto shared = ForkSafeClient::open(uri_);
  Tracker tracker = shared->client().tracker("signups");
  record_many(tracker, "/join", 50);
  tracker.flush();
  const pid_t child = fork_running([&shared] {
    Tracker mine = shared->client().tracker("signups");
    if (all_of(mine, "/join").size() != 50) return 3;
    const auto top = mine.top_targets(TimeRange::last(std::chrono::hours(1)));
    if (GetParam() != "dynamodb" && (top.size() != 1 || top[0].count != 50)) return 4;
    shared->close();
    return 0;
  });
  EXPECT_EQ(exit_code_of(child), 0);
}

TEST_P(ForkTest, AClientClosedBeforeTheForkStaysClosedInTheChild) {
  auto shared = ForkSafeClient::open(uri_);
  shared->client().tracker("taps");
  shared->close();
  const pid_t child = fork_running([&shared] {
    try {
      shared->client().tracker("taps");
    } catch (const Error&) {
      return 0;
    }
    return 3;
  });
  EXPECT_EQ(exit_code_of(child), 0);
}

INSTANTIATE_TEST_SUITE_P(Stores, ForkTest, ::testing::Values("embedded", "dynamodb"),
                         [](const auto& param_info) { return param_info.param; });

// The parent serves its embedded store to its children only while it is
// open: once closed, the port is gone, and a child that outlived it cannot
// write, and says so instead of waiting.
TEST(ForkEmbedded, AChildWhoseParentClosedTheStoreIsToldSo) {
  TempDir dir;
  auto shared = ForkSafeClient::open(dir.store());
  shared->client().tracker("taps");
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork_running([&shared, &ready] {
    char byte = 0;
    close(ready[1]);
    if (read(ready[0], &byte, 1) != 1) return 3;  // the parent has closed
    try {
      shared->client().tracker("taps").record_activity("a", "b");
      shared->close();
    } catch (const StoreError&) {
      return 0;
    }
    return 4;
  });
  close(ready[0]);
  shared->close();
  ASSERT_EQ(write(ready[1], "x", 1), 1);
  close(ready[1]);
  EXPECT_EQ(exit_code_of(child), 0);
}

// A child that ends with exit(), as an interpreter's child does, must not
// destroy the copies of RocksDB's thread pools it took from its parent:
// their threads stayed behind, and joining them aborts the child.
TEST(ForkEmbedded, AChildThatExitsNormallyEndsWithItsOwnStatus) {
  TempDir dir;
  auto shared = ForkSafeClient::open(dir.store());
  Tracker tracker = shared->client().tracker("exits");
  record_many(tracker, "/parent", 100);
  tracker.flush();  // RocksDB's background threads are running now
  ForkSafeClient::prepare_fork();
  const pid_t child = fork();
  if (child == 0) {
    Tracker mine = shared->client().tracker("exits");
    record_many(mine, "/child", 100);
    shared->close();
    std::exit(7);
  }
  EXPECT_EQ(exit_code_of(child), 7);
  EXPECT_EQ(all_of(tracker, "/child").size(), 100u);
}

// A fork that nobody prepared (Process.daemon, a C library's fork()):
// the child still drops its parent's client and opens its own, here on
// DynamoDB, where it needs nothing from the parent.
TEST(ForkDynamo, AChildForkedWithoutPreparingOpensItsOwnClient) {
  Dynalite dynalite;
  auto shared = ForkSafeClient::open(dynalite.store("bare-"));
  Tracker tracker = shared->client().tracker("unprepared");
  record_many(tracker, "/parent", 100);
  const pid_t child = fork();
  if (child == 0) {
    int code = 3;
    try {
      Tracker mine = shared->client().tracker("unprepared");
      record_many(mine, "/child", 100);
      shared->close();
      code = 0;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child: %s\n", e.what());
    }
    _exit(code);
  }
  EXPECT_EQ(exit_code_of(child), 0);
  tracker.flush();
  EXPECT_EQ(all_of(tracker, "/child").size(), 100u);
  EXPECT_EQ(all_of(tracker, "/parent").size(), 100u);
}

}  // namespace
}  // namespace cctv
