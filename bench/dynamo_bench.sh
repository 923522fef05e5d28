#!/usr/bin/env bash
# `make bench`, the DynamoDB part: what recording costs on DynamoDB, in
# requests, capacity units and dollars, with counts on and off, for three
# workloads -- 10,000 targets chosen uniformly, 10,000 by Zipf's law, and
# 20 targets -- against dynalite (in memory, started here on loopback and
# killed by its PID). dynalite reports the units DynamoDB's rules charge
# (the actor index's write units are added by cctv, as dynalite leaves
# them out), so the units and dollars carry over to DynamoDB; activities/s
# does not (dynalite, one Node process on the same cores, is the
# bottleneck), client CPU per activity does.
#   bench/dynamo_bench.sh BUILD_DIR [cctv bench flags]
#   DYNAMO_BENCH_ACTIVITIES=N (default 20000)
set -euo pipefail
build=$(cd "$1" && pwd)
shift
here=$(cd "$(dirname "$0")/.." && pwd)
n=${DYNAMO_BENCH_ACTIVITIES:-20000}

"$here/scripts/npm-install" "$here/tests/dynamo" >/dev/null
out=$(mktemp)
# Starts a fresh dynalite (stopping the one before): sets dynalite (its
# PID), port and store.
dynalite=""
start_dynalite() {
  if [ -n "$dynalite" ]; then
    kill "$dynalite" 2>/dev/null || true
    wait "$dynalite" 2>/dev/null || true
  fi
  : >"$out"
  node "$here/tests/dynamo/start-dynalite.js" >"$out" &
  dynalite=$!
  for _ in $(seq 100); do [ -s "$out" ] && break; sleep 0.1; done
  port=$(head -1 "$out")
  store="dynamodb://local?endpoint=http://127.0.0.1:$port"
}
trap 'kill $dynalite 2>/dev/null; rm -f "$out"' EXIT
start_dynalite

value() { echo "$1" | grep -o "\"$2\":[0-9.]*" | cut -d: -f2; }

echo "== DynamoDB: cost per activity, $n activities per run, dynalite on 127.0.0.1:$port"
printf "%-26s %-10s %10s %10s %10s %12s %10s %12s\n" workload counts "req/1000" "WU/act" "RU/act" \
  '$/M act' "act/s" "cpu us/act"
for workload in "uniform 10000" "zipf 10000" "uniform 20"; do
  read -r distribution targets <<<"$workload"
  label="$targets targets, $distribution"
  for counts in per_target minutes off; do
    layout=""
    [ "$counts" = per_target ] && layout="&counts_layout=per_target"
    on_off=on
    [ "$counts" = off ] && on_off=off
    r=$("$build/cctv" --store "$store$layout" bench --format json --activities "$n" --queries 50 \
      --targets "$targets" --distribution "$distribution" --counts "$on_off" "$@")
    printf "%-26s %-10s %10s %10s %10s %12s %10s %12s\n" "$label" "$counts" \
      "$(value "$r" requests_per_1000)" "$(value "$r" write_units_per_activity)" \
      "$(value "$r" read_units_per_activity)" "$(value "$r" usd_per_million_activities)" \
      "$(value "$r" activities_per_s)" "$(value "$r" client_cpu_us_per_item)"
  done
done
echo "(WU/RU: write/read capacity units per activity, by DynamoDB's rules; \$/M act: on-demand"
echo " dollars per million activities at cctv bench's --price-write/--price-read. With"
echo " counts by the minute (the default layout) these runs see only the writers' side; the"
echo " compactor's is below)"
echo
echo "== counts by the minute at steady state: 1,000 activities/s through the counts path alone,"
echo "   on a simulated clock (bench/counts_cost.cc); read units of what a dashboard asks"
printf "%-26s %10s %10s %12s %12s %12s\n" workload "WU/act" "RU/act" "30d series" "closed day" "today"
for workload in "uniform 10000" "zipf 10000" "uniform 20"; do
  read -r distribution targets <<<"$workload"
  r=$("$build/bench/counts_cost" "http://127.0.0.1:$port" "$targets" "$distribution" 1000 70)
  printf "%-26s %10s %10s %12s %12s %12s\n" "$targets targets, $distribution" \
    "$(value "$r" counts_write_units_per_activity)" "$(value "$r" counts_read_units_per_activity)" \
    "$(value "$r" series_30d_hourly_read_units)" "$(value "$r" closed_day_top10_read_units)" \
    "$(value "$r" today_top10_read_units)"
done
echo "(budgets: WU/act 0.05 at 10,000 uniform targets, 0.02 Zipf and 20 targets; a 30-day hourly"
echo " series of one target 10 read units, a closed day's top 10 5, today's top 10 so far 200)"

# Counts on against counts off, client CPU per activity: paired rounds,
# each run on a fresh dynalite, the order alternating each round. Single
# runs on shared cores vary by more than the difference measured, so the
# ratio is taken within each round, and the rounds' median is what counts.
# Each run first records a warm-up, untimed: a writer declares each
# (target, hour) once per hour of its clock, which a cold run of seconds
# would charge to a few seconds' activities (the table above is of cold
# runs).
#   DYNAMO_RATIO_ROUNDS=R (default 6), DYNAMO_RATIO_ACTIVITIES=N (default 100000),
#   DYNAMO_RATIO_WARMUP=W (default 30000)
rounds=${DYNAMO_RATIO_ROUNDS:-6}
ratio_n=${DYNAMO_RATIO_ACTIVITIES:-100000}
ratio_warmup=${DYNAMO_RATIO_WARMUP:-30000}
# One run on a dynalite of its own (not in a subshell, which would lose
# track of it): sets cpu and rate, client CPU us/activity and activities/s.
fresh_run() {
  local r
  start_dynalite
  r=$("$build/cctv" --store "$store" bench --format json --activities "$ratio_n" \
    --warmup "$ratio_warmup" --queries 0 --targets 10000 --distribution uniform --counts "$1")
  cpu=$(value "$r" client_cpu_us_per_item)
  rate=$(value "$r" activities_per_s)
}
echo
echo "== counts on over counts off: $rounds paired rounds of $ratio_n activities after a warm-up of" \
  "$ratio_warmup, 10,000 targets, uniform"
printf "%-6s %12s %12s %10s %12s\n" round "on cpu us" "off cpu us" "cpu ratio" "act/s ratio"
ratios=()
rates=()
for r in $(seq "$rounds"); do
  order="on off"
  ((r % 2)) || order="off on"
  for counts in $order; do
    fresh_run "$counts"
    if [ "$counts" = on ]; then
      on_cpu=$cpu on_rate=$rate
    else
      off_cpu=$cpu off_rate=$rate
    fi
  done
  cpu_ratio=$(awk -v a="$on_cpu" -v b="$off_cpu" 'BEGIN { printf "%.3f", a / b }')
  rate_ratio=$(awk -v a="$on_rate" -v b="$off_rate" 'BEGIN { printf "%.3f", a / b }')
  ratios+=("$cpu_ratio")
  rates+=("$rate_ratio")
  printf "%-6s %12s %12s %10s %12s\n" "$r" "$on_cpu" "$off_cpu" "$cpu_ratio" "$rate_ratio"
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
  print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
echo "median: client CPU per activity, on over off, $(median "${ratios[@]}");" \
  "activities/s, on over off, $(median "${rates[@]}") (aim: CPU at most 1.15, activities/s at least 0.85)"
