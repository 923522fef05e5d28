#!/usr/bin/env bash
# `make bench`: cctv against SQLite on the identical workload, alternating for
# several rounds in the same run (this machine's speed drifts by tens of
# percent), reporting each round and the ratio of the medians; then the
# micro-benchmarks of the hot paths.
#   bench/run.sh BUILD_DIR [cctv bench flags, e.g. --activities 10000000]
#   BENCH_ROUNDS=N (default 3)
set -euo pipefail
build=$1
shift
flags=("$@")
rounds=${BENCH_ROUNDS:-3}

value() { echo "$1" | grep -o "\"$2\":[0-9.]*" | cut -d: -f2; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "== ingest and views: cctv (embedded store) vs SQLite, same workload, $rounds alternating rounds"
cctv_runs=()
sqlite_runs=()
for ((i = 1; i <= rounds; i++)); do
  sqlite_runs+=("$("$build/bench/sqlite_baseline" "${flags[@]}")")
  cctv_runs+=("$("$build/cctv" bench --format json "${flags[@]}")")
  echo "round $i cctv:   ${cctv_runs[-1]}"
  echo "round $i sqlite: ${sqlite_runs[-1]}"
done
echo
printf "%-20s %14s %14s %12s\n" "median of $rounds" cctv SQLite cctv/SQLite
for key in activities_per_s cpu_s_per_million peak_rss_mb view_target_p50_us view_target_p99_us \
           view_actor_p50_us view_actor_p99_us; do
  c=$(for r in "${cctv_runs[@]}"; do value "$r" "$key"; done | median)
  s=$(for r in "${sqlite_runs[@]}"; do value "$r" "$key"; done | median)
  awk -v k="$key" -v c="$c" -v s="$s" 'BEGIN { printf "%-20s %14.1f %14.1f %12.2f\n", k, c, s, c / s }'
done

echo
echo "== micro-benchmarks"
"$build/bench/cctv_micro_bench" --benchmark_min_time=0.2
