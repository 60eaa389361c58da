#!/usr/bin/env bash
# Bounded libFuzzer run of the HTTP/1.1 request parser (and the response parser), with
# AddressSanitizer. Usage: scripts/fuzz-http-parser.sh [SECONDS]   (default 60)
#
# Builds Fuzz/HTTPParserFuzz.swift together with the parser sources (no package, no
# Foundation) with `swiftc -sanitize=fuzzer,address`, seeds a corpus with typical and tricky
# requests, runs for a fixed time, and exits non-zero if the fuzzer found a crash, a sanitizer
# report or a broken property (crash inputs are left in the work folder it prints).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
work="${FUZZ_WORK:-$(mktemp -d /tmp/hookkit-fuzz-XXXXXX)}"
mkdir -p "$work/corpus"

# The parsers live in two targets (the response side in HookKit, the request side in HookKitHub);
# the fuzzer compiles them as one module, so their imports of each other are dropped.
mkdir -p "$work/src"
for file in Sources/HookKitSystem/Syscalls.swift Sources/HookKit/HTTP/HTTPMessage.swift \
  Sources/HookKit/HTTP/HTTPParseError.swift Sources/HookKitHub/HTTP/HTTPRequestParser.swift \
  Sources/HookKit/HTTP/HTTPChunkedDecoder.swift Sources/HookKit/HTTP/HTTPResponseParser.swift; do
  sed '/^import HookKit/d' "$file" > "$work/src/$(basename "$file")"
done
sources=("$work"/src/*.swift Fuzz/HTTPParserFuzz.swift)
echo "fuzz: building $work/http-parser-fuzz from ${#sources[@]} files (swiftc -O -sanitize=fuzzer,address)"
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name HTTPParserFuzz \
  "${sources[@]}" -o "$work/http-parser-fuzz" 2> "$work/build.log" || { cat "$work/build.log"; exit 1; }

# Seeds: the first byte of each is the piece size used for the split-parsing comparison.
seed() { printf "$2" > "$work/corpus/$1"; }
seed get      '\x03GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'
seed post     '\x05POST /events HTTP/1.1\r\nContent-Length: 7\r\n\r\n{"a":1}GET / HTTP/1.0\r\n\r\n'
seed chunked  '\x02POST /e HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n'
seed lf       '\x01\r\nGET /x?a=%%20 HTTP/1.1\nA:  b \n\n'
seed expect   '\x04POST /e HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi'
seed response '\x06HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n'
seed bad      '\x07GET /x HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n'

echo "fuzz: running for ${seconds}s (corpus $work/corpus, artifacts in $work)"
set +e
(cd "$work" && ./http-parser-fuzz -max_total_time="$seconds" -max_len=4096 -timeout=10 \
  -print_final_stats=1 corpus > fuzz.log 2>&1)
status=$?
set -e
grep -E "^#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|cov:" "$work/fuzz.log" | tail -4
if [ $status -ne 0 ]; then
  echo "fuzz: FAILED (exit $status); see $work/fuzz.log and the crash-* files in $work"
  tail -40 "$work/fuzz.log"
  exit 1
fi
echo "fuzz: no crash, no sanitizer report, properties held; corpus now $(ls "$work/corpus" | wc -l) inputs"
