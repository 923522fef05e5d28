#!/usr/bin/env bash
# `cctv serve` under load, next to nginx on the same machine, over loopback,
# with the same requests; then a check that every accepted activity was
# stored.
#
#   bench/serve_bench.sh BUILD_DIR
#
#   SERVE_BENCH_SECONDS=N             seconds per measured wrk run (default 10)
#   SERVE_BENCH_SINGLE_CONNECTIONS=N  connections for single-activity POSTs (default 64)
#   SERVE_BENCH_BATCH_CONNECTIONS=N   connections for 1,000-activity POSTs (default 4)
#   SERVE_BENCH_SERVE_ARGS="..."      more `cctv serve` flags, e.g. "--threads 2"
#   SERVE_BENCH_READ_INTERVAL=S       seconds between the reader's count and top queries
#                                     during cctv-batch-reads (default 0.2; 0: back to back)
#   SERVE_BENCH_PERF=FILE             also profile the server (perf record -g) for 5 s
#                                     during an extra single-POST run, into FILE
#
# Requests (identical for nginx and cctv; POST /v1/bench/activities):
#   single  one JSON activity per request, Content-Type: application/json,
#           on keep-alive connections; 512 distinct bodies per wrk thread
#   batch   1,000 activities per request as NDJSON, Content-Type:
#           application/x-ndjson; 16 distinct bodies per wrk thread
# Every body is built once when wrk starts (request() only hands out the
# next prebuilt request), so Lua costs wrk little.
#
# Settings: wrk -t2 (wrk and the server share this machine's 2 cores), 64
# connections for singles and 4 for batches, --timeout 10s; the same for
# nginx and cctv. Singles with 16, 32, 64 and 128 connections came out
# within this machine's run-to-run noise (about +-15%) on both servers, and
# so did the cctv/nginx ratio; 64 gives wrk enough requests in flight to
# keep both servers busy without making latency mostly queueing. Batches
# with 2, 4, 6 and 8 connections gave the same activities/s (the server's
# CPU is the limit); 4 keeps a request in flight per serving thread.
#
# Each run also shows the CPU the server used per request (user + system
# time from /proc over the run: nginx's master and worker, the whole cctv
# process with its writer and RocksDB threads), which says more than
# requests/s when wrk and the server compete for the same cores.
#
# nginx: `worker_processes 1; daemon off;`, its own config, pid, logs and
# temporary directories in a temporary prefix, access_log off, keepalive
# without a request limit, and a server on a free loopback port whose only
# location does `return 204;` (it reads and drops the body): the cost of
# HTTP alone, the upper bound a server doing real work is compared with.
#
# cctv: BUILD_DIR/cctv --store rocksdb:TMP serve --listen 127.0.0.1:0 (its
# default serving threads), table `bench` created by the first POST.
#
# Runs, in order: nginx singles, nginx batches; cctv singles, cctv batches
# (these give the rates), cctv batches while a reader asks for counts and
# top targets back to back, then cctv singles and batches again with a wrk
# response() callback counting 202 and other statuses (the callback makes
# wrk parse every response in Lua, which slows it, so these rates are shown
# apart). Then the server is stopped with SIGTERM and waited for, and the
# activities in the store (`cctv export bench | wc -l`) are compared with
# the activities the server says it accepted (exactly equal) and with the
# 2xx responses wrk saw (no fewer; at most the requests still in flight
# when each wrk run stopped more, since wrk stops without reading them).
#
# Targets: cctv singles at least half of nginx's requests/s; cctv batches
# at least 300,000 activities/s. Exit status 1 if the check fails (not for a
# missed target).
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
cctv=$build/cctv
seconds=${SERVE_BENCH_SECONDS:-10}
single_conns=${SERVE_BENCH_SINGLE_CONNECTIONS:-64}
batch_conns=${SERVE_BENCH_BATCH_CONNECTIONS:-4}
perf_data=${SERVE_BENCH_PERF:-}
read_interval=${SERVE_BENCH_READ_INTERVAL:-0.2}
read -r -a serve_args <<<"${SERVE_BENCH_SERVE_ARGS:-}"
wrk_threads=2
batch=1000
table=bench
path=/v1/$table/activities
nginx=/usr/sbin/nginx
wrk=/usr/bin/wrk

if [[ ! -x $cctv ]]; then
  echo "$0: no $cctv (make -C $build cctv_cli)" >&2
  exit 2
