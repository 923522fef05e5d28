// CountsKeeper on a real RocksDB in a temporary directory: what a failed
// write of counts leaves behind.
#include "store/embedded/counts_keeper.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <memory>
#include <stdexcept>

#include "cctv/error.h"
#include "core/count_aggregator.h"
#include "core/hyperloglog.h"
#include "store/embedded/count_rows.h"
#include "support/temp_dir.h"

namespace cctv::store::embedded {
namespace {

struct Db {
  testing::TempDir dir;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> families;  // two tables' counts
  Db() {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    EXPECT_TRUE(rocksdb::DB::Open(options, dir.file("db"), &raw).ok());
    db.reset(raw);
    rocksdb::ColumnFamilyOptions counts;
    counts.merge_operator = counts_merge_operator();
    for (const char* name : {"a#counts", "b#counts"}) {
      rocksdb::ColumnFamilyHandle* h = nullptr;
      EXPECT_TRUE(db->CreateColumnFamily(counts, name, &h).ok());
      families.push_back(h);
    }
  }
  ~Db() {
    for (auto* h : families) db->DestroyColumnFamilyHandle(h);
  }
};

std::vector<SortedBatchBuilder::CountHit> hits(std::uint32_t table, const std::string& target, int n) {
  static std::vector<std::unique_ptr<std::string>> names;  // the hits' targets point here
  names.push_back(std::make_unique<std::string>(target));
  std::vector<SortedBatchBuilder::CountHit> out;
  for (int i = 0; i < n; ++i) {
    out.push_back({*names.back(), core::CountAggregator::target_hash(*names.back()), table,
                   static_cast<std::uint32_t>(i), 29'000'000, static_cast<std::uint32_t>(i)});
  }
  return out;
}

std::int64_t total(CountsKeeper& keeper, rocksdb::ColumnFamilyHandle* family, const std::string& target) {
  std::int64_t sum = 0;
  for (std::int64_t n : keeper.counts(family, target, Bucket::kHour, 29'000'000 / 60, 1)) sum += n;
  return sum;
}

// Found in review: a write of counts that failed partway left the
// targets it had not reached in the round's set; when the set came round
// again they were written on top of the recount their marks asked for.
TEST(CountsKeeper, AFailedWriteLeavesNothingToWriteAgain) {
  Db db;
  CountsKeeper keeper(db.db.get(), "test");
  keeper.absorb(hits(0, "/a", 3), {}, {});
  keeper.absorb(hits(1, "/b", 5), {}, {});
  // The second table's family cannot be had: the write fails after the
  // first table's rows were made.
  EXPECT_THROW(keeper.flush([&](std::uint32_t t) -> rocksdb::ColumnFamilyHandle* {
    if (t == 1) throw StoreError("no family");
    return db.families[t];
  }),
               StoreError);
  const auto family_of = [&](std::uint32_t t) { return db.families[t]; };
  keeper.flush(family_of);  // the other set: empty
  keeper.flush(family_of);  // the failed set again: must hold nothing
  EXPECT_EQ(total(keeper, db.families[1], "/b"), 0) << "stale counts written after the failure";
  EXPECT_EQ(total(keeper, db.families[0], "/a"), 0);
  // And counting goes on.
  keeper.absorb(hits(1, "/b", 2), {}, {});
  keeper.flush(family_of);
  EXPECT_EQ(total(keeper, db.families[1], "/b"), 2);
}

}  // namespace
}  // namespace cctv::store::embedded
