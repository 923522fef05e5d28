// Pages: every activity exactly once, in order, whatever arrives meanwhile.
#include <gtest/gtest.h>

#include <set>

#include "cctv/cctv.h"
#include "support/pages.h"
#include "support/temp_dir.h"

namespace cctv {
namespace {

using std::chrono::seconds;

const Timestamp kT0 = parse_time("2026-11-01T00:00:00Z");

// (time, id): the order of an index.
bool before(const Activity& a, const Activity& b) {
  return a.time < b.time || (a.time == b.time && a.id < b.id);
}

// Every activity of a view, page by page (tests/support/pages.h).
std::vector<Activity> all_pages(const Tracker& t, bool by_actor, const std::string& key,
                                std::size_t limit, Order order, std::size_t* pages = nullptr,
                                const std::function<void()>& between_pages = {}) {
  return testing::all_pages(t, by_actor, key, testing::pages_of(limit, order), {}, pages, between_pages);
}

class PagingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = std::make_unique<Client>(Client::open(dir_.store()));
    tracker_ = std::make_unique<Tracker>(client_->tracker("events"));
    // 25,000 activities on one target, by one actor; many share a second
    // and some share a microsecond, so (time, id) order matters.
    for (int i = 0; i < 25'000; ++i) {
      tracker_->record_activity("bob", "/store", {{"i", i}}, kT0 + Microseconds((i / 7) * 1000));
    }
    tracker_->flush();
  }
  testing::TempDir dir_;
  std::unique_ptr<Client> client_;
  std::unique_ptr<Tracker> tracker_;
};

void expect_each_once_in_order(const std::vector<Activity>& got, Order order) {
  ASSERT_EQ(got.size(), 25'000u);
  std::set<std::int64_t> seen;
  for (const auto& a : got) seen.insert(find(a.attributes, "i")->as_int());
  EXPECT_EQ(seen.size(), 25'000u) << "an activity came twice";
  for (std::size_t k = 1; k < got.size(); ++k) {
    if (order == Order::kNewestFirst) {
      ASSERT_TRUE(before(got[k], got[k - 1])) << "out of order at " << k;
    } else {
      ASSERT_TRUE(before(got[k - 1], got[k])) << "out of order at " << k;
    }
  }
}

TEST_F(PagingTest, NewestFirstByTarget) {
  std::size_t pages = 0;
  const auto got = all_pages(*tracker_, false, "/store", 1000, Order::kNewestFirst, &pages);
  EXPECT_EQ(pages, 25u);
  expect_each_once_in_order(got, Order::kNewestFirst);
}

TEST_F(PagingTest, OldestFirstByTarget) {
  expect_each_once_in_order(all_pages(*tracker_, false, "/store", 1000, Order::kOldestFirst),
                            Order::kOldestFirst);
}

TEST_F(PagingTest, ByActorBothOrders) {
  expect_each_once_in_order(all_pages(*tracker_, true, "bob", 1000, Order::kNewestFirst),
                            Order::kNewestFirst);
  expect_each_once_in_order(all_pages(*tracker_, true, "bob", 1000, Order::kOldestFirst),
                            Order::kOldestFirst);
}

TEST_F(PagingTest, OddPageSizes) {
  std::size_t pages = 0;
  expect_each_once_in_order(all_pages(*tracker_, false, "/store", 999, Order::kNewestFirst, &pages),
                            Order::kNewestFirst);
  EXPECT_EQ(pages, 26u);
  expect_each_once_in_order(
      all_pages(*tracker_, false, "/store", 10'000, Order::kOldestFirst, &pages),
      Order::kOldestFirst);
  EXPECT_EQ(pages, 3u);
}

TEST_F(PagingTest, NewActivitiesBetweenPagesNeitherOverlapNorSkip) {
  // While a reader pages, writers keep recording: newer activities, and
  // activities back-dated into the middle of the range already paged. The
  // pages still hold every original activity exactly once, in order.
  int extra = 0;
  auto record_more = [&] {
    for (int k = 0; k < 50; ++k, ++extra) {
      tracker_->record_activity("bob", "/store", {{"i", 100'000 + extra}},
                                now());  // newer than everything
      tracker_->record_activity("bob", "/store", {{"i", 200'000 + extra}},
                                kT0 + Microseconds((extra * 37 % 3500) * 1000));  // back-dated
    }
    tracker_->flush();
  };
  for (Order order : {Order::kNewestFirst, Order::kOldestFirst}) {
    const auto got = all_pages(*tracker_, false, "/store", 1000, order, nullptr, record_more);
    std::vector<Activity> original;
    std::set<ActivityId> ids;
    for (const auto& a : got) {
      EXPECT_TRUE(ids.insert(a.id).second) << "an activity came twice";
      if (find(a.attributes, "i")->as_int() < 25'000) original.push_back(a);
    }
    expect_each_once_in_order(original, order);
    for (std::size_t k = 1; k < got.size(); ++k) {
      ASSERT_TRUE(order == Order::kNewestFirst ? before(got[k], got[k - 1])
                                               : before(got[k - 1], got[k]));
    }
  }
}

TEST_F(PagingTest, ACursorOnlyFitsItsOwnQuery) {
  ViewOptions options;
  options.limit = 10;
  const Page first = tracker_->view_activity("/store", {}, options);
  ASSERT_FALSE(first.next_cursor.empty());
  options.cursor = first.next_cursor;
  EXPECT_THROW(tracker_->view_activity("/elsewhere", {}, options), InvalidArgument);
  EXPECT_THROW(tracker_->view_actor_activity("/store", {}, options), InvalidArgument);
  options.order = Order::kOldestFirst;
  EXPECT_THROW(tracker_->view_activity("/store", {}, options), InvalidArgument);
  options.order = Order::kNewestFirst;
  EXPECT_EQ(tracker_->view_activity("/store", {}, options).activities.size(), 10u);
}

TEST_F(PagingTest, RangeAndCursorTogether) {
  const TimeRange range = TimeRange::between(kT0 + seconds(1), kT0 + seconds(2));
  const auto got = testing::all_pages(*tracker_, false, "/store", testing::pages_of(100), range);
  for (const auto& a : got) EXPECT_TRUE(range.contains(a.time));
  // Activities i with i/7 in [1000, 2000): i in [7000, 14000).
  EXPECT_EQ(got.size(), 7000u);
}

}  // namespace
}  // namespace cctv
