#!/usr/bin/env bash
# Throughput and latency of hook-hub on loopback, measured with wrk.
#
#   scripts/bench-hub.sh            # 10 s per run
#   BENCH_SECONDS=5 CONNECTIONS=64 scripts/bench-hub.sh
#
# Builds hook-hub in release mode, starts it on a free 127.0.0.1 port with a temporary store
# (fsync on, as always), and runs, in the same session:
#   1. GET /healthz                 the ceiling: same server, no JSON, no disk
#   2. POST /events                 one unique event per request, keep-alive
#   3. POST /events/batch           500 unique events per request
# then prints events/s, requests/s, p50/p99 latency and the ratio to the ceiling, and checks
# that the store holds exactly the events that were acknowledged.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${BENCH_SECONDS:-10}"
connections="${CONNECTIONS:-64}"
batch_connections="${BATCH_CONNECTIONS:-8}"
command -v wrk > /dev/null || { echo "bench: wrk is not installed (apt-get install wrk)"; exit 1; }

echo "bench: building hook-hub (release)"
swift build -c release --product hook-hub > /dev/null
bin="$(swift build -c release --show-bin-path)/hook-hub"

work="$(mktemp -d /tmp/hookkit-bench-XXXXXX)"
hub_pid=""
cleanup() {
  if [ -n "$hub_pid" ]; then kill "$hub_pid" 2> /dev/null || true; wait "$hub_pid" 2> /dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$bin" --host 127.0.0.1 --port 0 --store "$work/events.jsonl" > "$work/hub.out" 2> "$work/hub.err" &
hub_pid=$!
for _ in $(seq 1 500); do grep -q "listening on" "$work/hub.out" 2> /dev/null && break; sleep 0.01; done
address="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/hub.out")"
echo "bench: $(cat "$work/hub.out")"

# What one small synchronous write costs on this disk (the reason for group commit).
sync_seconds="$(dd if=/dev/zero of="$work/dd" bs=200 count=200 oflag=dsync 2>&1 | tail -1 | awk '{print $(NF-3)}')"
echo "bench: one synchronous 200-byte append costs $(awk -v s="$sync_seconds" 'BEGIN { printf "%.0f", s / 200 * 1e6 }') us here"
rm -f "$work/dd"
echo "bench: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), ${seconds}s per run"

run() {  # name, expected events per request, wrk arguments...
  local name="$1" per="$2"; shift 2
  local line
  line="$(wrk --timeout 10s "$@" | grep '^RESULT' || true)"
  [ -n "$line" ] || { echo "bench: $name produced no result"; exit 1; }
  echo "$name $per $line" >> "$work/results"
}

wrk -t2 -c"$connections" -d2s -s scripts/bench/healthz.lua "$address/healthz" > /dev/null  # warm-up
run "GET /healthz (ceiling)" 0 -t2 -c"$connections" -d"${seconds}s" -s scripts/bench/healthz.lua "$address/healthz"
RUN_ID=1 run "POST /events (1/request)" 1 -t2 -c"$connections" -d"${seconds}s" -s scripts/bench/events.lua "$address/events"
BATCH=500 RUN_ID=2 run "POST /events/batch (500)" 500 -t2 -c"$batch_connections" -d"${seconds}s" -s scripts/bench/events.lua "$address/events/batch"

echo
awk '
  function field(name,   i, kv) { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == name) return kv[2] } return "" }
  BEGIN { FS = " " }
  {
    n = index($0, " RESULT "); head = substr($0, 1, n - 1); split(head, parts, " ")
    per = parts[length(parts)]; name = substr(head, 1, length(head) - length(per) - 1)
    rps = field("requests_per_s"); eps = field("events_per_s")
    if (NR == 1) { ceiling = rps }
    if (per > 0) stored += field("requests") * per
    rows[NR] = sprintf("%-28s %12s %11s %9s %9s %9s %6s", name, (per > 0 ? eps : "-"), rps, field("p50_ms"), field("p99_ms"),
                       sprintf("%.2f", rps / ceiling), field("errors") + field("unexpected"))
  }
  END {
    printf "%-28s %12s %11s %9s %9s %9s %6s\n", "run", "events/s", "requests/s", "p50 ms", "p99 ms", "req/ceil", "errors"
    for (i = 1; i <= NR; i++) print rows[i]
    printf "STORED_EXPECTED %d\n", stored > "/dev/stderr"
  }
' "$work/results" 2> "$work/expected"
expected="$(awk '{print $2}' "$work/expected")"
lines="$(wc -l < "$work/events.jsonl")"
echo
echo "bench: store holds $lines events; wrk saw $expected acknowledged (complete responses only; a request cut off when a run ends may be stored without being counted)"
[ "$lines" -ge "$expected" ] || { echo "bench: FAILED: fewer events stored than acknowledged"; exit 1; }
