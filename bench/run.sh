#!/usr/bin/env bash
# `make bench`: cctv against SQLite on the identical workload, and cctv with
# counts against cctv without them, alternating for several rounds in the
# same run (this machine's speed drifts by tens of percent), reporting each
# round, the ratios of the medians and, for counts, the median of each
# round's own ratio; then what counts cost at steady state (longer runs, more
# pairs), and the micro-benchmarks of the hot paths.
#   bench/run.sh BUILD_DIR [cctv bench flags, e.g. --activities 10000000]
#   BENCH_ROUNDS=N (default 3), COUNTS_PAIRS=N (default 7)
set -euo pipefail
build=$1
shift
flags=("$@")
rounds=${BENCH_ROUNDS:-3}

value() { echo "$1" | grep -o "\"$2\":[0-9.]*" | cut -d: -f2; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
med() {  # med KEY RUN...: the median of KEY over the runs
  local key=$1
  shift
  for r in "$@"; do value "$r" "$key"; done | median
}

echo "== ingest and views: cctv (embedded store) vs SQLite, same workload, $rounds alternating rounds"
echo "   (cctv also without counts, to show what keeping them costs)"
cctv_runs=()
plain_runs=()
sqlite_runs=()
# Each run starts with the page cache written back (sync), so that one
# run's writeback does not land on the next; cctv with and without counts
# swap places every round, so that neither always follows SQLite.
for ((i = 1; i <= rounds; i++)); do
  sqlite_runs+=("$("$build/bench/sqlite_baseline" "${flags[@]}")")
  sync
  if ((i % 2 == 1)); then
    cctv_runs+=("$("$build/cctv" bench --format json "${flags[@]}")")
    sync
    plain_runs+=("$("$build/cctv" bench --format json --counts off "${flags[@]}")")
  else
    plain_runs+=("$("$build/cctv" bench --format json --counts off "${flags[@]}")")
    sync
    cctv_runs+=("$("$build/cctv" bench --format json "${flags[@]}")")
  fi
  sync
  echo "round $i cctv:          ${cctv_runs[-1]}"
  echo "round $i cctv, no counts: ${plain_runs[-1]}"
  echo "round $i sqlite:        ${sqlite_runs[-1]}"
done
echo
printf "%-20s %12s %12s %12s %12s %14s\n" "median of $rounds" cctv "no counts" SQLite cctv/SQLite "counts cost"
for key in activities_per_s cpu_s_per_million peak_rss_mb view_target_p50_us view_target_p99_us \
           view_actor_p50_us view_actor_p99_us; do
  c=$(med "$key" "${cctv_runs[@]}")
  p=$(med "$key" "${plain_runs[@]}")
  s=$(med "$key" "${sqlite_runs[@]}")
  awk -v k="$key" -v c="$c" -v p="$p" -v s="$s" \
    'BEGIN { printf "%-20s %12.1f %12.1f %12.1f %12.2f %13.1f%%\n", k, c, p, s, c / s, (c / p - 1) * 100 }'
done
# Rounds run back to back, so a round's two cctv runs share the machine's
# state: the median of the per-round ratios is the steadier figure for what
# counts cost.
paired=$(for ((i = 0; i < rounds; i++)); do
  awk -v c="$(value "${cctv_runs[i]}" activities_per_s)" -v p="$(value "${plain_runs[i]}" activities_per_s)" \
    'BEGIN { printf "%.4f\n", (c / p - 1) * 100 }'
done | median)
awk -v p="$paired" -v n="$rounds" \
  'BEGIN { printf "%-20s %51.1f%%  (activities_per_s: the median of the %d rounds'"'"' own ratios)\n", "counts cost, paired", p, n }'
for key in count_series_p50_us count_series_p99_us; do
  c=$(med "$key" "${cctv_runs[@]}")
  awk -v k="$key" -v c="$c" 'BEGIN { printf "%-20s %12.1f   (30-day hourly series, 720 points, one target)\n", k, c }'
done

# What keeping counts costs once ingest runs steadily: longer runs than the
# rounds above, where the last write of counts -- which flush() waits for,
# with nothing else left to run beside it -- is a larger share of a short
# run; more of them, for a median that one disturbed run cannot move. Then
# the same at 100,000 targets, where a write of counts has ten times as many
# rows.
counts_cost() {  # counts_cost PAIRS LABEL [cctv bench flags]
  local pairs=$1 label=$2
  shift 2
  local with=() without=() i
  for ((i = 1; i <= pairs; i++)); do
    # sync between runs, as above: a run's files still being written back
    # would slow the next.
    if ((i % 2 == 1)); then
      with+=("$("$build/cctv" bench --format json --queries 0 "$@")")
      sync
      without+=("$("$build/cctv" bench --format json --queries 0 --counts off "$@")")
    else
      without+=("$("$build/cctv" bench --format json --queries 0 --counts off "$@")")
      sync
      with+=("$("$build/cctv" bench --format json --queries 0 "$@")")
    fi
    sync
    echo "  pair $i: with counts $(value "${with[-1]}" activities_per_s)/s, without $(value "${without[-1]}" activities_per_s)/s"
  done
  local c p cc pc paired
  c=$(med activities_per_s "${with[@]}")
  p=$(med activities_per_s "${without[@]}")
  cc=$(med cpu_s_per_million "${with[@]}")
  pc=$(med cpu_s_per_million "${without[@]}")
  paired=$(for ((i = 0; i < pairs; i++)); do
    awk -v c="$(value "${with[i]}" activities_per_s)" -v p="$(value "${without[i]}" activities_per_s)" \
      'BEGIN { printf "%.4f\n", (c / p - 1) * 100 }'
  done | median)
  awk -v l="$label" -v c="$c" -v p="$p" -v cc="$cc" -v pc="$pc" -v q="$paired" -v n="$pairs" 'BEGIN {
    printf "%s: median %.0f vs %.0f activities/s without counts: %+.1f%% (paired: %+.1f%%, median of %d pairs)\n", l, c, p, (c / p - 1) * 100, q, n
    printf "%s: CPU %.2f vs %.2f s per million activities: %+.1f%%\n", l, cc, pc, (cc / pc - 1) * 100 }'
}
echo
echo "== counts cost at steady state: ${COUNTS_PAIRS:-7} alternating pairs of 3,000,000 activities"
counts_cost "${COUNTS_PAIRS:-7}" "10,000 targets" --activities 3000000
echo "== the same at 100,000 targets, 3 pairs"
counts_cost 3 "100,000 targets" --activities 3000000 --targets 100000

echo
echo "== micro-benchmarks"
"$build/bench/cctv_micro_bench" --benchmark_min_time=0.2