fi
for n in "$seconds" "$single_conns" "$batch_conns"; do
  if ! [[ $n =~ ^[1-9][0-9]*$ ]]; then
    echo "$0: '$n' is not a positive whole number" >&2
    exit 2
  fi
done

# wrk and nginx may still be being installed: wait up to 10 minutes for
# both to be there and to run (`wrk -v` exits 1 after its version line).
tools_ready() {
  [[ -x $nginx && -x $wrk ]] && "$nginx" -v >/dev/null 2>&1 && [[ $("$wrk" -v 2>&1) == wrk* ]]
}
waited=0
until tools_ready; do
  if ((waited == 0)); then echo "waiting for $nginx and $wrk (up to 10 minutes)"; fi
  if ((waited >= 600)); then
    echo "$0: $nginx and $wrk not there after 10 minutes" >&2
    exit 1
  fi
  sleep 5
  waited=$((waited + 5))
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/serve_bench.XXXXXX")
nginx_pid=
server_pid=
wrk_pid=
perf_pid=
reader_pid=
cleanup() {
  local pid
  for pid in $reader_pid $wrk_pid $perf_pid $server_pid $nginx_pid; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# wait_listening PID PORT: until PORT on loopback takes connections; fails if PID exits.
wait_listening() {
  local pid=$1 port=$2
  for _ in $(seq 200); do
    if ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  return 1
}

# The wrk script. SERVE_BENCH_MODE (single|batch), SERVE_BENCH_COUNT (1: count
# statuses in response()), SERVE_BENCH_RUN (a prefix that makes this run's
# actors its own) come from the environment; response() exists only when
# counting, since wrk parses responses into Lua only when it does.
cat >"$tmp/post.lua" <<'LUA'
local mode = os.getenv("SERVE_BENCH_MODE")
local counting = os.getenv("SERVE_BENCH_COUNT") == "1"
local run = os.getenv("SERVE_BENCH_RUN")
local path = os.getenv("SERVE_BENCH_PATH")
local batch = tonumber(os.getenv("SERVE_BENCH_BATCH"))

local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local reqs, n, i = {}, 0, 0
function init(args)
  ok202, other = 0, 0
  local content_type = mode == "batch" and "application/x-ndjson" or "application/json"
  n = mode == "batch" and 16 or 512
  for k = 1, n do
    local body
    if mode == "batch" then
      local lines = {}
      for j = 1, batch do
        lines[j] = string.format('{"actor":"%s-%d-%d-%d","target":"/item/%d"}', run, tid, k, j, (k * batch + j) % 10007)
      end
      body = table.concat(lines, "\n") .. "\n"
    else
      body = string.format('{"actor":"%s-%d-%d","target":"/item/%d"}', run, tid, k, (k * 7 + tid) % 1009)
    end
    reqs[k] = wrk.format("POST", path, {["Content-Type"] = content_type}, body)
  end
end

function request()
  i = i % n + 1
  return reqs[i]
end

if counting then
  function response(status, headers, body)
    if status == 202 then ok202 = ok202 + 1 else other = other + 1 end
  end
end

function done(summary, latency, requests)
  local ok, bad = -1, -1
  if counting then
    ok, bad = 0, 0
    for _, t in ipairs(threads) do
      ok = ok + t:get("ok202")
      bad = bad + t:get("other")
    end
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d rps=%.1f status_errors=%d connect_errors=%d read_errors=%d " ..
    "write_errors=%d timeouts=%d ok202=%d other=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6), e.status, e.connect,
    e.read, e.write, e.timeout, ok, bad, latency:percentile(50), latency:percentile(99)))
end
LUA

field() { # field KEY RESULT-LINE
  sed -n "s/.*\\b$1=\\([-0-9.]*\\).*/\\1/p" <<<"$2"
}

# cpu_ticks PID...: user + system CPU clock ticks the processes have used.
cpu_ticks() {
  local total=0 pid ticks
  for pid in "$@"; do
    ticks=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{ print $12 + $13 }') || true
    total=$((total + ${ticks:-0}))
  done
  echo "$total"
}
clk_tck=$(getconf CLK_TCK)

