#!/usr/bin/env bash
# In-process send latency of the library API (EventEmitter.send: stamp + spool + return) over
# 100,000 events, next to a bare write(2) of a line of the same size measured in the same run;
# then the same sends while the emitter's thread delivers them to a hook-hub (release build).
# Built with swiftc directly (like bench-sha256.sh), so Package.swift keeps no benchmark target.
#
#   scripts/bench-emit.sh [EVENTS]      (default 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-100000}
out=.build/bench-emit
mkdir -p "$out"
source scripts/lib/build-hookkit.sh
build_hookkit "$out" 2>/dev/null
swiftc -O -package-name HookKit -I "$out" -L "$out" -lHookKit -lHookKitSystem Benchmarks/emit/main.swift -o "$out/emit-bench" 2>/dev/null
swift build -c release --product hook-hub >/dev/null 2>&1
bin=$(swift build -c release --show-bin-path)
work=$(mktemp -d)
hub_pid=""
trap '[ -n "$hub_pid" ] && kill "$hub_pid" 2>/dev/null; rm -rf "$work"' EXIT
: >"$work/hub.out"
"$bin/hook-hub" --port 0 --store "$work/hub.jsonl" >"$work/hub.out" 2>&1 &
hub_pid=$!
port=""
for _ in $(seq 400); do
    port=$(sed -n 's/.*http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$work/hub.out" | head -n 1)
    [ -n "$port" ] && break
    sleep 0.01
done
[ -n "$port" ] || { echo "hook-hub did not start: $(cat "$work/hub.out")" >&2; exit 1; }
echo "## In-process send latency ($events events, $(nproc) cores, $(date -u +%F))"
echo
echo "| path | events | p50 µs | p99 µs | p99.9 µs | p50 vs baseline |"
echo "|---|---|---|---|---|---|"
"$out/emit-bench" "$work" "$events" "http://127.0.0.1:$port"
echo
echo "stored at the hub: $(wc -l < "$work/hub.jsonl") events"
echo
echo "goal: p99 under 1 ms (design target), under 50 µs (goal)"
