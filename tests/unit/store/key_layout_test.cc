#include "store/embedded/key_layout.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <tuple>
#include <vector>

namespace cctv::store::embedded {
namespace {

std::string key(std::string_view k, std::int64_t t, std::uint64_t id) {
  std::string out;
  append_index_key(out, k, t, id);
  return out;
}

TEST(KeyLayout, ParsesWhatItWrites) {
  IndexKey k;
  const std::string encoded = key("/store", 1411702475000000, 42);
  ASSERT_TRUE(parse_index_key(encoded, k));
  EXPECT_EQ(k.key, "/store");
  EXPECT_EQ(k.time_us, 1411702475000000);
  EXPECT_EQ(k.id, 42u);
  EXPECT_FALSE(parse_index_key("", k));
  EXPECT_FALSE(parse_index_key(key("/store", 1, 2) + "x", k));
  EXPECT_FALSE(parse_index_key(key("/store", 1, 2).substr(0, 10), k));
}

TEST(KeyLayout, BytesOrderNewestFirstWithinAKey) {
  std::mt19937_64 rng(7);
  std::vector<std::tuple<std::int64_t, std::uint64_t>> tuples;
  for (int i = 0; i < 5000; ++i) {
    tuples.emplace_back(static_cast<std::int64_t>(rng() % 10'000'000'000'000'000ULL), rng());
  }
  // Edge values: same time, ids at the extremes.
  tuples.emplace_back(5, 0);
  tuples.emplace_back(5, UINT64_MAX);
  tuples.emplace_back(0, 1);
  std::vector<std::string> keys;
  for (auto [t, id] : tuples) keys.push_back(key("/store", t, id));
  std::vector<std::size_t> by_bytes(tuples.size()), by_tuple(tuples.size());
  for (std::size_t i = 0; i < tuples.size(); ++i) by_bytes[i] = by_tuple[i] = i;
  std::sort(by_bytes.begin(), by_bytes.end(), [&](auto a, auto b) { return keys[a] < keys[b]; });
  std::sort(by_tuple.begin(), by_tuple.end(),
            [&](auto a, auto b) { return tuples[a] > tuples[b]; });
  EXPECT_EQ(by_bytes, by_tuple);
}

TEST(KeyLayout, EachKeyIsOneContiguousRange) {
  // No key of one target may sort between two keys of another, even when one
  // target is a prefix of the other or they share bytes with the suffix.
  const std::vector<std::string> names = {
      "a", "ab", "a\x01", std::string("a\0", 2), "b", std::string(200, 'z'), std::string(130, 'z')};
  std::vector<std::pair<std::string, std::string>> all;  // encoded, name
  for (const auto& n : names) {
    for (std::int64_t t : std::initializer_list<std::int64_t>{0, 1, 9'999'999'999'999'999}) {
      for (std::uint64_t id : std::initializer_list<std::uint64_t>{0, 1, UINT64_MAX})
        all.emplace_back(key(n, t, id), n);
    }
  }
  std::sort(all.begin(), all.end());
  std::vector<std::string> runs;
  for (const auto& [encoded, name] : all) {
    if (runs.empty() || runs.back() != name) runs.push_back(name);
  }
  EXPECT_EQ(runs.size(), names.size()) << "some target's keys are split into several runs";
}

TEST(KeyLayout, IndexRangeHoldsExactlyTheHalfOpenRange) {
  std::vector<std::pair<std::int64_t, std::string>> keys;
  for (std::int64_t t : {0LL, 1LL, 99LL, 100LL, 101LL, 199LL, 200LL, 201LL}) {
    for (std::uint64_t id : std::initializer_list<std::uint64_t>{0, 1, UINT64_MAX}) {
      keys.emplace_back(t, key("/x", t, id));
    }
  }
  const std::vector<std::string> others = {key("/w", 150, 5), key("/xx", 150, 5), key("x", 150, 5)};
  std::string lower, upper;
  for (std::int64_t from : {0LL, 1LL, 100LL, 101LL}) {
    for (std::int64_t to : {101LL, 200LL, 201LL, 10'000'000'000'000'000LL}) {
      index_range("/x", from, to, lower, upper);
      for (const auto& [t, k] : keys) {
        EXPECT_EQ(lower <= k && k < upper, from <= t && t < to) << t << " in [" << from << ", " << to << ")";
      }
      for (const auto& other : others) EXPECT_FALSE(lower <= other && other < upper);
    }
  }
  const std::string past = past_all_keys_of("/x");
  for (const auto& [t, k] : keys) EXPECT_LT(k, past);
  for (const auto& other : {key("/xa", 0, 0), key("/y", 0, 0)}) EXPECT_GT(other, past);
}

TEST(StoredValue, ParsesWhatItWrites) {
  std::string value;
  append_stored_value(value, "bob", "ATTRS");
  std::string_view other, attributes;
  ASSERT_TRUE(parse_stored_value(value, other, attributes));
  EXPECT_EQ(other, "bob");
  EXPECT_EQ(attributes, "ATTRS");
  EXPECT_FALSE(parse_stored_value("", other, attributes));
  EXPECT_FALSE(parse_stored_value("\x02", other, attributes));
  EXPECT_FALSE(parse_stored_value(std::string("\x01\x09", 2) + "bob", other, attributes));
}

}  // namespace
}  // namespace cctv::store::embedded
