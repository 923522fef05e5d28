// Base64 as DynamoDB writes binary values: what cctv's sketches travel in.
#include "store/dynamodb/json_access.h"

#include <gtest/gtest.h>

#include <random>

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

}  // namespace
}  // namespace cctv::store::dynamodb
