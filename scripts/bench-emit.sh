#!/usr/bin/env bash
# In-process send latency of the library API (EventEmitter.send: stamp + spool + return) over
# 100,000 events, next to a bare write(2) of a line of the same size measured in the same run.
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
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "## In-process send latency ($events events, $(nproc) cores, $(date -u +%F))"
echo
echo "| path | events | p50 µs | p99 µs | p99.9 µs | p50 vs baseline |"
echo "|---|---|---|---|---|---|"
"$out/emit-bench" "$work" "$events"
echo
echo "goal: p99 under 1 ms (design target), under 50 µs (goal)"
