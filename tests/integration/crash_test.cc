// A writer killed with SIGKILL loses nothing it had flushed, and leaves a
// store that opens cleanly.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <set>

#include "cctv/cctv.h"
#include "support/crash_writer_process.h"
#include "support/pages.h"
#include "support/temp_dir.h"

namespace cctv {
namespace {

TEST(Crash, FlushedActivitiesSurviveSigkill) {
  constexpr int kFlushed = 50'000;
  testing::TempDir dir;
  // Let it record (and write some batches) past the flush, then kill it.
  const testing::WriterEnd end = testing::run_crash_writer({dir.store(), std::to_string(kFlushed)},
                                                           std::chrono::milliseconds(300));
  ASSERT_EQ(end.said, "flushed\n") << "the writer did not flush";
  ASSERT_TRUE(WIFSIGNALED(end.status));

  Client client = Client::open(dir.store());
  Tracker t = client.tracker("events");
  std::set<std::int64_t> flushed;
  std::size_t after = 0;
  t.for_each_activity(TimeRange::all(), [&](const Activity& a) {
    const std::int64_t i = find(a.attributes, "i")->as_int();
    if (i < kFlushed) {
      flushed.insert(i);
    } else {
      ++after;
    }
  });
  EXPECT_EQ(flushed.size(), static_cast<std::size_t>(kFlushed));
  // Whatever was written after the flush is whole: in both indexes or neither.
  const std::size_t by_actor =
      testing::all_pages(t, true, "writer", testing::pages_of(kMaxViewLimit)).size();
  EXPECT_EQ(by_actor, kFlushed + after);
  // And counted: counts the kill kept from being written were recounted
  // when the store was opened again.
  EXPECT_GT(after, 0u) << "the writer wrote nothing after its flush; the recount went untested";
  const TimeRange days{now() - std::chrono::hours(48), now() + std::chrono::hours(1)};
  std::int64_t counted = 0;
  for (const auto& p : t.count_activity(days, Bucket::kDay)) counted += p.count;
  EXPECT_EQ(counted, static_cast<std::int64_t>(kFlushed + after));
  std::int64_t counted_after = 0;
  for (const auto& p : t.count_activity("/after", days, Bucket::kDay)) counted_after += p.count;
  EXPECT_EQ(counted_after, static_cast<std::int64_t>(after));
}

}  // namespace
}  // namespace cctv
