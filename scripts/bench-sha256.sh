#!/usr/bin/env bash
# Release-mode throughput of HookKit's pure-Swift SHA-256 next to OpenSSL's, on 16 KiB inputs.
#
# The benchmark is built with swiftc directly instead of a SwiftPM target, so Package.swift keeps
# no benchmark product: the HookKit sources are compiled (-O, whole module) into a static library
# and Benchmarks/sha256/main.swift is linked against it through `import HookKit`, exactly as a
# client of the package calls it (public API, across the module boundary).
#
# Usage: scripts/bench-sha256.sh [seconds-per-run]   (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-3}"
bytes=16384

if ! command -v openssl >/dev/null; then
    echo "installing openssl..." >&2
    if [ "$(id -u)" = 0 ]; then apt-get install -y -qq openssl >/dev/null; else sudo apt-get install -y -qq openssl >/dev/null; fi
fi
command -v swiftc >/dev/null || { echo "swiftc not found (PATH should include the Swift toolchain)" >&2; exit 1; }

out=.build/bench-sha256
mkdir -p "$out"
echo "building (swiftc -O -wmo)..."
source scripts/lib/build-hookkit.sh
build_hookkit "$out"
swiftc -O -package-name HookKit -I "$out" -L "$out" -lHookKit -lHookKitSystem Benchmarks/sha256/main.swift -o "$out/sha256-bench"

# `openssl speed` reports thousands of bytes per second; convert to MB/s (10^6 bytes/s).
openssl_mbps() {
    "$@" openssl speed -evp sha256 -bytes "$bytes" -seconds "$seconds" 2>/dev/null \
        | awk '$1 == "sha256" { sub(/k$/, "", $2); printf "%.0f", $2 / 1000 }'
}

echo "running ($seconds s each)..."
ours=$("$out/sha256-bench" "$seconds" "$bytes" | awk '{ print $1 }')
shani=$(openssl_mbps env)
# Bit 29 of the second capability word is the SHA extensions (CPUID.7.0:EBX.SHA).
noshani=$(openssl_mbps env OPENSSL_ia32cap=":~0x20000000")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || uname -m)
shaflag=$(grep -qw sha_ni /proc/cpuinfo 2>/dev/null && echo yes || echo no)

printf '\nSHA-256, %d-byte inputs, %s s per run; CPU: %s (sha_ni: %s); %s\n\n' \
    "$bytes" "$seconds" "$cpu" "$shaflag" "$(openssl version | cut -d' ' -f1-2)"
printf '| implementation                      |    MB/s | HookKit / it |\n'
printf '|-------------------------------------|---------|--------------|\n'
printf '| HookKit SHA256 (pure Swift, -O)     | %7s |         1.00 |\n' "$ours"
printf '| OpenSSL EVP sha256 (SHA-NI)         | %7s | %12s |\n' "$shani" "$(ratio "$ours" "$shani")"
printf '| OpenSSL EVP sha256 (no SHA-NI)      | %7s | %12s |\n' "$noshani" "$(ratio "$ours" "$noshani")"
