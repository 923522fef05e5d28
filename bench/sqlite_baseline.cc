// The baseline `make bench` holds cctv against: SQLite, set up carefully, on
// the identical workload (the same activities from cli/bench_workload.h),
// reporting the same figures as `cctv bench --format json`.
//
// WAL journal, synchronous=NORMAL, one prepared INSERT, 10,000 rows per
// transaction, indexes on (target, ts) and (actor, ts).
//
//   sqlite_baseline [--activities N] [--actors A] [--targets T]
//                   [--attributes K] [--seed S] [--queries Q]
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/bench_workload.h"
#include "cli/measure.h"

namespace {

using cctv::cli::Workload;

constexpr int kRowsPerTransaction = 10'000;

void check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    throw std::runtime_error(std::string(what) + ": " + sqlite3_errmsg(db));
  }
}

void exec(sqlite3* db, const char* sql) { check(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), db, sql); }

}  // namespace

int main(int argc, char** argv) {
  cctv::cli::WorkloadSpec spec;
  int queries = 1000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::uint64_t v = std::strtoull(argv[i + 1], nullptr, 10);
    if (flag == "--activities") spec.activities = v;
    else if (flag == "--actors") spec.actors = v;
    else if (flag == "--targets") spec.targets = v;
    else if (flag == "--attributes") spec.attributes = static_cast<int>(v);
    else if (flag == "--seed") spec.seed = v;
    else if (flag == "--queries") queries = static_cast<int>(v);
    else {
      std::fprintf(stderr, "sqlite_baseline: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  const Workload workload(spec);
  const auto dir = std::filesystem::temp_directory_path() / ("cctv-sqlite-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  sqlite3* db = nullptr;
  try {
    check(sqlite3_open((dir / "activities.db").c_str(), &db), db, "open");
    exec(db, "PRAGMA journal_mode=WAL");
    exec(db, "PRAGMA synchronous=NORMAL");
    exec(db, "CREATE TABLE activities (target TEXT NOT NULL, ts INTEGER NOT NULL, id INTEGER NOT NULL, "
             "actor TEXT NOT NULL, attributes TEXT NOT NULL)");
    exec(db, "CREATE INDEX by_target ON activities (target, ts)");
    exec(db, "CREATE INDEX by_actor ON activities (actor, ts)");
    sqlite3_stmt* insert = nullptr;
    check(sqlite3_prepare_v2(db, "INSERT INTO activities VALUES (?, ?, ?, ?, ?)", -1, &insert, nullptr), db,
          "prepare");

    const double cpu_before = cctv::cli::process_cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    Workload::Stream stream(workload, 0);
    exec(db, "BEGIN");
    for (std::uint64_t i = 0; i < spec.activities; ++i) {
      const auto pick = stream.next();
      const std::string& target = workload.targets()[pick.target];
      const std::string& actor = workload.actors()[pick.actor];
      const std::string& attrs = workload.attribute_json()[pick.attributes];
      sqlite3_bind_text(insert, 1, target.data(), static_cast<int>(target.size()), SQLITE_STATIC);
      sqlite3_bind_int64(insert, 2, workload.time(i).time_since_epoch().count());
      sqlite3_bind_int64(insert, 3, static_cast<sqlite3_int64>(i + 1));
      sqlite3_bind_text(insert, 4, actor.data(), static_cast<int>(actor.size()), SQLITE_STATIC);
      sqlite3_bind_text(insert, 5, attrs.data(), static_cast<int>(attrs.size()), SQLITE_STATIC);
      check(sqlite3_step(insert), db, "insert");
      sqlite3_reset(insert);
      if ((i + 1) % kRowsPerTransaction == 0) {
        exec(db, "COMMIT");
        exec(db, "BEGIN");
      }
    }
    exec(db, "COMMIT");
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double cpu = cctv::cli::process_cpu_seconds() - cpu_before;
    sqlite3_finalize(insert);

    sqlite3_stmt* by_target = nullptr;
    sqlite3_stmt* by_actor = nullptr;
    check(sqlite3_prepare_v2(db,
                             "SELECT actor, ts, id, attributes FROM activities WHERE target = ? AND ts >= ? "
                             "AND ts < ? ORDER BY ts DESC, id DESC LIMIT 100",
                             -1, &by_target, nullptr),
          db, "prepare");
    check(sqlite3_prepare_v2(db,
                             "SELECT target, ts, id, attributes FROM activities WHERE actor = ? "
                             "ORDER BY ts DESC, id DESC LIMIT 100",
                             -1, &by_actor, nullptr),
          db, "prepare");
    const cctv::TimeRange half = workload.later_half();
    std::mt19937_64 rng(spec.seed + 1);
    std::vector<double> target_us, actor_us;
    for (int q = 0; q < queries; ++q) {
      const std::string& target = workload.targets()[rng() % spec.targets];
      const std::string& actor = workload.actors()[rng() % spec.actors];
      auto t0 = std::chrono::steady_clock::now();
      sqlite3_bind_text(by_target, 1, target.data(), static_cast<int>(target.size()), SQLITE_STATIC);
      sqlite3_bind_int64(by_target, 2, half.from.time_since_epoch().count());
      sqlite3_bind_int64(by_target, 3, half.to.time_since_epoch().count());
      while (sqlite3_step(by_target) == SQLITE_ROW) {
      }
      sqlite3_reset(by_target);
      auto t1 = std::chrono::steady_clock::now();
      sqlite3_bind_text(by_actor, 1, actor.data(), static_cast<int>(actor.size()), SQLITE_STATIC);
      while (sqlite3_step(by_actor) == SQLITE_ROW) {
      }
      sqlite3_reset(by_actor);
      auto t2 = std::chrono::steady_clock::now();
      target_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
      actor_us.push_back(std::chrono::duration<double, std::micro>(t2 - t1).count());
    }
    sqlite3_finalize(by_target);
    sqlite3_finalize(by_actor);
    sqlite3_close(db);
    std::filesystem::remove_all(dir);
    std::printf(
        "{\"store\":\"sqlite %s\",\"activities\":%llu,\"activities_per_s\":%lld,\"cpu_s_per_million\":%.3f,"
        "\"peak_rss_mb\":%.1f,\"view_target_p50_us\":%.1f,\"view_target_p99_us\":%.1f,"
        "\"view_actor_p50_us\":%.1f,\"view_actor_p99_us\":%.1f}\n",
        sqlite3_libversion(), static_cast<unsigned long long>(spec.activities),
        static_cast<long long>(std::llround(static_cast<double>(spec.activities) / seconds)),
        cpu / static_cast<double>(spec.activities) * 1e6, cctv::cli::peak_rss_mb(),
        cctv::cli::percentile(target_us, 0.5), cctv::cli::percentile(target_us, 0.99), cctv::cli::percentile(actor_us, 0.5),
        cctv::cli::percentile(actor_us, 0.99));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sqlite_baseline: %s\n", e.what());
    sqlite3_close(db);
    std::filesystem::remove_all(dir);
    return 1;
  }
  return 0;
}
