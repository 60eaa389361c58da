#!/usr/bin/env bash
# In-process redaction latency (PayloadFilter.apply: every string value decoded, scanned by the
# rules, re-encoded when changed) for a 2 KiB PreToolUse input, 256 KiB of mixed tool output and
# 256 KiB of adversarial near-misses, beside the JSON scan/minify the hook already does to every
# input, measured in the same run. Built with swiftc directly (like bench-emit.sh), so
# Package.swift keeps no benchmark target.
#
#   scripts/bench-redact.sh [ITERATIONS]      (default 2000; the 2 KiB input runs 10x that)
set -euo pipefail
cd "$(dirname "$0")/.."
iterations=${1:-2000}
out=.build/bench-redact
mkdir -p "$out"
source scripts/lib/build-hookkit.sh
build_hookkit "$out" 2>/dev/null
swiftc -O -package-name HookKit -I "$out" -L "$out" -lHookKit -lHookKitSystem Benchmarks/redact/main.swift \
    -o "$out/redact-bench" 2>/dev/null
echo "## In-process redaction latency ($(nproc) cores, $(date -u +%F))"
echo
echo "| input | path | runs | p50 µs | p99 µs | p50 vs scan |"
echo "|---|---|---|---|---|---|"
"$out/redact-bench" "$iterations"
echo
echo "goals: 2 KiB PreToolUse at most 20 µs p50; 256 KiB of mixed text at most 2 ms p50 (2000 µs)"
