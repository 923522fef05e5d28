// cctv bench: records a synthetic workload through the public Tracker API,
// flushes, then times views -- the numbers the project's speed is judged by.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <thread>

#include "cli/args.h"
#include "cli/bench_workload.h"
#include "cli/command.h"
#include "cli/measure.h"
#include "cli/output.h"

namespace cctv::cli {

namespace {

struct BenchArgs {
  std::string store;  // empty: a fresh embedded store in a temporary directory
  std::uint64_t activities = 1'000'000;
  std::uint64_t warmup = 0;
  std::uint64_t actors = 100'000;
  std::uint64_t targets = 10'000;
  int attributes = 3;
  int threads = 1;
  std::uint64_t seed = 1;
  int queries = 1000;
  std::string format = "text";
  bool keep = false;
  std::string counts = "on";
  std::string distribution = "uniform";
  std::size_t queue = ClientOptions{}.max_queued_activities;
  // DynamoDB on-demand prices, US dollars per million request units
  // (us-east-1 since November 2024).
  double price_write = 0.625;
  double price_read = 0.125;
};

// Capacity units a store's requests consumed so far (DynamoDB's).
struct Units {
  double read = 0;
  double write = 0;
  std::uint64_t requests = 0;
};

Units units_of(const Metrics& m) {
  Units u;
  for (const StoreRequestMetrics& r : m.store_requests) {
    u.read += r.read_units;
    u.write += r.write_units;
    u.requests += r.requests;
  }
  return u;
}

Units operator-(const Units& a, const Units& b) {
  return Units{a.read - b.read, a.write - b.write, a.requests - b.requests};
}

void check(const BenchArgs& a) {
  if (a.activities < 1) throw InvalidArgument("--activities", "must be at least 1");
  if (a.actors < 1) throw InvalidArgument("--actors", "must be at least 1");
  if (a.targets < 1) throw InvalidArgument("--targets", "must be at least 1");
  if (a.attributes < 0 || a.attributes > 100)
    throw InvalidArgument("--attributes", "must be 0 to 100");
  if (a.threads < 1 || a.threads > 256) throw InvalidArgument("--threads", "must be 1 to 256");
  if (a.queries < 0) throw InvalidArgument("--queries", "must be 0 or more");
  if (a.format != "text" && a.format != "json")
    throw InvalidArgument("--format", "must be text or json");
  if (a.counts != "on" && a.counts != "off") throw InvalidArgument("--counts", "must be on or off");
  parse_distribution(a.distribution);
  if (!(a.price_write >= 0) || !(a.price_read >= 0)) {
    throw InvalidArgument("--price-write/--price-read",
                          "must be 0 or more (US dollars per million units)");
  }
}

void run_bench(const Globals& /*globals*/, const BenchArgs& args) {
  check(args);
  const bool temporary = args.store.empty();
  std::filesystem::path dir;
  std::string uri = args.store;
  if (temporary) {
    dir = std::filesystem::temp_directory_path() / ("cctv-bench-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    uri = "rocksdb:" + dir.string();
  }
  const bool dynamo = uri.rfind("dynamodb:", 0) == 0;
  if (uri.rfind("http://", 0) == 0 && args.counts == "off") {
    // The URI's counts=off is the embedded store's; a server's store keeps
    // counts as it was opened.
    throw InvalidArgument("--counts", "off cannot be asked of a cctv server (" + uri +
                                          "); serve a store opened with ?counts=off instead");
  }
  const bool counting = args.counts == "on";
  if (!counting)
    uri += (uri.find('?') == std::string::npos ? "?" : "&") + std::string("counts=off");
  // The count-series timing first records 288,000 activities of its own:
  // seconds on the embedded store, a quarter of a million writes on
  // DynamoDB, which this benchmark does not spend.
  const bool time_series = counting && !dynamo;
  const std::string table = "cctv-bench-" + std::to_string(::getpid());
  const bool tty = isatty(STDERR_FILENO) == 1;

  // The workload, prepared before the clock starts.
  const Workload workload(WorkloadSpec{args.activities, args.actors, args.targets, args.attributes,
                                       args.seed, parse_distribution(args.distribution)});
  const auto& actors = workload.actors();
  const auto& targets = workload.targets();

  ClientOptions options;
  options.enqueue_timeout = std::chrono::minutes(10);  // the benchmark waits; it does not drop
  options.max_queued_activities = args.queue;
  Client client = Client::open(uri, options);
  Tracker tracker = client.tracker(table);

  // The warm-up: activities over the same targets and span, recorded and
  // flushed before the clock starts. A writer pays once per clock hour for
  // each (target, hour) it first meets (DynamoDB's counts declare them) and
  // once per process for its connections; a short run that starts cold
  // charges all of that to a few seconds, a long-lived process spreads it
  // over the hour.
  if (args.warmup > 0) {
    Workload::Stream stream(workload, args.threads);
    for (std::uint64_t i = 0; i < args.warmup; ++i) {
      const auto pick = stream.next();
      tracker.record_activity(actors[pick.actor], targets[pick.target],
                              workload.attribute_sets()[pick.attributes],
                              workload.time(i * args.activities / args.warmup));
    }
    tracker.flush();
  }

  std::atomic<std::uint64_t> done{0};
  const Units units_before = units_of(client.metrics());
  const double cpu_before = process_cpu_seconds();
  const auto wall_before = std::chrono::steady_clock::now();
  std::vector<std::thread> producers;
  for (int p = 0; p < args.threads; ++p) {
    producers.emplace_back([&, p] {
      Workload::Stream stream(workload, p);
      for (std::uint64_t i = static_cast<std::uint64_t>(p); i < args.activities;
           i += static_cast<std::uint64_t>(args.threads)) {
        const auto pick = stream.next();
        tracker.record_activity(actors[pick.actor], targets[pick.target],
                                workload.attribute_sets()[pick.attributes], workload.time(i));
        if ((i & 0x3FFF) == 0) done.fetch_add(0x4000, std::memory_order_relaxed);
      }
    });
  }
  std::atomic<bool> recording{true};
  std::thread progress([&] {
    while (tty && recording) {
      std::fprintf(stderr, "\rrecording %s / %s\x1b[K",
                   with_commas(std::min(done.load(), args.activities)).c_str(),
                   with_commas(args.activities).c_str());
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  for (auto& t : producers) t.join();
  tracker.flush();
  const double record_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_before).count();
  const double record_cpu = process_cpu_seconds() - cpu_before;
  const Units recorded = units_of(client.metrics()) - units_before;
  recording = false;
  progress.join();
  if (tty) std::fprintf(stderr, "\r\x1b[K");

  // Views: newest 100 on a target within the later half of the span, and
  // newest 100 of an actor.
  const TimeRange later_half = workload.later_half();
  std::mt19937_64 rng(args.seed + 1);
  std::vector<double> by_target, by_actor;
  const Units before_views = units_of(client.metrics());
  for (int q = 0; q < args.queries; ++q) {
    const auto t0 = std::chrono::steady_clock::now();
    tracker.view_activity(targets[rng() % args.targets], later_half);
    const auto t1 = std::chrono::steady_clock::now();
    tracker.view_actor_activity(actors[rng() % args.actors]);
    const auto t2 = std::chrono::steady_clock::now();
    by_target.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    by_actor.push_back(std::chrono::duration<double, std::micro>(t2 - t1).count());
  }
  const Units viewed = units_of(client.metrics()) - before_views;
  // Counts: a 30-day hourly series (720 points) of one target, from a
  // table holding 30 days of activity on 200 targets, two an hour each.
  std::vector<double> by_series;
  if (time_series && args.queries > 0) {
    Tracker series = client.tracker(table + "-series");
    const Timestamp base = parse_time("2026-10-01T00:00:00Z");
    const std::int64_t hours = 30 * 24;
    for (std::int64_t h = 0; h < hours; ++h) {
      for (int t = 0; t < 200; ++t) {
        for (int k = 0; k < 2; ++k) {
          series.record_activity(actors[rng() % args.actors], "/series/" + std::to_string(t), {},
                                 base + std::chrono::hours(h) +
                                     std::chrono::seconds(static_cast<std::int64_t>(rng() % 3600)));
        }
      }
    }
    series.flush();
    const TimeRange month{base, base + std::chrono::hours(hours)};
    for (int q = 0; q < args.queries; ++q) {
      const std::string target = "/series/" + std::to_string(rng() % 200);
      const auto t0 = std::chrono::steady_clock::now();
      const Series s = series.count_activity(target, month, Bucket::kHour);
      by_series.push_back(
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
      if (s.size() != static_cast<std::size_t>(hours))
        throw Error("bench: the series has the wrong length");
    }
    if (!temporary && !args.keep) client.drop_table(table + "-series");
  }
  const double series_p50 = by_series.empty() ? 0 : percentile(by_series, 0.50);
  const double series_p99 = by_series.empty() ? 0 : percentile(by_series, 0.99);
  const double target_p50 = percentile(by_target, 0.50), target_p99 = percentile(by_target, 0.99);
  const double actor_p50 = percentile(by_actor, 0.50), actor_p99 = percentile(by_actor, 0.99);
  const double rate = static_cast<double>(args.activities) / record_s;
  // CPU seconds per million activities and CPU µs per activity are the
  // same number; DynamoDB's report calls it client CPU, since the store runs
  // in another process there.
  const double cpu_per_million = record_cpu / static_cast<double>(args.activities) * 1e6;
  const double rss = peak_rss_mb();
  const double n = static_cast<double>(args.activities);
  const double write_units_per_activity = recorded.write / n;
  const double read_units_per_activity = recorded.read / n;
  const double usd_per_million =
      (recorded.write * args.price_write + recorded.read * args.price_read) /
      n;  // (units/1e6 * price) / (n/1e6)
  const double requests_per_thousand = static_cast<double>(recorded.requests) / n * 1000;
  const double view_read_units = args.queries > 0 ? viewed.read / (2.0 * args.queries) : 0;

  if (!args.keep) {
    if (temporary) {
      client.close();
      std::filesystem::remove_all(dir);
    } else {
      client.drop_table(table);
    }
  }

  if (args.format == "json") {
    Map out{{"store", temporary ? "rocksdb (temporary)" : uri},
            {"activities", args.activities},
            {"warmup", args.warmup},
            {"threads", args.threads},
            {"targets", args.targets},
            {"distribution", args.distribution},
            {"activities_per_s", static_cast<std::int64_t>(std::round(rate))},
            {"cpu_s_per_million", std::round(cpu_per_million * 1000) / 1000},
            {"peak_rss_mb", std::round(rss * 10) / 10},
            {"view_target_p50_us", std::round(target_p50 * 10) / 10},
            {"view_target_p99_us", std::round(target_p99 * 10) / 10},
            {"view_actor_p50_us", std::round(actor_p50 * 10) / 10},
            {"view_actor_p99_us", std::round(actor_p99 * 10) / 10}};
    if (dynamo) {
      out.emplace_back("client_cpu_us_per_item", std::round(cpu_per_million * 100) / 100);
      out.emplace_back("requests_per_1000", std::round(requests_per_thousand * 10) / 10);
      out.emplace_back("write_units_per_activity",
                       std::round(write_units_per_activity * 10000) / 10000);
      out.emplace_back("read_units_per_activity",
                       std::round(read_units_per_activity * 10000) / 10000);
      out.emplace_back("usd_per_million_activities", std::round(usd_per_million * 1000) / 1000);
      out.emplace_back("read_units_per_view", std::round(view_read_units * 100) / 100);
    }
    out.emplace_back("counts", counting);
    out.emplace_back("table", table);
    if (!by_series.empty()) {
      out.emplace_back("count_series_p50_us", std::round(series_p50 * 10) / 10);
      out.emplace_back("count_series_p99_us", std::round(series_p99 * 10) / 10);
    }
    std::printf("%s\n", to_json(Value(std::move(out))).c_str());
    return;
  }
  std::printf(
      "cctv bench: %s activities (%s actors, %s targets %s, %d attributes, %d thread%s) into %s\n",
      with_commas(args.activities).c_str(), with_commas(args.actors).c_str(),
      with_commas(args.targets).c_str(),
      args.distribution == "zipf" ? "by Zipf's law" : "uniformly", args.attributes, args.threads,
      args.threads == 1 ? "" : "s", temporary ? "a temporary embedded store" : uri.c_str());
  if (args.warmup > 0) {
    std::printf("  warm-up          %s activities recorded and flushed first, not timed\n",
                with_commas(args.warmup).c_str());
  }
  std::printf("  record + flush   %.2f s, %s activities/s\n", record_s,
              with_commas(static_cast<std::uint64_t>(rate)).c_str());
  std::printf("  cpu              %.2f s per million activities\n", cpu_per_million);
  if (dynamo) {
    std::printf("  client cpu       %.2f us per item written\n", cpu_per_million);
    std::printf("  requests         %.1f per 1,000 activities\n", requests_per_thousand);
    std::printf("  capacity         %.4f write units, %.4f read units per activity (counts %s)\n",
                write_units_per_activity, read_units_per_activity, counting ? "on" : "off");
    std::printf(
        "  on-demand cost   $%.3f per million activities ($%.3f/M write units, $%.3f/M read "
        "units)\n",
        usd_per_million, args.price_write, args.price_read);
    std::printf("  view reads       %.2f read units per view\n", view_read_units);
  }
  std::printf("  peak RSS         %.0f MB\n", rss);
  std::printf(
      "  view by target   p50 %.0f us, p99 %.0f us (%d views, newest 100 in the later half)\n",
      target_p50, target_p99, args.queries);
  std::printf("  view by actor    p50 %.0f us, p99 %.0f us (%d views, newest 100)\n", actor_p50,
              actor_p99, args.queries);
  if (!by_series.empty()) {
    std::printf(
        "  count series     p50 %.0f us, p99 %.0f us (%d series of 720 hours, 30 days of one "
        "target)\n",
        series_p50, series_p99, args.queries);
  } else if (!counting) {
    std::printf("  counts           off\n");
  } else {
    std::printf(
        "  counts           kept (series not timed here: see the comment in cmd_bench.cc)\n");
  }
}

}  // namespace

void add_bench_command(CLI::App& app, Globals& globals) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand(
      "bench", "Measure recording and view speed on a synthetic workload, through the public API");
  cmd->add_option("--activities,-n", args->activities, "Activities to record")
      ->capture_default_str();
  cmd->add_option("--warmup", args->warmup,
                  "Activities recorded and flushed before the clock starts, over the same targets "
                  "and span (steady state rather than a cold start)")
      ->capture_default_str();
  cmd->add_option("--actors", args->actors, "Distinct actors, chosen uniformly")
      ->capture_default_str();
  cmd->add_option("--targets", args->targets, "Distinct targets")->capture_default_str();
  cmd->add_option("--distribution", args->distribution,
                  "How targets are chosen: uniform, or zipf (target k with weight 1/k)")
      ->capture_default_str();
  cmd->add_option("--price-write", args->price_write,
                  "DynamoDB: US dollars per million write request units, for the cost line")
      ->capture_default_str();
  cmd->add_option("--price-read", args->price_read,
                  "DynamoDB: US dollars per million read request units, for the cost line")
      ->capture_default_str();
  cmd->add_option("--attributes", args->attributes, "Short string attributes per activity")
      ->capture_default_str();
  cmd->add_option("--threads", args->threads, "Threads recording at once")->capture_default_str();
  cmd->add_option("--seed", args->seed, "Random seed")->capture_default_str();
  cmd->add_option("--queries", args->queries, "Views of each kind to time")->capture_default_str();
  cmd->add_option("--format,-f", args->format, "text or json")->capture_default_str();
  cmd->add_option("--queue", args->queue,
                  "ClientOptions::max_queued_activities (bounds batch size and memory)")
      ->capture_default_str();
  cmd->add_flag("--keep", args->keep, "Keep the benchmark's table (or temporary store) afterwards");
  cmd->add_option("--counts", args->counts,
                  "on: keep counts while recording (the default); off: measure without")
      ->capture_default_str();
  cmd->callback([&globals, args] {
    // The global --store names where to run; left at its default, the bench
    // uses a fresh temporary store rather than your ./cctv-data.
    BenchArgs a = *args;
    if (globals.store != kDefaultStore) a.store = globals.store;
    run_bench(globals, a);
  });
}

}  // namespace cctv::cli
