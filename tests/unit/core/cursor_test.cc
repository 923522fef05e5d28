#include "core/cursor.h"

#include <gtest/gtest.h>

#include "cctv/error.h"

namespace cctv::core {
namespace {

TEST(Cursor, RoundTrips) {
  const std::uint32_t fp = query_fingerprint("store-pageviews", 't', "/store");
  const std::string p("position\0\xff bytes", 17);
  const std::string cursor = encode_cursor(fp, Order::kNewestFirst, p);
  EXPECT_EQ(
      cursor.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos)
      << "cursor must be URL-safe: " << cursor;
  EXPECT_EQ(decode_cursor(cursor, fp, Order::kNewestFirst), p);
}

TEST(Cursor, RefusesAnotherQueryOrOrder) {
  const std::uint32_t fp = query_fingerprint("views", 't', "/a");
  const std::string cursor = encode_cursor(fp, Order::kOldestFirst, "pos");
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
  const std::string cursor = encode_cursor(fp, Order::kOldestFirst, "pos");
  for (const std::string& bad : {std::string("garbage"), std::string(""), cursor.substr(1),
                                 cursor.substr(0, 8), std::string("!!!!"), std::string(4096, 'A')}) {
    EXPECT_THROW(decode_cursor(bad, fp, Order::kOldestFirst), InvalidArgument) << bad;
  }
}

TEST(Cursor, FingerprintSeparatesParts) {
  // "ab"+"c" and "a"+"bc" must not look alike.
  EXPECT_NE(query_fingerprint("tab", 't', "lec"), query_fingerprint("tabl", 't', "ec"));
}

}  // namespace
}  // namespace cctv::core
