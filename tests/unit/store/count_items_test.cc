#include "store/dynamodb/count_items.h"

#include <gtest/gtest.h>

#include <algorithm>
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

namespace cctv::store::dynamodb {
namespace {

std::vector<std::uint64_t> round_trip(std::vector<std::uint64_t> ids) {
  std::string bytes;
  encode_intent_ids(ids, bytes);
  std::vector<std::uint64_t> back = {7};  // appended to
  EXPECT_TRUE(decode_intent_ids(bytes, back));
  back.erase(back.begin());
  return back;
}

TEST(IntentIds, RoundTripSortedAndUnique) {
  EXPECT_EQ(round_trip({}), std::vector<std::uint64_t>{});
  EXPECT_EQ(round_trip({UINT64_MAX, 1, 1, 0, UINT64_MAX - 1}),
            (std::vector<std::uint64_t>{0, 1, UINT64_MAX - 1, UINT64_MAX}));
  std::mt19937_64 rng(5);
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 5000; ++i) ids.push_back(rng());
  std::vector<std::uint64_t> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(round_trip(ids), sorted);
}

TEST(IntentIds, AProcesssRunsTakeAByteAnId) {
  // core::next_id() hands each thread blocks of one counter: runs.
  std::vector<std::uint64_t> ids;
  for (std::uint64_t block : {0x9e3779b97f4a7c15ULL, 0x9e3779b97f4a8c15ULL})
    for (std::uint64_t i = 0; i < 4096; ++i) ids.push_back(block + i);
  std::string bytes;
  encode_intent_ids(ids, bytes);
  EXPECT_LT(bytes.size(), 8192u + 20);
}

TEST(IntentIds, BytesThatAreNoneAreRefusedAndAppendNothing) {
  std::string good;
  std::vector<std::uint64_t> ids = {5, 9};
  encode_intent_ids(ids, good);
  const std::vector<std::string> bad = {
      "",                                      // no count
      std::string("\x03\x05\x04", 3),          // three promised, two there
      std::string("\x02\x05\x00", 3),          // a repeat (difference 0)
      good + "x",                              // bytes after the last
      std::string("\x80", 1),                  // a count cut short
      std::string("\xff\xff\xff\xff\x0f", 5),  // a count larger than the bytes
      // the second wraps past 2^64
      std::string("\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x02", 12),
  };
  for (const std::string& b : bad) {
    std::vector<std::uint64_t> out = {1};
    EXPECT_FALSE(decode_intent_ids(b, out)) << testing::PrintToString(b);
    EXPECT_EQ(out, std::vector<std::uint64_t>{1});
  }
}

}  // namespace
}  // namespace cctv::store::dynamodb
