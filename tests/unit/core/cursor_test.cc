#include "core/cursor.h"

#include <gtest/gtest.h>

#include "cctv/error.h"

namespace cctv::core {
namespace {

TEST(Cursor, RoundTrips) {
  const std::uint32_t fp = query_fingerprint("store-pageviews", 't', "/store");
  const Position p{1411702475123456, 0xfedcba9876543210ULL};
  const std::string cursor = encode_cursor(fp, Order::kNewestFirst, p);
  EXPECT_EQ(
      cursor.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos)
      << "cursor must be URL-safe: " << cursor;
  const Position q = decode_cursor(cursor, fp, Order::kNewestFirst);
  EXPECT_EQ(q.time_us, p.time_us);
  EXPECT_EQ(q.id, p.id);
}

TEST(Cursor, RefusesAnotherQueryOrOrder) {
  const std::uint32_t fp = query_fingerprint("views", 't', "/a");
  const std::string cursor = encode_cursor(fp, Order::kOldestFirst, Position{1, 2});
  EXPECT_THROW(decode_cursor(cursor, query_fingerprint("views", 't', "/b"), Order::kOldestFirst),
               InvalidArgument);
  EXPECT_THROW(decode_cursor(cursor, query_fingerprint("views", 'a', "/a"), Order::kOldestFirst),
               InvalidArgument);
  EXPECT_THROW(decode_cursor(cursor, query_fingerprint("other", 't', "/a"), Order::kOldestFirst),
               InvalidArgument);
  EXPECT_THROW(decode_cursor(cursor, fp, Order::kNewestFirst), InvalidArgument);
}

TEST(Cursor, RefusesGarbage) {
  const std::uint32_t fp = query_fingerprint("views", 't', "/a");
  const std::string cursor = encode_cursor(fp, Order::kOldestFirst, Position{1, 2});
  for (const std::string& bad : {std::string("garbage"), std::string(""), cursor.substr(1),
                                 cursor + "A", std::string("!!!!"), std::string(4096, 'A')}) {
    EXPECT_THROW(decode_cursor(bad, fp, Order::kOldestFirst), InvalidArgument) << bad;
  }
}

TEST(Cursor, FingerprintSeparatesParts) {
  // "ab"+"c" and "a"+"bc" must not look alike.
  EXPECT_NE(query_fingerprint("tab", 't', "lec"), query_fingerprint("tabl", 't', "ec"));
}

}  // namespace
}  // namespace cctv::core
