#include "core/attribute_codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "cctv/error.h"

namespace cctv::core {
namespace {

Attributes round_trip(const Attributes& a) {
  std::string encoded;
  encode_attributes(a, encoded);
  return decode_attributes(encoded);
}

Attributes every_type() {
  return Attributes{
      {"null", nullptr},
      {"no", false},
      {"yes", true},
      {"zero", 0},
      {"min", std::numeric_limits<std::int64_t>::min()},
      {"max", std::numeric_limits<std::int64_t>::max()},
      {"one_point_oh", 1.0},
      {"negative_zero", -0.0},
      {"tenth", 0.1},
      {"huge", 9.99e125},
      {"tiny", -1e-130},
      {"empty", ""},
      {"unicode", "caf\xc3\xa9 \xf0\x9f\x98\x80"},
      {"nul inside", std::string("a\0b", 3)},
      {"list", List{1, "two", 3.0, nullptr, List{}, Map{}}},
      {"map", Map{{"z", 1}, {"a", Map{{"deep", List{true}}}}}},
  };
}

TEST(AttributeCodec, RoundTripsEveryTypeExactly) {
  const Attributes a = every_type();
  const Attributes b = round_trip(a);
  EXPECT_EQ(a, b);
  // Exactly: integer stays integer, 1.0 stays double, -0.0 keeps its sign.
  EXPECT_TRUE(find(b, "one_point_oh")->is_double());
  EXPECT_TRUE(std::signbit(find(b, "negative_zero")->as_double()));
  EXPECT_TRUE(find(b, "max")->is_int());
  EXPECT_EQ(b.front().first, "null");  // order kept
  EXPECT_EQ(b.back().first, "map");
}

TEST(AttributeCodec, EmptyAttributes) { EXPECT_TRUE(round_trip({}).empty()); }

std::string error_of(const Attributes& a) {
  std::string out;
  try {
    encode_attributes(a, out);
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return "<accepted>";
}

TEST(AttributeCodec, RejectsReservedNames) {
  for (const char* name :
       {"actor", "target", "timestamp", "id", "expires_at", "_cctv_put", "_cctv_c"}) {
    const std::string msg = error_of({{name, 1}});
    EXPECT_NE(msg.find(std::string("attribute '") + name + "'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("reserved"), std::string::npos) << msg;
  }
  // Reserved only at the top level, where they would collide with cctv's own.
  EXPECT_EQ(error_of({{"meta", Map{{"id", 1}}}}), "<accepted>");
}

TEST(AttributeCodec, NamesThePathOfTheBadValue) {
  EXPECT_EQ(error_of({{"a", 1}, {"a", 2}}), "attribute 'a': appears more than once");
  EXPECT_EQ(error_of({{"", 1}}), "attributes: names must not be empty");
  EXPECT_EQ(error_of({{"price", std::nan("")}}),
            "attribute 'price': NaN and infinity cannot be stored (not JSON)");
  EXPECT_EQ(
      error_of({{"cart", Map{{"items", List{1, 2, std::numeric_limits<double>::infinity()}}}}}),
      "attribute 'cart.items[2]': NaN and infinity cannot be stored (not JSON)");
  EXPECT_EQ(error_of({{"s", "\xff"}}),
            "attribute 's': string is not valid UTF-8 (bad byte at offset 0)");
  EXPECT_EQ(error_of({{"m", Map{{"\xff", 1}}}}), "attribute 'm.\xff': name is not valid UTF-8");
}

TEST(AttributeCodec, NumbersStayInDynamoRange) {
  for (double bad : {1e126, -1e300, 1e-131, 5e-324}) {
    EXPECT_NE(error_of({{"x", bad}}).find("DynamoDB's number range"), std::string::npos) << bad;
  }
  EXPECT_EQ(error_of({{"x", 0.0}, {"y", -0.0}, {"z", 1e-130}, {"w", -9.9e125}}), "<accepted>");
}

TEST(AttributeCodec, RejectsDuplicatesInLargeMaps) {
  Attributes a;
  for (int i = 0; i < 100; ++i) a.emplace_back("k" + std::to_string(i), i);
  EXPECT_EQ(error_of(a), "<accepted>");
  a.emplace_back("k42", 0);
  EXPECT_EQ(error_of(a), "attribute 'k42': appears more than once");
}

TEST(AttributeCodec, NestingLimit) {
  Value deep = 1;
  for (int i = 0; i < kMaxNesting; ++i) deep = Value(List{deep});
  EXPECT_EQ(error_of({{"ok", deep}}), "<accepted>");
  deep = Value(List{deep});
  EXPECT_NE(error_of({{"deep", deep}}).find("nests deeper than 32 levels"), std::string::npos);
}

TEST(AttributeCodec, SizeFollowsDynamoAccounting) {
  std::string out;
  EXPECT_EQ(encode_attributes({{"browser", "Chrome"}}, out), 7u + 6u);
  out.clear();
  EXPECT_EQ(encode_attributes({{"n", 12345}}, out), 1u + 4u);  // 5 digits: 3 bytes + 1
  out.clear();
  EXPECT_EQ(encode_attributes({{"b", true}, {"z", nullptr}}, out), 2u + 2u);
}

TEST(AttributeCodec, CorruptInputThrowsNeverCrashes) {
  std::string encoded;
  encode_attributes(every_type(), encoded);
  for (std::size_t len = 0; len < encoded.size(); ++len) {
    EXPECT_THROW(decode_attributes(std::string_view(encoded).substr(0, len)), StoreError) << len;
  }
  EXPECT_THROW(decode_attributes(encoded + "x"), StoreError);
  // Every single-byte corruption either decodes to something or throws.
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    std::string bad = encoded;
    bad[i] = static_cast<char>(bad[i] ^ 0x5A);
    try {
      decode_attributes(bad);
    } catch (const StoreError&) {
    }
  }
}

}  // namespace
}  // namespace cctv::core
