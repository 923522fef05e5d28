#include "store/dynamodb/minute_gathering.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "core/bucket.h"
#include "core/hyperloglog.h"
#include "store/dynamodb/count_items.h"

namespace cctv::store::dynamodb {
namespace {

// What the gathering must give, built the plain way: per (target, minute)
// a count and a sketch of every actor entry.
struct Truth {
  std::map<std::pair<std::string, std::int64_t>,
           std::pair<std::int64_t, std::vector<std::uint32_t>>>
      cells;
  void add(const std::string& target, std::int64_t minute, std::uint32_t entry) {
    for (const std::string& t : {target, std::string()}) {
      auto& cell = cells[{t, minute}];
      ++cell.first;
      cell.second.push_back(entry);
    }
  }
  std::vector<std::vector<MinuteRecord>> by_bucket() {
    std::vector<std::vector<MinuteRecord>> out(kCountBuckets);
    for (auto& [where, cell] : cells) {
      core::HyperLogLog::normalize_entries(cell.second);
      out[static_cast<std::size_t>(count_bucket(where.first))].push_back(
          MinuteRecord{where.first, where.second, cell.first, cell.second});
    }
    return out;
  }
};

std::uint32_t entry_of(const std::string& actor) {
  return core::HyperLogLog::entry(core::actor_hash(actor));
}

TEST(MinuteGathering, GivesWhatCountingEachCellPlainlyGives) {
  std::mt19937_64 rng(7);
  MinuteGathering gathering;
  Truth truth;
  for (int i = 0; i < 60'000; ++i) {
    // Many targets, minutes mostly ascending with stragglers far behind,
    // one busy target whose minutes pass the point where a cell turns to
    // registers.
    const bool busy = rng() % 2 == 0;
    const std::string target = busy ? "/busy" : "/t/" + std::to_string(rng() % 3000);
    const std::int64_t minute =
        rng() % 10 == 0 ? 1'000 + static_cast<std::int64_t>(rng() % 300) : 29'000'000 + i / 6'000;
    const std::string actor = "u" + std::to_string(rng() % 20'000);
    gathering.add(target, core::actor_hash(target), minute, entry_of(actor));
    truth.add(target, minute, entry_of(actor));
  }
  const auto expected = truth.by_bucket();
  const auto got = gathering.take(true);
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t b = 0; b < got.size(); ++b) EXPECT_EQ(got[b], expected[b]) << "bucket " << b;
  EXPECT_TRUE(gathering.empty());
  EXPECT_EQ(gathering.take(), std::vector<std::vector<MinuteRecord>>(kCountBuckets));
}

TEST(MinuteGathering, TargetsWhoseHashesMeetStayApart) {
  // The caller's hash is trusted for finding a target, never for telling
  // two apart: every target here comes with the same one.
  MinuteGathering gathering;
  Truth truth;
  for (int i = 0; i < 5'000; ++i) {
    const std::string target = "/same-hash/" + std::to_string(i % 700);
    gathering.add(target, 42, 100 + i % 3, entry_of("a" + std::to_string(i)));
    truth.add(target, 100 + i % 3, entry_of("a" + std::to_string(i)));
  }
  std::map<std::pair<std::string, std::int64_t>, std::int64_t> counts;
  for (const auto& records : gathering.take()) {
    for (const MinuteRecord& r : records) {
      EXPECT_TRUE(counts.emplace(std::pair(r.target, r.minute), r.count).second)
          << r.target << " twice";
    }
  }
  ASSERT_EQ(counts.size(), truth.cells.size());
  for (const auto& [where, cell] : truth.cells) EXPECT_EQ(counts[where], cell.first) << where.first;
}

TEST(MinuteGathering, PrefetchingChangesNothing) {
  // Hints for targets present and absent, for hashes two targets share,
  // before the first target and across the table's growth: each reads
  // only within the gathering (the sanitizer builds check), and what is
  // gathered is what a gathering never hinted at gathers.
  using Step = MinuteGathering::Prefetch;
  MinuteGathering hinted;
  MinuteGathering plain;
  for (const Step step : {Step::kSlot, Step::kTarget, Step::kCell}) hinted.prefetch(7, step);
  std::mt19937_64 rng(11);
  for (int i = 0; i < 20'000; ++i) {
    const bool shared = i % 5 == 0;
    const std::string target = (shared ? "/shared-hash/" : "/t/") + std::to_string(rng() % 4'000);
    const std::uint64_t hash = shared ? 42 : core::actor_hash(target);
    const std::int64_t minute = 500 + i / 2'000;
    const std::uint32_t entry = entry_of(std::to_string(rng() % 900));
    for (const Step step : {Step::kSlot, Step::kTarget, Step::kCell}) {
      hinted.prefetch(hash, step);
      hinted.prefetch(rng(), step);
      hinted.prefetch(42, step);
    }
    hinted.add(target, hash, minute, entry);
    plain.add(target, hash, minute, entry);
  }
  EXPECT_EQ(hinted.take(true), plain.take(true));
  for (const Step step : {Step::kSlot, Step::kTarget, Step::kCell}) hinted.prefetch(42, step);
  EXPECT_TRUE(hinted.empty());
}

TEST(MinuteGathering, UnorderedTakeHoldsTheSameRecords) {
  MinuteGathering a;
  MinuteGathering b;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 10'000; ++i) {
    const std::string target = "/t/" + std::to_string(rng() % 500);
    const std::int64_t minute = static_cast<std::int64_t>(rng() % 5);
    const std::uint32_t entry = entry_of(std::to_string(rng() % 900));
    a.add(target, core::actor_hash(target), minute, entry);
    b.add(target, core::actor_hash(target), minute, entry);
  }
  auto unordered = a.take(false);
  const auto ordered = b.take(true);
  for (std::size_t k = 0; k < unordered.size(); ++k) {
    std::sort(unordered[k].begin(), unordered[k].end(),
              [](const MinuteRecord& x, const MinuteRecord& y) {
                return std::tie(x.target, x.minute) < std::tie(y.target, y.minute);
              });
    EXPECT_EQ(unordered[k], ordered[k]);
  }
}

// What a writer sends, the plain way: take(), split_records(), and the two
// encoders.
std::vector<MinuteGathering::Payloads> payloads_of_records(MinuteGathering& gathering,
                                                           std::size_t max_payload) {
  std::vector<MinuteGathering::Payloads> out;
  const auto by_bucket = gathering.take();
  for (int b = 0; b < kCountBuckets; ++b) {
    for (const auto run : split_records(by_bucket[static_cast<std::size_t>(b)], max_payload)) {
      MinuteGathering::Payloads& p = out.emplace_back();
      p.bucket = b;
      p.oldest_hour = INT64_MAX;
      for (const MinuteRecord& r : run)
        p.oldest_hour = std::min(p.oldest_hour, core::floor_div(r.minute, 60));
      encode_records(run, p.counts, false);
      encode_entries(run, p.sketches);
    }
  }
  return out;
}

TEST(MinuteGathering, PayloadsAreThoseOfItsRecordsSplitAndEncoded) {
  // A small limit splits most buckets into several runs; a busy target
  // turns cells to registers; minutes step back and forth across hours.
  for (const std::size_t max_payload :
       {std::size_t{1}, std::size_t{300}, std::size_t{4096}, std::size_t{350 * 1024}}) {
    MinuteGathering a;
    MinuteGathering b;
    std::mt19937_64 rng(max_payload);
    for (int i = 0; i < 40'000; ++i) {
      const std::string target = rng() % 3 == 0 ? "/busy" : "/t/" + std::to_string(rng() % 2'000);
      const std::int64_t minute =
          rng() % 7 == 0 ? 500 + static_cast<std::int64_t>(rng() % 200) : 29'000'000 + i / 2'000;
      const std::uint32_t entry = entry_of("u" + std::to_string(rng() % 30'000));
      a.add(target, core::actor_hash(target), minute, entry);
      b.add(target, core::actor_hash(target), minute, entry);
    }
    const auto expected = payloads_of_records(a, max_payload);
    const auto got = b.take_payloads(max_payload);
    ASSERT_EQ(got.size(), expected.size()) << "limit " << max_payload;
    for (std::size_t k = 0; k < got.size(); ++k) {
      EXPECT_EQ(got[k].bucket, expected[k].bucket) << k;
      EXPECT_EQ(got[k].oldest_hour, expected[k].oldest_hour) << k;
      EXPECT_EQ(got[k].counts, expected[k].counts) << k;
      EXPECT_EQ(got[k].sketches, expected[k].sketches) << k;
    }
    EXPECT_TRUE(b.empty());
    EXPECT_TRUE(b.take_payloads(max_payload).empty());
  }
}

}  // namespace
}  // namespace cctv::store::dynamodb
