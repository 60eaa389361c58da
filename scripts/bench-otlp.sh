#!/usr/bin/env bash
# OTLP sink: how fast hook events become OTLP and reach a decoding receiver, and what the mapping
# state costs with 10,000 open spans.
#
#   scripts/bench-otlp.sh [EVENTS]      (default 100000)
#
# The receiver is scripts/otlp-receiver.py (Python's http.server decoding every request with the
# official opentelemetry-proto package, keeping only counts). Each protocol is measured twice in
# the same run: mapping + encoding + POSTing every batch of 500 events (traces, then logs), as the
# flusher does; and, as the baseline, the receiver's own ceiling: the same requests encoded
# beforehand and POSTed back to back. The ratio is our rate over that ceiling (1.00x: the
# receiver is the only limit). http/json runs on 10,000 events: the receiver's JSON decoding is
# pure Python and slow. Also: mapping + encoding alone, and the mapping state's file size
# and save/load time with 10,000 open spans.
#
# Then the flusher itself (the release `send-event flush`, reading a spool of the same events,
# saving its state after every batch as it always does): its drain rate into the receiver with
# the hub off, beside the receiver's ceiling from the same run; the same spool drained to
# hook-hub alone, and to both sinks side by side; and the resident memory of a background flusher
# holding 10,000 open spans, beside one that drained as many events whose spans all closed.
# Built with swiftc directly (like bench-emit.sh), so Package.swift keeps no benchmark target.
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-100000}
out=.build/bench-otlp
mkdir -p "$out"
python3 -c "import opentelemetry.proto.collector.trace.v1.trace_service_pb2" 2>/dev/null \
    || python3 -m pip install --quiet --disable-pip-version-check opentelemetry-proto >/dev/null 2>&1
source scripts/lib/build-hookkit.sh
build_hookkit "$out" 2>/dev/null
swiftc -O -package-name HookKit -I "$out" -L "$out" -lHookKit -lHookKitSystem Benchmarks/otlp/main.swift \
    -o "$out/otlp-bench" 2>/dev/null
swift build -c release --product send-event >/dev/null 2>&1
swift build -c release --product hook-hub >/dev/null 2>&1
bin=$(swift build -c release --show-bin-path)

