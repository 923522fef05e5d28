// The activities of a POST body, as views into it, one per activity: the
// body is one JSON object, a JSON array of objects, or NDJSON (an object a
// line). Each item is parsed on its own (activity_from_json), so one bad
// item is reported by its index while the others go on.
#ifndef CCTV_SERVER_ACTIVITY_ITEMS_H_
#define CCTV_SERVER_ACTIVITY_ITEMS_H_

#include <string_view>
#include <vector>

namespace cctv::server {

// Splits `body`. With `ndjson`, each non-blank line is an item. Otherwise
// an object is one item and an array's elements are items (an element
// that is not an object is still an item: parsing it says what is wrong).
// Stops once it has `most` + 1 items (the caller refuses such a body, and
// splitting the rest would only cost memory). Throws
// InvalidArgument("body", ...) when the body is none of these: empty, an
// unterminated array or string, garbage after the JSON.
std::vector<std::string_view> split_activity_items(std::string_view body, bool ndjson,
                                                   std::size_t most);

}  // namespace cctv::server

#endif  // CCTV_SERVER_ACTIVITY_ITEMS_H_
