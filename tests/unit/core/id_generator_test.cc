#include "core/id_generator.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <thread>
#include <vector>

namespace cctv::core {
namespace {

TEST(IdGenerator, UniqueAcrossThreadsAndIncreasingWithinOne) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 100'000;
  std::vector<std::vector<ActivityId>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&ids, t] {
      ids[t].reserve(kPerThread);
      for (int i = 0; i < kPerThread; ++i) ids[t].push_back(next_id());
    });
  }
  for (auto& th : threads) th.join();
  std::vector<ActivityId> all;
  for (const auto& v : ids) {
    // Within a block ids rise by one; across blocks they jump, so check
    // "mostly increasing": every step inside a 4096-id block is +1.
    std::size_t steps_of_one = 0;
    for (std::size_t i = 1; i < v.size(); ++i) steps_of_one += v[i] == v[i - 1] + 1;
    EXPECT_GT(steps_of_one, v.size() * 99 / 100);
    all.insert(all.end(), v.begin(), v.end());
  }
  EXPECT_EQ(std::count(all.begin(), all.end(), kNoId), 0);
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "duplicate id";
}

// A child of fork() copies the parent's counter and the forking thread's
// block; without a new start it would hand out the very ids the parent
// goes on to hand out.
TEST(IdGenerator, AChildOfForkNeverHandsOutItsParentsIds) {
  constexpr int kEach = 10'000;
  next_id();  // the forking thread holds a block, as an application's would
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::vector<ActivityId> ids(kEach);
    for (ActivityId& id : ids) id = next_id();
    const auto* bytes = reinterpret_cast<const char*>(ids.data());
    std::size_t left = ids.size() * sizeof(ActivityId);
    while (left > 0) {
      const ssize_t n = write(pipe_fds[1], bytes, left);
      if (n <= 0) _exit(1);
      bytes += n;
      left -= static_cast<std::size_t>(n);
    }
    _exit(0);
  }
  close(pipe_fds[1]);
  std::vector<ActivityId> parent(kEach);
  for (ActivityId& id : parent) id = next_id();
  std::vector<ActivityId> from_child(kEach);
  auto* bytes = reinterpret_cast<char*>(from_child.data());
  std::size_t left = from_child.size() * sizeof(ActivityId);
  while (left > 0) {
    const ssize_t n = read(pipe_fds[0], bytes, left);
    ASSERT_GT(n, 0) << "the child sent fewer ids than it made";
    bytes += n;
    left -= static_cast<std::size_t>(n);
  }
  close(pipe_fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  std::vector<ActivityId> all = parent;
  all.insert(all.end(), from_child.begin(), from_child.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end())
      << "the child handed out an id its parent handed out too";
}

}  // namespace
}  // namespace cctv::core