# run_wrk NAME URL MODE CONNECTIONS SECONDS COUNT PID...: one wrk run, its
# full output in $tmp/NAME.wrk; sets `result` to its RESULT line and
# `server_cpu_us` to the CPU the server processes PID... used per request.
result=
server_cpu_us=
run_wrk() {
  local name=$1 url=$2 mode=$3 conns=$4 secs=$5 count=$6
  shift 6
  local ticks_before
  ticks_before=$(cpu_ticks "$@")
  # In the background, so that a signal reaches the traps at once.
  SERVE_BENCH_MODE=$mode SERVE_BENCH_COUNT=$count SERVE_BENCH_RUN=$name SERVE_BENCH_PATH=$path \
    SERVE_BENCH_BATCH=$batch "$wrk" -t"$wrk_threads" -c"$conns" -d"${secs}s" --timeout 10s \
    -s "$tmp/post.lua" "$url" >"$tmp/$name.wrk" 2>&1 &
  wrk_pid=$!
  local rc=0
  wait "$wrk_pid" || rc=$?
  wrk_pid=
  if ((rc != 0)); then
    echo "$0: wrk failed:" >&2
    cat "$tmp/$name.wrk" >&2
    exit 1
  fi
  local ticks=$(($(cpu_ticks "$@") - ticks_before))
  result=$(grep '^RESULT ' "$tmp/$name.wrk")
  local rps p50 p99 errs requests
  rps=$(field rps "$result")
  p50=$(field p50_us "$result")
  p99=$(field p99_us "$result")
  requests=$(field requests "$result")
  errs=$(($(field status_errors "$result") + $(field connect_errors "$result") + $(field read_errors "$result") +
    $(field write_errors "$result") + $(field timeouts "$result")))
  server_cpu_us=$(awk -v t="$ticks" -v hz="$clk_tck" -v n="$requests" 'BEGIN { printf "%.1f", n ? t / hz * 1e6 / n : 0 }')
  printf "  %-16s %-6s -c%-4s %9.0f req/s  p50 %6.2f ms  p99 %7.2f ms  server CPU %7.1f us/req  errors %d" \
    "$name" "$mode" "$conns" "$rps" "$(awk -v v="$p50" 'BEGIN { print v / 1000 }')" \
    "$(awk -v v="$p99" 'BEGIN { print v / 1000 }')" "$server_cpu_us" "$errs"
  if [[ $count == 1 ]]; then
    printf "  (202: %d, other: %d)" "$(field ok202 "$result")" "$(field other "$result")"
  fi
  printf "\n"
}

echo "== serve_bench: wrk -t$wrk_threads, singles -c$single_conns, batches of $batch -c$batch_conns, ${seconds} s a run, loopback"

# ---- nginx ----------------------------------------------------------------
nginx_temps=""
for m in client_body proxy fastcgi uwsgi scgi; do
  if [[ $m == client_body ]] || ! "$nginx" -V 2>&1 | grep -q -- "--without-http_${m}_module"; then
    nginx_temps+="  ${m}_temp_path $tmp/nginx/${m}_temp;"$'\n'
  fi
done
mkdir -p "$tmp/nginx/logs"
for attempt in 1 2 3; do
  nginx_port=$(free_port)
  cat >"$tmp/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log warn;
events {
  worker_connections 4096;
}
http {
  access_log off;
$nginx_temps  keepalive_requests 100000000;
  keepalive_timeout 120s;
  client_max_body_size 64m;
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      return 204;
    }
  }
}
EOF
  "$nginx" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/logs/error.log" \
    >"$tmp/nginx/stdout" 2>&1 &
  nginx_pid=$!
  if wait_listening "$nginx_pid" "$nginx_port"; then break; fi
  wait "$nginx_pid" 2>/dev/null || true
  nginx_pid=
  if ((attempt == 3)); then
    echo "$0: nginx did not start:" >&2
    cat "$tmp/nginx/stdout" "$tmp/nginx/logs/error.log" >&2 2>/dev/null || true
    exit 1
  fi
done
nginx_url=http://127.0.0.1:$nginx_port
echo "nginx $("$nginx" -v 2>&1 | sed 's/.*nginx\///') on $nginx_url (pid $nginx_pid)"

# The master and its worker (for the CPU they use).
for _ in $(seq 100); do
  nginx_workers=$(pgrep -P "$nginx_pid" | tr '\n' ' ' || true)
  [[ -n $nginx_workers ]] && break
  sleep 0.05
