// How to ask for activities, and what comes back: a Page of activities plus
// an opaque cursor for the next page.
#ifndef CCTV_VIEW_H_
#define CCTV_VIEW_H_

#include <cstddef>
#include <string>
#include <vector>

#include "cctv/activity.h"
#include "cctv/export.h"

namespace cctv {

enum class Order {
  kNewestFirst,  // descending (time, id): the default
  kOldestFirst,  // ascending (time, id)
};

inline constexpr std::size_t kDefaultViewLimit = 100;
inline constexpr std::size_t kMaxViewLimit = 10'000;

struct CCTV_EXPORT ViewOptions {
  // Most activities in one page: 1..kMaxViewLimit. Default 100.
  std::size_t limit = kDefaultViewLimit;
  // Default newest first.
  Order order = Order::kNewestFirst;
  // Empty for the first page; Page::next_cursor of the previous page for
  // the next one. A cursor belongs to one table, index (target or actor),
  // key and order; using it with another query is an InvalidArgument.
  std::string cursor;
};

// One page of a view. Pages of one query never overlap and never skip an
// activity, even when new activities arrive between pages, because a cursor
// is a position in the index's (time, id) order, not an offset.
struct CCTV_EXPORT Page {
  std::vector<Activity> activities;
  // Empty when this is the last page.
  std::string next_cursor;
};

}  // namespace cctv

#endif  // CCTV_VIEW_H_
