#include "core/id_generator.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace cctv::core
