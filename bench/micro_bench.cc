// Micro-benchmarks of the hot paths: key encoding, the attribute codec, JSON,
// id generation, and recording through the public API into a real RocksDB.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>

#include "cctv/cctv.h"
#include "core/attribute_codec.h"
#include "core/count_aggregator.h"
#include "core/hyperloglog.h"
#include "core/id_generator.h"
#include "core/record_batch.h"
#include "core/validate.h"
#include "store/dynamodb/item_codec.h"
#include "store/dynamodb/sigv4.h"
#include "store/embedded/key_layout.h"

namespace {

const cctv::Attributes kAttributes = {
    {"customer_status", "VIP"}, {"referred_by", "AdWords"}, {"browser", "Chrome"}};

void BM_IndexKey(benchmark::State& state) {
  std::string key;
  std::int64_t t = 1'790'000'000'000'000;
  for (auto _ : state) {
    key.clear();
    cctv::store::embedded::append_index_key(key, "/store/products/organic-goji-berries", ++t, 42);
    benchmark::DoNotOptimize(key.data());
  }
}
BENCHMARK(BM_IndexKey);

void BM_EncodeAttributes(benchmark::State& state) {
  std::string out;
  for (auto _ : state) {
    out.clear();
    benchmark::DoNotOptimize(cctv::core::encode_attributes(kAttributes, out));
  }
}
BENCHMARK(BM_EncodeAttributes);

void BM_DecodeAttributes(benchmark::State& state) {
  std::string encoded;
  cctv::core::encode_attributes(kAttributes, encoded);
  for (auto _ : state) benchmark::DoNotOptimize(cctv::core::decode_attributes(encoded));
}
BENCHMARK(BM_DecodeAttributes);

// What a view pays per activity after RocksDB hands it over: the stored key
// and value back into an Activity (and that Activity freed again).
void BM_DecodeStoredActivity(benchmark::State& state) {
  std::string encoded, key, value;
  cctv::core::encode_attributes(kAttributes, encoded);
  cctv::store::embedded::append_index_key(key, "/store/products/organic-goji-berries",
                                          1'790'000'000'000'000, 42);
  cctv::store::embedded::append_stored_value(value, "user12345", encoded);
  for (auto _ : state) {
    std::vector<cctv::Activity> page;
    page.reserve(1);
    cctv::store::embedded::decode_activity(key, value, false, page.emplace_back());
    benchmark::DoNotOptimize(page.data());
  }
}
BENCHMARK(BM_DecodeStoredActivity);

void BM_ValidateAndEncode(benchmark::State& state) {
  std::string out;
  const cctv::Timestamp t = cctv::now();
  for (auto _ : state) {
    out.clear();
    cctv::core::check_and_encode("bob", "/store/products/organic-goji-berries", kAttributes, t,
                                 out);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_ValidateAndEncode);

void BM_NextId(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(cctv::core::next_id());
}
BENCHMARK(BM_NextId)->Threads(1)->Threads(2);

cctv::Activity sample_activity() {
  return cctv::Activity{"bob", "/store/products/organic-goji-berries",
                        cctv::parse_time("2026-11-01T10:00:00Z"), 0x1234, kAttributes};
}

void BM_ActivityToJson(benchmark::State& state) {
  const cctv::Activity a = sample_activity();
  std::string out;
  for (auto _ : state) {
    out.clear();
    cctv::append_json(a, out);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_ActivityToJson);

void BM_ActivityFromJson(benchmark::State& state) {
  const std::string json = cctv::to_json(sample_activity());
  const cctv::Timestamp t = cctv::now();
  for (auto _ : state) benchmark::DoNotOptimize(cctv::activity_from_json(json, t));
}
BENCHMARK(BM_ActivityFromJson);

// Signing one BatchWriteItem request of 25 items (about 5 KB), as the
// DynamoDB store does for every request.
void BM_SigV4SignBatchWriteItem(benchmark::State& state) {
  using namespace cctv::store::dynamodb;
  Signer signer(
      Credentials{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "", "bench"},
      "eu-west-1", "dynamodb");
  const std::string body(5 * 1024, 'x');
  SignableRequest r;
  r.method = "POST";
  r.path = "/";
  r.headers = {{"content-type", "application/x-amz-json-1.0"},
               {"host", "dynamodb.eu-west-1.amazonaws.com"},
               {"x-amz-date", "20261128T101500Z"},
               {"x-amz-target", "DynamoDB_20120810.BatchWriteItem"}};
  r.body = body;
  for (auto _ : state) benchmark::DoNotOptimize(signer.authorization(r));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(body.size()));
}
BENCHMARK(BM_SigV4SignBatchWriteItem);

// One activity as a DynamoDB item (the JSON BatchWriteItem carries).
void BM_DynamoItemEncode(benchmark::State& state) {
  std::string encoded;
  cctv::core::encode_attributes(kAttributes, encoded);
  cctv::core::RecordBatch batch;
  batch.append(0, 1'790'000'000'000'000, 42, "bob", "/store/products/organic-goji-berries",
               encoded);
  std::string out, sort_key;
  for (auto _ : state) {
    out.clear();
    cctv::store::dynamodb::append_item(batch[0], 0, {}, out, sort_key);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_DynamoItemEncode);

// Recording through the public API into RocksDB, flush included: the
// number the throughput work improves on. Items/s is activities/s.
void BM_RecordAndFlush(benchmark::State& state) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("cctv-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const int batch = static_cast<int>(state.range(0));
  {
    cctv::Client client = cctv::Client::open("rocksdb:" + dir.string());
    cctv::Tracker t = client.tracker("store-pageviews");
    std::uint64_t n = 0;
    for (auto _ : state) {
      for (int i = 0; i < batch; ++i, ++n) {
        t.record_activity("user" + std::to_string(n % 100'000), "/p/" + std::to_string(n % 10'000),
                          kAttributes);
      }
      t.flush();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(n));
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_RecordAndFlush)->Arg(100'000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

// Counting at record time: what each activity costs the writer threads,
// gathering plus its share of the summary written once a second, on the
// default bench workload's shape (10,000 targets, 100,000 actors, 1,000
// activities a simulated second, batches of 25,000 grouped by target as
// the embedded store's sorted batch hands them over).
void BM_CountActivity(benchmark::State& state) {
  std::vector<std::string> targets;
  for (int i = 0; i < 10'000; ++i) targets.push_back("/target/" + std::to_string(i));
  struct Hit {
    std::uint32_t target;
    std::uint32_t minute;
    std::uint32_t entry;
  };
  std::uint64_t x = 88172645463325252ULL;
  const std::int64_t minute0 = 1'790'000'000 / 60;
  std::vector<Hit> batch(25'000);
  cctv::core::CountAggregator aggregator;
  std::int64_t n = 0;
  std::size_t summarized = 0;
  for (auto _ : state) {
    // One second of the bench's ingest: 20 batches, then the summary.
    for (int round = 0; round < 20; ++round) {
      state.PauseTiming();
      for (auto& h : batch) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        h = Hit{static_cast<std::uint32_t>(x % targets.size()),
                static_cast<std::uint32_t>(minute0 + n / 60'000),
                cctv::core::HyperLogLog::entry(
                    cctv::core::actor_hash("actor" + std::to_string((x >> 20) % 100'000)))};
        ++n;
      }
      std::sort(batch.begin(), batch.end(),
                [](const Hit& a, const Hit& b) { return a.target < b.target; });
      state.ResumeTiming();
      std::uint32_t selected = UINT32_MAX;
      for (const auto& h : batch) {
        if (h.target != selected) {
          aggregator.select(targets[h.target]);
          selected = h.target;
        }
        aggregator.add(h.minute, h.entry);
      }
    }
    aggregator.summarize([&](const std::string&, const cctv::core::TallySummary& s) {
      summarized += s.sketches.size();
    });
  }
  benchmark::DoNotOptimize(summarized);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * 20 * batch.size()));
}
BENCHMARK(BM_CountActivity)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
