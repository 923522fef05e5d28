#include "store/dynamodb/count_items.h"

#include <gtest/gtest.h>

#include <random>

namespace cctv::store::dynamodb {
namespace {

HeldMinutes none() {
  HeldMinutes hour;
  hour.fill(-1);
  return hour;
}

TEST(HeldMinutes, RoundTrip) {
  std::mt19937_64 rng(7);
  std::vector<HeldMinutes> hours(24, none());
  hours[1][0] = 0;                              // the first write minute there is
  hours[1][63] = 29'400'000;                    // the last bucket
  hours[2].fill(29'400'010);                    // every bucket, one minute
  hours[3][5] = INT64_MAX;                      // as large as it gets
  hours[3][6] = 3;                              // and down again
  for (int b = 0; b < kCountBuckets; b += 3) {  // some buckets, scattered
    hours[23][static_cast<std::size_t>(b)] = 29'400'000 + static_cast<std::int64_t>(rng() % 20'000);
  }
  std::vector<HeldMinutes> back = {none()};  // appended to
  ASSERT_TRUE(decode_held_minutes(encode_held_minutes(hours), back));
  ASSERT_EQ(back.size(), 25u);
  EXPECT_EQ(back.front(), none());
  EXPECT_EQ(std::vector<HeldMinutes>(back.begin() + 1, back.end()), hours);

  std::vector<HeldMinutes> empty;
  ASSERT_TRUE(decode_held_minutes(encode_held_minutes({}), empty));
  EXPECT_TRUE(empty.empty());
}

// A day's list names 24 x 64 write minutes in its first page: close
// together, as a day closed in turn has them, they take under 2 KB of it.
TEST(HeldMinutes, ADayClosedInTurnTakesUnderTwoKilobytes) {
  std::vector<HeldMinutes> day(24);
  for (std::size_t h = 0; h < 24; ++h) {
    for (std::size_t b = 0; b < kCountBuckets; ++b)
      day[h][b] = 29'400'000 + static_cast<std::int64_t>(h * 60 + 59 + (b * 7) % 3);
  }
  EXPECT_LT(encode_held_minutes(day).size(), 2'000u);
}

TEST(HeldMinutes, BytesThatAreNoneAreRefusedAndAppendNothing) {
  HeldMinutes hour = none();
  hour[0] = 29'400'000;
  hour[9] = 29'400'001;
  const std::string good = encode_held_minutes({&hour, 1});
  std::vector<std::string> bad = {
      "",                                           // nothing
      "\x02" + good.substr(1),                      // another version
      good.substr(0, good.size() - 1),              // cut in a write minute
      good.substr(0, 3),                            // a mask and none of its minutes
      std::string("\x01\xff", 2),                   // a mask cut short
      std::string("\x01\x01\x01", 3),               // bucket 0 at -1: below zero
      std::string("\x01") + std::string(25, '\0'),  // 25 hours: more than a day
  };
  for (const std::string& bytes : bad) {
    std::vector<HeldMinutes> out = {hour};
    EXPECT_FALSE(decode_held_minutes(bytes, out)) << testing::PrintToString(bytes);
    EXPECT_EQ(out.size(), 1u);
  }
}

}  // namespace
}  // namespace cctv::store::dynamodb