done
read -r -a nginx_pids <<<"$nginx_pid $nginx_workers"
run_wrk nginx-single "$nginx_url" single "$single_conns" "$seconds" 0 "${nginx_pids[@]}"
nginx_single=$(field rps "$result")
nginx_single_cpu=$server_cpu_us
run_wrk nginx-batch "$nginx_url" batch "$batch_conns" "$seconds" 0 "${nginx_pids[@]}"
nginx_batch=$(field rps "$result")

kill -QUIT "$nginx_pid"
wait "$nginx_pid" 2>/dev/null || true
nginx_pid=

# ---- cctv serve -----------------------------------------------------------
"$cctv" --store "rocksdb:$tmp/store" serve --listen 127.0.0.1:0 ${serve_args[@]+"${serve_args[@]}"} \
  >"$tmp/serve.out" 2>"$tmp/serve.err" &
server_pid=$!
server_url=
for _ in $(seq 600); do
  server_url=$(head -n 1 "$tmp/serve.out" | grep -o 'http://[^/ ]*' || true)
  [[ -n $server_url ]] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
  sleep 0.05
done
if [[ -z $server_url ]]; then
  echo "$0: cctv serve did not start:" >&2
  cat "$tmp/serve.out" "$tmp/serve.err" >&2
  exit 1
fi
echo "cctv serve ${serve_args[*]+${serve_args[*]} }on $server_url (pid $server_pid), store rocksdb:$tmp/store"

# Activities wrk saw accepted (2xx responses; status >= 400 counts as a
# status error), and how many more the server may have accepted without
# wrk seeing the answer: requests in flight when a run stopped, or on a
# connection that failed.
seen=0
slack=0
other_statuses=0
account() { # account ITEMS-PER-REQUEST CONNECTIONS
  local items=$1 conns=$2 requests status_errors lost ok
  requests=$(field requests "$result")
  status_errors=$(field status_errors "$result")
  lost=$(($(field read_errors "$result") + $(field write_errors "$result") + $(field timeouts "$result")))
  ok=$(field ok202 "$result")
  if ((ok >= 0)); then
    seen=$((seen + ok * items))
    other_statuses=$((other_statuses + $(field other "$result")))
  else
    seen=$((seen + (requests - status_errors) * items))
    other_statuses=$((other_statuses + status_errors))
  fi
  slack=$((slack + (conns + lost) * items))
}

run_wrk cctv-single "$server_url" single "$single_conns" "$seconds" 0 "$server_pid"
cctv_single=$(field rps "$result")
cctv_single_cpu=$server_cpu_us
account 1 "$single_conns"

if [[ -n $perf_data ]]; then
  profile_secs=$((seconds > 7 ? seconds : 7))
  # Starts a second into the run, once wrk has every connection busy.
  (sleep 1 && exec perf record -g -p "$server_pid" -o "$perf_data" -- sleep 5 >"$tmp/perf.out" 2>&1) &
  perf_pid=$!
  run_wrk cctv-profiled "$server_url" single "$single_conns" "$profile_secs" 0 "$server_pid"
  account 1 "$single_conns"
  if wait "$perf_pid"; then
    echo "  profile of the server during cctv-profiled: $perf_data" \
      "(perf report -i $perf_data --no-children --sort symbol -g none)"
  else
    echo "  perf record failed: $(tail -n 2 "$tmp/perf.out" | tr '\n' ' ')"
  fi
  perf_pid=
fi

run_wrk cctv-batch "$server_url" batch "$batch_conns" "$seconds" 0 "$server_pid"
cctv_batch=$(field rps "$result")
cctv_batch_cpu=$(awk -v c="$server_cpu_us" -v n="$batch" 'BEGIN { printf "%.2f", c / n }')
account "$batch" "$batch_conns"

# Batches again while a reader asks for the table's hourly counts (with
# distinct actors) and its top targets every $read_interval s (a few open
# dashboards, a polling client). Each count query first writes the counts
# gathered so far (docs/data-model.md), so ingest pays a write of counts
# per query instead of one a second.
reader() {
  local n=0
  while :; do
    curl -s -o /dev/null "$server_url/v1/$table/counts?bucket=hour&unique=true" \
      -o /dev/null "$server_url/v1/$table/top?from=-1h" || true
    n=$((n + 2))
    echo "$n" >"$tmp/reads"
    sleep "$read_interval"
  done
}
reader &
reader_pid=$!
run_wrk cctv-batch-reads "$server_url" batch "$batch_conns" "$seconds" 0 "$server_pid"
kill -TERM "$reader_pid" 2>/dev/null || true
wait "$reader_pid" 2>/dev/null || true
reader_pid=
cctv_batch_reads=$(field rps "$result")
reads_per_s=$(awk -v n="$(cat "$tmp/reads" 2>/dev/null || echo 0)" -v s="$seconds" 'BEGIN { printf "%.0f", n / s }')
account "$batch" "$batch_conns"

