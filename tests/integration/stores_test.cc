// What every store does alike, run on each: the embedded store (a real
// RocksDB), DynamoDB (a real dynalite) and a cctv server.
#include <gtest/gtest.h>

#include <set>

#include "cctv/cctv.h"
#include "support/stores.h"

namespace cctv {
namespace {

// The whole table a page at a time (Tracker::view_all_activity), on both
// stores: every activity in the range exactly once, none outside it.
class WholeTablePages : public ::testing::TestWithParam<std::string> {
 protected:
  std::string store() { return store_.uri(); }
  testing::StoreUnderTest store_{GetParam()};
};

INSTANTIATE_TEST_SUITE_P(Stores, WholeTablePages, testing::kEveryStore, testing::store_name);

TEST_P(WholeTablePages, EveryActivityInTheRangeOnceAcrossPages) {
  const Timestamp t0 = parse_time("2026-11-01T00:00:00Z");
  Client client = Client::open(store());
  Tracker events = client.tracker("events");
  constexpr int kInRange = 1500;
  for (int i = 0; i < kInRange; ++i) {
    events.record_activity("u" + std::to_string(i % 13), "/t/" + std::to_string(i % 41), {{"i", i}},
                           t0 + std::chrono::seconds(i));
  }
  // Before and at the end of the range: never shown.
  for (int i = 0; i < 50; ++i) {
    events.record_activity("u", "/t/" + std::to_string(i % 41), {{"i", -1}},
                           i % 2 ? t0 - std::chrono::seconds(1 + i) : t0 + std::chrono::hours(1));
  }
  events.flush();
  const TimeRange range{t0, t0 + std::chrono::hours(1)};
  ViewOptions options;
  options.limit = 97;
  std::set<std::int64_t> seen;
  std::vector<std::string> targets_in_order;
  std::size_t pages = 0;
  do {
    const Page page = events.view_all_activity(range, options);
    ASSERT_LE(page.activities.size(), 97u);
    for (const Activity& a : page.activities) {
      const std::int64_t i = find(a.attributes, "i")->as_int();
      ASSERT_GE(i, 0) << "an activity outside the range was shown";
      EXPECT_TRUE(seen.insert(i).second) << "activity " << i << " came twice";
      if (targets_in_order.empty() || targets_in_order.back() != a.target)
        targets_in_order.push_back(a.target);
    }
    options.cursor = page.next_cursor;
    ASSERT_LT(++pages, 1000u);
  } while (!options.cursor.empty());
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kInRange));
  EXPECT_GE(pages, 1500u / 97);
  // Target by target: each target's activities come together.
  std::set<std::string> distinct(targets_in_order.begin(), targets_in_order.end());
  EXPECT_EQ(distinct.size(), targets_in_order.size()) << "a target came back after another";

  ViewOptions bad;
  bad.limit = 0;
  EXPECT_THROW(events.view_all_activity(range, bad), InvalidArgument);
  bad.limit = 10;
  bad.order = Order::kOldestFirst;
  EXPECT_THROW(events.view_all_activity(range, bad), InvalidArgument);
  ViewOptions first;
  first.limit = 5;
  const Page view = events.view_activity("/t/1", range, first);
  ASSERT_FALSE(view.next_cursor.empty());
  ViewOptions foreign;
  foreign.cursor = view.next_cursor;
  EXPECT_THROW(events.view_all_activity(range, foreign), InvalidArgument) << "a view's cursor";
}

}  // namespace
}  // namespace cctv
