#!/usr/bin/env bash
# OTLP sink: how fast hook events become OTLP and reach a decoding receiver, and what the mapping
# state costs with 10,000 open spans.
#
#   scripts/bench-otlp.sh [EVENTS]      (default 100000)
#
# The receiver is scripts/otlp-receiver.py (Python's http.server decoding every request with the
# official opentelemetry-proto package, keeping only counts). Each protocol is measured twice in
# the same run: mapping + encoding + POSTing every batch of 500 events (traces, then logs), as the
# flusher will; and, as the baseline, the receiver's own ceiling: the same requests encoded
# beforehand and POSTed back to back. The ratio is our rate over that ceiling (1.00x: the
# receiver is the only limit). http/json runs on 10,000 events: the receiver's JSON decoding is
# pure Python and slow. Also: mapping + encoding alone, and the mapping state's memory, file size
# and save/load time with 10,000 open spans. Phase 2 will measure through the flusher.
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

work=$(mktemp -d)
receiver_pid=""
cleanup() {
    [ -n "$receiver_pid" ] && kill "$receiver_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
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
"$out/otlp-bench" "$port" "$events"
echo
echo "goal: at least 20,000 events/s into the decoding receiver"
