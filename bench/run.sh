#!/usr/bin/env bash
# `make bench`: cctv against SQLite on the identical workload, measured in
# the same run, then the micro-benchmarks of the hot paths.
#   bench/run.sh BUILD_DIR [cctv bench flags, e.g. --activities 10000000]
set -euo pipefail
build=$1
shift
flags=("$@")

echo "== ingest and views: cctv (embedded store) vs SQLite, same workload, same run"
sqlite=$("$build/bench/sqlite_baseline" "${flags[@]}")
cctv=$("$build/cctv" bench --format json "${flags[@]}")
echo "cctv:   $cctv"
echo "sqlite: $sqlite"
value() { echo "$1" | grep -o "\"$2\":[0-9.]*" | cut -d: -f2; }
ratio() {  # metric: cctv / sqlite
  awk -v k="$1" -v c="$(value "$cctv" "$1")" -v s="$(value "$sqlite" "$1")" \
    'BEGIN { printf "%-20s cctv %12.1f   SQLite %12.1f   cctv/SQLite = %.2f\n", k, c, s, c / s }'
}
ratio activities_per_s
ratio cpu_s_per_million
ratio view_target_p50_us
ratio view_actor_p50_us

echo
echo "== micro-benchmarks"
"$build/bench/cctv_micro_bench" --benchmark_min_time=0.2
