#!/usr/bin/env bash
# `cctv serve` under a steady load of POSTs that keep creating new targets
# (the case that grew its memory without end), sampling its resident memory
# and open file descriptors every few seconds: both must level off.
#
#   bench/soak.sh BUILD_DIR
#
#   SOAK_SECONDS=N        seconds of load (default 180; 600 for a long run)
#   SOAK_EVERY=N          seconds between samples (default 10)
#   SOAK_CONNECTIONS=N    wrk connections (default 4)
#   SOAK_STORE_ARGS=...   store URI parameters, e.g. "?counts_mb=32&memtable_mb=64"
#
# Load: wrk -t1, 1,000-activity NDJSON POSTs, every activity on a target
# never seen before (/soak/<connection>/<n>), actors drawn from 5,000; as
# fast as the server takes them; then 3 x SOAK_EVERY seconds idle, sampled
# too.
#
# Printed: a row per sample (seconds, RSS MB, open fds, activities
# accepted so far), then the peak RSS against the budget of the default
# settings (memtable_mb 192 + cache_mb 48 + counts_mb 64 + the 64 MiB
# ingest queue = 368 MiB, beside the process's own), and "levelled" when
# the highest RSS of the last third of the load is within 10% of the
# highest of the middle third.
set -euo pipefail
BUILD=${1:?usage: bench/soak.sh BUILD_DIR}
CCTV=$BUILD/cctv
SECONDS_OF_LOAD=${SOAK_SECONDS:-180}
EVERY=${SOAK_EVERY:-10}
CONNECTIONS=${SOAK_CONNECTIONS:-4}
STORE_ARGS=${SOAK_STORE_ARGS:-}

work=$(mktemp -d /tmp/soak.XXXXXX)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  [ -n "${SOAK_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT

"$CCTV" --store "rocksdb:$work/store$STORE_ARGS" serve --listen 127.0.0.1:0 >"$work/serve.out" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  grep -q "http://" "$work/serve.out" 2>/dev/null && break
  sleep 0.1
done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.out" | head -1)
if [ -z "$url" ]; then
  echo "soak: cctv serve did not start:" >&2
  cat "$work/serve.out" >&2
  exit 1
fi

cat >"$work/soak.lua" <<'EOF'
-- 1,000 activities a request, each on a target never seen before.
local thread_id = 0
local counter = 0
setup = function(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
end
init = function(args)
  math.randomseed(id + 7)
end
request = function()
  local lines = {}
  for i = 1, 1000 do
    counter = counter + 1
    lines[i] = '{"actor":"user-' .. math.random(5000) .. '","target":"/soak/' .. id .. '/' .. counter .. '"}'
  end
  return wrk.format("POST", "/v1/soak/activities",
                    {["Content-Type"] = "application/x-ndjson"}, table.concat(lines, "\n"))
end
EOF

rss_mb() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$server_pid/status"; }
fds() { ls "/proc/$server_pid/fd" | wc -l; }
accepted() {
  curl -s "$url/metrics" | awk '/^cctv_activities_accepted_total/ {print $2}'
}

echo "== soak: new targets only, wrk -t1 -c$CONNECTIONS, ${SECONDS_OF_LOAD} s, a sample every ${EVERY} s"
echo "   store: rocksdb:$work/store$STORE_ARGS"
wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_OF_LOAD}s" --timeout 30s -s "$work/soak.lua" "$url" >"$work/wrk.out" 2>&1 &
wrk_pid=$!
printf "%8s %8s %6s %14s\n" seconds rss_mb fds accepted
samples="$work/samples"
: >"$samples"
start=$(date +%s)
end_of_load=$((start + SECONDS_OF_LOAD))
end_of_idle=$((end_of_load + 3 * EVERY))
while :; do
  sleep "$EVERY"
  now=$(date +%s)
  t=$((now - start))
  r=$(rss_mb); f=$(fds); a=$(accepted)
  printf "%8d %8s %6s %14s\n" "$t" "$r" "$f" "$a"
  echo "$t $r $f $a" >>"$samples"
  [ "$now" -ge "$end_of_idle" ] && break
done
wait "$wrk_pid" || true

awk -v load="$SECONDS_OF_LOAD" '
  { t = $1; r = $2
    if (r > peak) peak = r
    if (t <= load && t > load / 3 && t <= 2 * load / 3 && r > mid) mid = r
    if (t <= load && t > 2 * load / 3 && r > last) last = r }
  END {
    printf "peak RSS %d MB (the default settings budget 368 MiB); highest in the middle third of the load %d MB, in the last third %d MB: ", peak, mid, last
    if (mid > 0 && last <= mid * 1.10) print "levelled"; else print "STILL GROWING"
  }' "$samples"
grep -E "Requests/sec|requests in" "$work/wrk.out" | sed 's/^/wrk: /'
