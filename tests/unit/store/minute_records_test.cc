#include "store/dynamodb/minute_records.h"

#include <gtest/gtest.h>

#include <random>

#include "core/hyperloglog.h"

namespace cctv::store::dynamodb {
namespace {

std::vector<std::uint32_t> entries_of(int actors, int seed) {
  std::vector<std::uint32_t> entries;
  for (int a = 0; a < actors; ++a) {
    entries.push_back(
        core::HyperLogLog::entry(core::actor_hash("u" + std::to_string(seed * 100'000 + a))));
  }
  core::HyperLogLog::normalize_entries(entries);
  return entries;
}

TEST(MinuteRecords, RoundTripKeepingEverything) {
  std::vector<MinuteRecord> records = {
      {"/store/products/goji", 29'400'000, 3, entries_of(3, 1)},
      {"/store/products/goji", 29'399'990, 1, entries_of(1, 2)},  // minutes need not ascend
      {"", 29'400'000, 60'000, entries_of(60'000, 3)},            // the whole table: dense
      {std::string("\0bin\xff", 5), -5, 1, {}},
  };
  std::string payload;
  encode_records(records, payload);
  std::vector<MinuteRecord> back;
  ASSERT_TRUE(decode_records(payload, back));
  EXPECT_EQ(back, records);
  for (const MinuteRecord& r : records) EXPECT_GT(encoded_size_bound(r), 0u);
  std::string alone;
  encode_records(std::span(records).subspan(2, 1), alone);
  EXPECT_LE(alone.size(), 2 + 10 + encoded_size_bound(records[2]));
  EXPECT_LT(alone.size(), 40'000u) << "a dense minute of one target stays well under 400 KB";
}

TEST(MinuteRecords, KeepsTheHighestRankOfEachRegister) {
  std::vector<std::uint32_t> e = {(7u << 6) | 3, (2u << 6) | 1, (7u << 6) | 9, (2u << 6) | 4,
                                  (5u << 6) | 2};
  core::HyperLogLog::normalize_entries(e);
  EXPECT_EQ(e, (std::vector<std::uint32_t>{(2u << 6) | 4, (5u << 6) | 2, (7u << 6) | 9}));
}

TEST(MinuteRecords, RefusesWhatItDidNotWriteAndReadsNothingOfIt) {
  std::string good;
  const std::vector<MinuteRecord> one = {{"/x", 100, 2, {(1u << 6) | 2, (4u << 6) | 1}}};
  encode_records(one, good);
  std::vector<MinuteRecord> out;
  // Every truncation, and trailing bytes.
  for (std::size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(decode_records(std::string_view(good).substr(0, n), out)) << n;
  }
  EXPECT_FALSE(decode_records(good + "x", out));
  std::string other = good;
  other[0] = 2;  // another version
  EXPECT_FALSE(decode_records(other, out));
  auto with = [](const MinuteRecord& r) {
    std::string p;
    encode_records(std::span(&r, 1), p);
    return p;
  };
  EXPECT_FALSE(decode_records(with({"/x", 1, 0, {}}), out)) << "a record of no activity";
  EXPECT_FALSE(decode_records(with({"/x", 1, 1, {(4u << 6) | 1, (1u << 6) | 2}}), out))
      << "descending";
  EXPECT_FALSE(decode_records(with({"/x", 1, 1, {(4u << 6) | 1, (4u << 6) | 2}}), out))
      << "a register twice";
  EXPECT_FALSE(decode_records(with({"/x", 1, 1, {core::HyperLogLog::kRegisters << 6}}), out));
  // An entry step that wraps past 2^64 to an earlier entry (found by
  // fuzz_minute_records): refused, not read out of order.
  EXPECT_FALSE(decode_records(std::string("\x01\x01\x00\x29\x02\x04\xff\x01\x01\xff\xff\xff\xff"
                                          "\xff\xff\xff\xff\xff\x01\x02",
                                          20),
                              out));
  // A count of records the bytes cannot hold.
  EXPECT_FALSE(decode_records(std::string("\x01\xff\xff\xff\xff\x0f", 6), out));
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(decode_records(good, out));
  EXPECT_EQ(out, one);
}

}  // namespace
}  // namespace cctv::store::dynamodb