work=$(mktemp -d)
receiver_pid=""
hub_pid=""
flusher_pids=()
cleanup() {
    [ -n "$receiver_pid" ] && kill "$receiver_pid" 2>/dev/null || true
    [ -n "$hub_pid" ] && kill "$hub_pid" 2>/dev/null || true
    for pid in "${flusher_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
: > "$work/receiver.out"
python3 scripts/otlp-receiver.py --port 0 --no-keep > "$work/receiver.out" 2>&1 &
receiver_pid=$!
port=""
for _ in $(seq 500); do
    port=$(sed -n 's/.*http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$work/receiver.out" | head -n 1)
    [ -n "$port" ] && break
    sleep 0.02
done
[ -n "$port" ] || { echo "the receiver did not start:"; cat "$work/receiver.out"; exit 1; }

echo "## OTLP sink ($events events in batches of 500, $(nproc) cores, $(date -u +%F))"
echo
echo "| what | events/s | time | baseline / notes |"
echo "|---|---|---|---|"
OTLP_BENCH_CEILING_FILE="$work/ceiling" "$out/otlp-bench" "$port" "$events"
ceiling=$(cat "$work/ceiling")

: > "$work/hub.out"
"$bin/hook-hub" --port 0 --store "$work/hub.jsonl" > "$work/hub.out" 2>&1 &
hub_pid=$!
hub_port=""
for _ in $(seq 500); do
    hub_port=$(sed -n 's/.*http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$work/hub.out" | head -n 1)
    [ -n "$hub_port" ] && break
    sleep 0.02
done
[ -n "$hub_port" ] || { echo "hook-hub did not start:"; cat "$work/hub.out"; exit 1; }

# A spool holding the benchmark's events; `send-event flush` drains it; prints the seconds taken.
drain() {  # $1 = name, $2 = hub URL or none, $3 = OTLP endpoint or "" ; then the queue's event count
    local spool="$work/spool-$1"
    mkdir -m 700 "$spool"
    "$out/otlp-bench" write-queue "$spool/queue.jsonl" "$events"
    local start end
    start=$(date +%s.%N)
    CLAUDE_OBSERVABILITY_SPOOL="$spool" CLAUDE_OBSERVABILITY_HUB="$2" CLAUDE_OBSERVABILITY_OTLP_ENDPOINT="$3" \
        "$bin/send-event" flush 2> "$work/$1.err" || { echo "flush failed:"; cat "$work/$1.err"; exit 1; }
    end=$(date +%s.%N)
    echo "$start $end" | awk '{ printf "%.2f", $2 - $1 }'
}
row() {  # $1 = label, $2 = seconds, $3 = notes
    echo "| $1 | $(echo "$events $2" | awk '{ printf "%d", $1 / $2 }') | $2 s | $3 |"
}
echo
echo "| the flusher, $events events from its spool (release build) | events/s | time | baseline / notes |"
echo "|---|---|---|---|"
otlp_only=$(drain otlp none "http://127.0.0.1:$port")
otlp_rate=$(echo "$events $otlp_only" | awk '{ printf "%d", $1 / $2 }')
row "**send-event flush** (hub off) into the decoding receiver, http/protobuf" "$otlp_only" \
    "receiver ceiling $ceiling/s: **$(echo "$otlp_rate $ceiling" | awk '{ printf "%.2fx", $1 / $2 }')**"
hub_only=$(drain hub "http://127.0.0.1:$hub_port" "")
row "send-event flush to hook-hub alone (the same events)" "$hub_only" "baseline for the row below"
both=$(drain both "http://127.0.0.1:$hub_port" "http://127.0.0.1:$port")
row "send-event flush to both sinks side by side (hook-hub + receiver)" "$both" \
    "each event to both: $(echo "$both $hub_only $otlp_only" | awk '{ printf "%.2fx the hub alone, %.2fx the receiver alone", $1 / $2, $1 / $3 }') in time"
echo
echo "goal: at least 20,000 events/s into the decoding receiver"

# A background flusher's memory: it drains 10,000 events and lingers; its resident size then.
resident() {  # $1 = name, $2 = "open" or "" ; prints "rss_kib hwm_kib open_spans"
    local spool="$work/spool-mem-$1"
    mkdir -m 700 "$spool"
    "$out/otlp-bench" write-queue "$spool/queue.jsonl" 10000 $2
    CLAUDE_OBSERVABILITY_SPOOL="$spool" CLAUDE_OBSERVABILITY_HUB=none \
        CLAUDE_OBSERVABILITY_OTLP_ENDPOINT="http://127.0.0.1:$port" CLAUDE_OBSERVABILITY_LINGER_MS=60000 \
        "$bin/send-event" flush --background &
    local pid=$!
    flusher_pids+=("$pid")
    local status=""
    for _ in $(seq 3000); do
        status=$(CLAUDE_OBSERVABILITY_SPOOL="$spool" CLAUDE_OBSERVABILITY_HUB=none \
            CLAUDE_OBSERVABILITY_OTLP_ENDPOINT="http://127.0.0.1:$port" "$bin/send-event" status --json)
        echo "$status" | grep -q '"otlp":{[^}]*"queued":0,' && break
        sleep 0.02
    done
    local rss hwm spans
    rss=$(awk '/VmRSS/ { print $2 }' "/proc/$pid/status")
    hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")
    spans=$(echo "$status" | sed -n 's/.*"open_spans":\([0-9]*\).*/\1/p')
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    echo "$rss $hwm $spans $(wc -c < "$spool/otlp-state.json")"
}
read -r open_rss open_hwm open_spans open_file <<< "$(resident open open)"
read -r closed_rss closed_hwm closed_spans _ <<< "$(resident closed "")"
echo
echo "| background flusher, 10,000 events drained, lingering | resident | peak | notes |"
echo "|---|---|---|---|"
echo "| $open_spans spans left open (1 KiB tool inputs) | $((open_rss / 1024)) MiB | $((open_hwm / 1024)) MiB | otlp-state.json $((open_file / 1024)) KiB; **+$(((open_rss - closed_rss) / 1024)) MiB** over the row below |"
echo "| $closed_spans spans open (every span closed) | $((closed_rss / 1024)) MiB | $((closed_hwm / 1024)) MiB | baseline |"
