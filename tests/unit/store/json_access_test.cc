// Base64 as DynamoDB writes binary values: what cctv's sketches travel in.
#include "store/dynamodb/json_access.h"

#include <gtest/gtest.h>

#include <random>

#include "cctv/error.h"

namespace cctv::store::dynamodb {
namespace {

TEST(Base64, RoundTripsEveryLength) {
  std::mt19937 rng(4);
  for (std::size_t n = 0; n < 70; ++n) {
    std::string bytes(n, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    std::string back;
    ASSERT_TRUE(base64_decode(base64_encode(bytes), back)) << n;
    EXPECT_EQ(back, bytes) << n;
  }
  EXPECT_EQ(base64_encode("cctv"), "Y2N0dg==");
}

TEST(Base64, RefusesWhatIsNotBase64) {
  std::string out;
  for (const char* bad : {"Y2N0dg=", "====", "QQ=A", "Y2=0dg==", "Y2N0d===", "Y2N0!g=="}) {
    EXPECT_FALSE(base64_decode(bad, out)) << bad;
  }
}

// Responses come from engines cctv does not control: whatever a response
// holds is read or refused as a StoreError, never a crash.
TEST(Responses, HostileBodiesAreStoreErrorsNotCrashes) {
  const std::string deep = std::string(1'000'000, '[') + std::string(1'000'000, ']');
  EXPECT_THROW(parse(deep, "Query"), StoreError);  // parses (iteratively), but is not an object
  EXPECT_THROW(parse(std::string(1'000'000, '{'), "Query"), StoreError);
  EXPECT_THROW(parse("", "Query"), StoreError);
  EXPECT_THROW(parse("{\"a\":\"\xff\"}", "Query"), StoreError);  // invalid UTF-8
  // Numbers that crash RapidJSON 1.1.0's conversion are kept as text.
  const std::string zeros = "0." + std::string(400, '0');
  // Past a double's range, RapidJSON refuses the document.
  EXPECT_THROW(parse(R"({"Count":1e400})", "Query"), StoreError);
  EXPECT_THROW(parse(R"({"Count":)" + std::string(500, '9') + "}", "Query"), StoreError);
  for (const std::string& number :
       {zeros, std::string("0.0000000001e-2147483639"), std::string("1e-400")}) {
    const auto doc = parse("{\"Count\":" + number + ",\"Items\":[]}", "Query");
    ASSERT_TRUE(doc.IsObject()) << number;
    EXPECT_TRUE(member(doc, "Count").IsString()) << number;
  }
}

TEST(Responses, NumbersAreReadFromTheirText) {
  const auto doc = parse(R"({"ItemCount":42,"Size":1.5e3,"Zero":0.)" + std::string(400, '0') +
                             R"(,"Tiny":1e-400,"Text":"7","Word":"seven"})",
                         "DescribeTable");
  EXPECT_EQ(number_member(doc, "ItemCount"), 42.0);
  EXPECT_EQ(number_member(doc, "Size"), 1500.0);
  EXPECT_EQ(number_member(doc, "Zero"), 0.0);
  EXPECT_EQ(number_member(doc, "Tiny"), std::nullopt);  // no double holds it
  EXPECT_EQ(number_member(doc, "Text"), 7.0);           // a number in quotes reads the same
  EXPECT_EQ(number_member(doc, "Word"), std::nullopt);
  EXPECT_EQ(number_member(doc, "Missing"), std::nullopt);
}

}  // namespace
}  // namespace cctv::store::dynamodb
