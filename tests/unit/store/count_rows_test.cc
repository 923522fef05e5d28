// The embedded store's count rows: a minute row carries its minutes' counts
// and then their sketches; the merge operator adds counts and unions
// sketches; readers take the part they need and refuse what is malformed.
#include "store/embedded/count_rows.h"

#include <gtest/gtest.h>

#include "core/coding.h"

namespace cctv::store::embedded {
namespace {

std::string sketch_of(std::initializer_list<const char*> actors) {
  core::HyperLogLog h;
  for (const char* a : actors) h.add(a);
  std::string out;
  h.encode(out);
  return out;
}

TEST(CountRows, MinuteRowsCarryCountsThenSketchesAndMerge) {
  const std::string key = row_key(kMinuteRow, 1000, "/home");
  const std::string s1 = sketch_of({"a", "b"});
  const std::string s2 = sketch_of({"b", "c"});
  std::string first, second, merged;
  encode_minute_row({{3, 2}, {7, 1}}, {{3, s1}, {7, s1}}, first);
  encode_minute_row({{3, 5}}, {{3, s2}}, second);
  ASSERT_TRUE(combine(key, first, second, merged));

  std::vector<std::int64_t> totals(60, 0);
  ASSERT_TRUE(add_row(kMinuteRow, merged, totals));
  EXPECT_EQ(totals[3], 7);
  EXPECT_EQ(totals[7], 1);
  core::HyperLogLog minute3;
  ASSERT_TRUE(merge_sketch_slot(key, merged, 3, minute3));
  EXPECT_EQ(minute3.estimate(), 3);  // a, b, c
  core::HyperLogLog minute9;
  ASSERT_TRUE(merge_sketch_slot(key, merged, 9, minute9));
  EXPECT_TRUE(minute9.empty());

  // A minute row written before sketches moved in: counts only.
  std::string counts_only;
  encode_row({{1, 4}}, counts_only);
  std::vector<std::int64_t> old_totals(60, 0);
  EXPECT_TRUE(add_row(kMinuteRow, counts_only, old_totals));
  EXPECT_EQ(old_totals[1], 4);
  core::HyperLogLog none;
  EXPECT_TRUE(merge_sketch_slot(key, counts_only, 1, none));
  EXPECT_TRUE(combine(key, counts_only, first, merged));
}

TEST(CountRows, DaySketchIsTheUnionOfTheHours) {
  const std::string key = sketch_key(Bucket::kHour, 24 * 500 + 3, "/home");
  EXPECT_EQ(key, sketch_key(Bucket::kDay, 500, "/home"));
  std::string row;
  encode_sketch_row({{3, sketch_of({"a"})}, {5, sketch_of({"b", "c"})}}, row);
  core::HyperLogLog day;
  ASSERT_TRUE(merge_sketch_slot(key, row, sketch_slot(Bucket::kDay, 500), day));
  EXPECT_EQ(day.estimate(), 3);
}

TEST(CountRows, MalformedRowsAreRefused) {
  std::string hour_row;
  encode_row({{2, 1}}, hour_row);
  std::vector<std::int64_t> totals(24, 0);
  EXPECT_TRUE(add_row(kHourRow, hour_row, totals));
  EXPECT_FALSE(add_row(kHourRow, hour_row + "x", totals)) << "an hour row holds counts only";
  std::string late;
  encode_row({{30, 1}}, late);
  std::string out;
  EXPECT_FALSE(combine(row_key(kHourRow, 1, "/x"), hour_row, late, out)) << "a day has 24 hours";
  std::string minute_row;
  encode_minute_row({{1, 1}}, {{1, sketch_of({"a"})}}, minute_row);
  EXPECT_FALSE(combine(row_key(kMinuteRow, 1, "/x"), minute_row,
                       minute_row.substr(0, minute_row.size() - 1), out));
}

// Found by fuzz_stored: a damaged count (past int64, or two that overflow
// when added) is a malformed row, not a wrapped total.
TEST(CountRows, CountsPastInt64AreMalformedNotWrapped) {
  std::string huge;
  encode_row({{2, INT64_MAX}}, huge);
  std::vector<std::int64_t> totals(24, 0);
  EXPECT_TRUE(add_row(kHourRow, huge, totals));
  EXPECT_FALSE(add_row(kHourRow, huge, totals)) << "INT64_MAX twice";
  std::string past;  // a count of 2^63 and more: never written by a store
  core::append_varint(past, 1);
  core::append_varint(past, 2);
  core::append_varint(past, std::uint64_t{1} << 63);
  totals.assign(24, 0);
  EXPECT_FALSE(add_row(kHourRow, past, totals));
  std::string out;
  EXPECT_FALSE(combine(row_key(kHourRow, 1, "/x"), huge, huge, out));
}

}  // namespace
}  // namespace cctv::store::embedded
