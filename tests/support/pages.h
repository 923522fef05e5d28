// Following a view's cursors to the end, checking the paging contract on
// the way: no page longer than its limit, no short page before the last.
#ifndef CCTV_TESTS_SUPPORT_PAGES_H_
#define CCTV_TESTS_SUPPORT_PAGES_H_

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "cctv/cctv.h"

namespace cctv::testing {

// Every activity of a view of `key` (an actor when `by_actor`), page after
// page of options.limit from options.cursor on. Counts the pages into
// `pages` if given, and calls `between_pages` after every page but the last.
inline std::vector<Activity> all_pages(const Tracker& t, bool by_actor, const std::string& key,
                                       ViewOptions options, const TimeRange& range = {},
                                       std::size_t* pages = nullptr,
                                       const std::function<void()>& between_pages = {}) {
  std::vector<Activity> out;
  std::size_t count = 0;
  for (;;) {
    const Page page = by_actor ? t.view_actor_activity(key, range, options) : t.view_activity(key, range, options);
    ++count;
    EXPECT_LE(page.activities.size(), options.limit);
    out.insert(out.end(), page.activities.begin(), page.activities.end());
    if (page.next_cursor.empty()) break;
    EXPECT_EQ(page.activities.size(), options.limit) << "a page before the last one is short";
    options.cursor = page.next_cursor;
    if (between_pages) between_pages();
  }
  if (pages != nullptr) *pages = count;
  return out;
}

inline ViewOptions pages_of(std::size_t limit, Order order = Order::kNewestFirst) {
  ViewOptions options;
  options.limit = limit;
  options.order = order;
  return options;
}

}  // namespace cctv::testing

#endif  // CCTV_TESTS_SUPPORT_PAGES_H_
