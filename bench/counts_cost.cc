// What counts cost on DynamoDB at steady state with counts_layout=minutes.
//
// Simulates RATE activities a second for MINUTES minutes, on a clock of its
// own, through the counts path alone (what an activity itself costs does
// not depend on the layout: `cctv bench` measures it), with the writer's
// flushes every 30 s and compactor rounds every 10 s as the store runs
// them: once from 00:00 (folding minutes, closing the first hour), once
// from 23:00 on another table (closing the day). It prints, as one JSON
// line, the capacity units per activity of the counts path at steady
// state (the hourly run, plus the day's close spread over a day), and
// the read units of a 30-day hourly series of one target, today's top 10
// so far (from the day's list and the open hour) and a closed day's top
// 10.
//
//   counts_cost ENDPOINT TARGETS uniform|zipf RATE MINUTES
//
// ENDPOINT: a DynamoDB endpoint (dynalite, started by bench/dynamo_bench.sh).
#include <cstdio>
#include <random>
#include <string>

#include "cctv/cctv.h"
#include "cli/bench_workload.h"
#include "core/bucket.h"
#include "core/hyperloglog.h"
#include "core/record_batch.h"
#include "store/dynamodb/dynamo_store.h"
#include "store/dynamodb/minute_counts.h"

namespace {

using cctv::store::dynamodb::MinuteCounts;
using cctv::store::dynamodb::RequestEngine;

struct Units {
  double read = 0;
  double write = 0;
};

Units units(const RequestEngine& engine) {
  Units u;
  for (const auto& m : engine.metrics()) {
    u.read += m.read_units;
    u.write += m.write_units;
  }
  return u;
}

// One simulated run on a table of its own: RATE activities a second from
// `start` for `minutes`, flushes every 30 s, compactor rounds every 10 s.
struct Run {
  std::uint64_t activities = 0;
  double write_units = 0;
  double read_units = 0;
  double writer_units = 0;
  double largest_round = 0;  // write units of the costliest compactor round
};

Run simulate(const cctv::DynamoOptions& options, const std::string& table, std::int64_t& clock_us,
             const cctv::cli::Workload& workload, std::uint64_t rate, std::int64_t minutes,
             RequestEngine& engine, MinuteCounts& counts) {
  const auto env = cctv::store::dynamodb::process_environment();
  {
    auto store = cctv::store::dynamodb::DynamoStore::open(options, "cost", false, env);
    store->create_table(table, cctv::TableOptions{});
  }
  const std::string remote = table + ".counts";
  const auto table_of = [&](std::uint32_t) {
    return cctv::store::dynamodb::CountsTarget{remote, 0, true};
  };
  cctv::cli::Workload::Stream stream(workload, 0);
  cctv::core::RecordBatch batch;
  std::vector<bool> counted;
  Run run;
  const Units before = units(engine);
  auto spent = [&](const auto& step) {
    const double write_before = units(engine).write;
    step();
    return units(engine).write - write_before;
  };
  std::uint64_t id = 1;
  for (std::int64_t second = 0; second < minutes * 60; ++second) {
    batch.clear();
    for (std::uint64_t i = 0; i < rate; ++i) {
      const auto pick = stream.next();
      batch.append(0, clock_us + static_cast<std::int64_t>(i * 1'000'000 / rate), id++,
                   workload.actors()[pick.actor], workload.targets()[pick.target], "");
    }
    counted.assign(batch.size(), true);
    // As a store's write does: declare what it touches (and put the ids
    // of a large write in an intent), then count it.
    std::vector<MinuteCounts::Touch> touched;
    std::vector<std::uint64_t> target_hashes;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      target_hashes.push_back(cctv::core::actor_hash(batch[i].target));
      touched.push_back({&remote, batch[i].target, target_hashes.back(),
                         batch[i].time_us / 3'600'000'000, batch[i].id, false});
    }
    const MinuteCounts::WriteTicket ticket = counts.begin_write(touched);
    counts.absorb(batch, counted, target_hashes, ticket);
    counts.end_write(ticket, {});
    run.activities += rate;
    clock_us += 1'000'000;
    if (second % 30 == 29) run.writer_units += spent([&] { counts.flush(table_of); });
    if (second % 10 == 9) {
      run.largest_round = std::max(run.largest_round, spent([&] { counts.compact(remote, 0); }));
    }
  }
  counts.flush(table_of);
  counts.compact(remote, 0);
  const Units after = units(engine);
  run.write_units = after.write - before.write;
  run.read_units = after.read - before.read;
  return run;
}

// Read units one call of `read` costs.
template <typename F>
double read_cost(RequestEngine& engine, const F& read) {
  const double before = units(engine).read;
  read();
  return units(engine).read - before;
}

int run(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: counts_cost ENDPOINT TARGETS uniform|zipf RATE MINUTES\n");
    return 2;
  }
  const std::string endpoint = argv[1];
  const std::uint64_t targets = std::stoull(argv[2]);
  const auto distribution = cctv::cli::parse_distribution(argv[3]);
  const std::uint64_t rate = std::stoull(argv[4]);
  const std::int64_t minutes = std::stoll(argv[5]);

  cctv::DynamoOptions options;
  options.endpoint = endpoint;
  options.counts_layout = cctv::DynamoOptions::CountsLayout::kMinutes;
  const auto env = cctv::store::dynamodb::process_environment();
  const cctv::cli::Workload workload(
      cctv::cli::WorkloadSpec{1, 100'000, targets, 0, 1, distribution});
  const std::string name = "cost-" + std::to_string(targets) + "-" + argv[3];

  // A day's first hour and ten minutes: folds, and the first hour closed.
  std::int64_t clock_us = cctv::parse_time("2026-11-02T00:00:00Z").time_since_epoch().count();
  RequestEngine engine(cctv::store::dynamodb::resolve_aws_config(options, env), {});
  const std::int64_t dead_after_s = options.writer_timeout.count();
  MinuteCounts counts(
      engine, [&] { return clock_us; }, dead_after_s);
  const Run hourly = simulate(options, name, clock_us, workload, rate, minutes, engine, counts);
  const std::string remote = name + ".counts";
  const std::int64_t now_minute = clock_us / 60'000'000;
  const std::int64_t today = now_minute / 1440;
  const std::string busy = workload.targets()[0];
  const double series = read_cost(engine, [&] {
    counts.counts(remote, busy, cctv::Bucket::kHour, now_minute / 60 - 30 * 24 + 1, 30 * 24);
  });
  std::size_t today_found = 0;
  const double today_top = read_cost(engine, [&] {
    today_found = counts.top_targets(remote, today * 1440, now_minute + 1, 10).size();
  });

  // A day's last hour and ten minutes on another table: the day closes.
  std::int64_t late_clock_us = cctv::parse_time("2026-11-02T23:00:00Z").time_since_epoch().count();
  MinuteCounts late_counts(
      engine, [&] { return late_clock_us; }, dead_after_s);
  const Run closing =
      simulate(options, name + "-day", late_clock_us, workload, rate, minutes, engine, late_counts);
  std::size_t closed_found = 0;
  const double closed_top = read_cost(engine, [&] {
    closed_found =
        late_counts.top_targets(name + "-day.counts", today * 1440, (today + 1) * 1440, 10).size();
  });
  // What closing the day adds (its day items and list), spread over a
  // day of activities at this rate.
  const double day_close = std::max(0.0, closing.largest_round - hourly.largest_round);
  const double per_activity = hourly.write_units / static_cast<double>(hourly.activities) +
                              day_close / (86'400.0 * static_cast<double>(rate));

  std::printf(
      "{\"targets\":%llu,\"distribution\":\"%s\",\"rate\":%llu,\"minutes\":%lld,"
      "\"counts_write_units_per_activity\":%.4f,\"counts_read_units_per_activity\":%.4f,"
      "\"writer_write_units_per_activity\":%.4f,\"hour_close_write_units\":%.0f,"
      "\"day_close_write_units\":%.0f,"
      "\"series_30d_hourly_read_units\":%.1f,\"closed_day_top10_read_units\":%.1f,"
      "\"today_top10_read_units\":%.1f,\"closed_day_top\":%zu,\"today_top\":%zu}\n",
      static_cast<unsigned long long>(targets), argv[3], static_cast<unsigned long long>(rate),
      static_cast<long long>(minutes), per_activity,
      hourly.read_units / static_cast<double>(hourly.activities),
      hourly.writer_units / static_cast<double>(hourly.activities), hourly.largest_round, day_close,
      series, closed_top, today_top, closed_found, today_found);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "counts_cost: %s\n", e.what());
    return 1;
  }
}