run_wrk cctv-single-cnt "$server_url" single "$single_conns" "$seconds" 1 "$server_pid"
cctv_single_counted=$(field rps "$result")
account 1 "$single_conns"
run_wrk cctv-batch-cnt "$server_url" batch "$batch_conns" "$seconds" 1 "$server_pid"
cctv_batch_counted=$(field rps "$result")
account "$batch" "$batch_conns"

# Stop the server and let it write what it accepted.
kill -TERM "$server_pid"
server_rc=0
wait "$server_pid" || server_rc=$?
server_pid=
stop_line=$(grep 'stopped;' "$tmp/serve.out" || true)
server_accepted=$(sed -n 's/.*stopped; \([0-9]*\) activities accepted.*/\1/p' <<<"$stop_line")
if [[ $server_rc -ne 0 || -z $server_accepted ]]; then
  echo "$0: cctv serve exited with status $server_rc:" >&2
  cat "$tmp/serve.out" "$tmp/serve.err" >&2
fi
stored=$("$cctv" --store "rocksdb:$tmp/store" export "$table" | wc -l)

# ---- summary --------------------------------------------------------------
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v >= t) ? "met" : "BELOW" }'; }
ratio=$(awk -v a="$cctv_single" -v b="$nginx_single" 'BEGIN { printf "%.2f", a / b }')
batch_aps=$(awk -v r="$cctv_batch" -v n="$batch" 'BEGIN { printf "%.0f", r * n }')
batch_aps_counted=$(awk -v r="$cctv_batch_counted" -v n="$batch" 'BEGIN { printf "%.0f", r * n }')
check=PASS
[[ $server_rc -eq 0 && -n $server_accepted && $stored -eq $server_accepted ]] || check=FAIL
((other_statuses == 0 && stored >= seen && stored <= seen + slack)) || check=FAIL

echo
echo "== summary (wrk -t$wrk_threads; singles -c$single_conns, batches of $batch -c$batch_conns; ${seconds} s a run)"
printf "%-34s %12.0f req/s  (server CPU %s us/request)\n" "nginx single POST (return 204)" "$nginx_single" \
  "$nginx_single_cpu"
printf "%-34s %12.0f req/s  (%.0f activities/s)\n" "nginx $batch-activity POST" "$nginx_batch" \
  "$(awk -v r="$nginx_batch" -v n="$batch" 'BEGIN { print r * n }')"
printf "%-34s %12.0f req/s  (server CPU %s us/request; counting 202s in wrk: %.0f req/s)\n" "cctv single POST" \
  "$cctv_single" "$cctv_single_cpu" "$cctv_single_counted"
printf "%-34s %12s        target >= 0.5: %s\n" "cctv/nginx, single POST req/s" "$ratio" "$(verdict "$ratio" 0.5)"
printf "%-34s %12s act/s  target >= 300000: %s\n" "cctv $batch-activity POST" "$batch_aps" \
  "$(verdict "$batch_aps" 300000)"
printf "%-34s %12s        (%.0f req/s; server CPU %s us/activity; counting 202s in wrk: %s act/s)\n" "" "" \
  "$cctv_batch" "$cctv_batch_cpu" "$batch_aps_counted"
printf "%-34s %12s act/s  (%s of the batches alone, with %s count and top queries/s)\n" \
  "cctv $batch-activity POST + reads" "$(awk -v r="$cctv_batch_reads" -v n="$batch" 'BEGIN { printf "%.0f", r * n }')" \
  "$(awk -v a="$cctv_batch_reads" -v b="$cctv_batch" 'BEGIN { printf "%.2f", a / b }')" "$reads_per_s"
echo "every activity recorded: $check"
echo "  accepted, as wrk saw it (2xx x activities): $seen; other statuses: $other_statuses"
echo "  accepted, as the server says on stopping:   ${server_accepted:-?} (exit status $server_rc)"
echo "  stored (cctv export $table | wc -l):        $stored"
echo "  stored - seen by wrk: $((stored - seen)) (answers wrk stopped before reading; at most $slack)"
[[ $check == PASS ]]
