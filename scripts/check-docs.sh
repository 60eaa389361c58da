#!/usr/bin/env bash
# Checks the library's public API documentation, and fails with one line per problem:
#   - every public declaration of the package's library modules has a doc comment (read from
#     the compiler's symbol graph, so nothing public escapes a text search);
#   - no public type is named like a type of the standard library, swift-system, swift-crypto or
#     swift-nio (a client importing both would have to qualify every use);
#   - the DocC catalog (Sources/HookKit/HookKit.docc) builds without warnings, so its symbol links
#     resolve (when the toolchain has `docc`).
# `swift test` runs it (DocumentationTests), on the modules it has just built.
#
#   scripts/check-docs.sh                       debug build of the libraries, then the checks
#   scripts/check-docs.sh --modules DIR         the checks only, on modules built in DIR
#   options for checking other code: --sources DIR (where declarations must be; default Sources),
#   --no-docc, then module names (default: HookKit HookKitSystem HookKitHub)
set -euo pipefail
cd "$(dirname "$0")/.."
modules_dir=""
sources="$PWD/Sources"
docc_check=1
names=()
while [ $# -gt 0 ]; do
    case "$1" in
        --modules) modules_dir=$2; shift 2 ;;
        --sources) sources=$(cd "$2" && pwd); shift 2 ;;
        --no-docc) docc_check=0; shift ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) names+=("$1"); shift ;;
    esac
done
[ ${#names[@]} -gt 0 ] || names=(HookKit HookKitSystem HookKitHub)
if [ -z "$modules_dir" ]; then
    for name in "${names[@]}"; do swift build --target "$name" >/dev/null; done
    modules_dir=$(swift build --show-bin-path)
fi
[ -d "$modules_dir/Modules" ] && modules_dir="$modules_dir/Modules"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
triple=$(swift -print-target-info | python3 -c 'import json, sys; print(json.load(sys.stdin)["target"]["triple"])')
sdk=()
if command -v xcrun >/dev/null 2>&1; then sdk=(-sdk "$(xcrun --show-sdk-path)"); fi
for name in "${names[@]}"; do
    mkdir -p "$work/$name"
    swift-symbolgraph-extract -module-name "$name" -I "$modules_dir" -target "$triple" "${sdk[@]}" \
        -minimum-access-level public -output-dir "$work/$name"
done

python3 - "$work" "$sources" "${names[@]}" <<'PYTHON'
import glob, json, sys, urllib.parse, urllib.request

work, sources, names = sys.argv[1], sys.argv[2].rstrip("/") + "/", sys.argv[3:]
# Type names of the standard library, swift-system, swift-crypto and swift-nio that a client is
# likely to import next to HookKit.
taken = {
    "Clock", "Duration", "Instant", "Mutex", "Atomic", "Result", "Error", "Never", "Task", "Actor",
    "FileDescriptor", "FilePath", "FilePermissions", "Errno", "SystemError",
    "SHA256", "SHA512", "HMAC", "SymmetricKey", "Digest", "HashFunction",
    "Socket", "SocketAddress", "Lock", "ConditionLock", "NIOLock", "Channel", "EventLoop", "ByteBuffer",
    "HTTPMethod", "HTTPHeaders", "HTTPResponseStatus", "JSONEncoder", "JSONDecoder", "UUID", "URL", "Data",
}
problems = []
public_count = 0
for name in names:
    for path in sorted(glob.glob(f"{work}/{name}/*.symbols.json")):
        with open(path) as handle:
            graph = json.load(handle)
        for symbol in graph["symbols"]:
            location = symbol.get("location")
            if not location:
                continue  # inherited or synthesized: documented where it is declared
            file = urllib.request.url2pathname(urllib.parse.urlparse(location["uri"]).path)
            if not file.startswith(sources):
                continue
            public_count += 1
            where = f'{file[len(sources):]}:{location["position"]["line"] + 1}'
            title = ".".join(symbol["pathComponents"])
            kind = symbol["kind"]["displayName"].lower()
            if not symbol.get("docComment", {}).get("lines"):
                problems.append(f"{where}: public {kind} {name}.{title} has no doc comment")
            if len(symbol["pathComponents"]) == 1 and symbol["pathComponents"][0] in taken:
                problems.append(f"{where}: public {kind} {name}.{title} is named like a standard or common package type")
# The symbol graph leaves out a few names (`<Module>Version...`, which it takes for a framework's
# version constants): read the sources too. A public declaration, after its attributes, must
# follow a doc comment.
import os, re
declaration = re.compile(r"^\s*(?:@[\w().:, ]+\s+)*public\s+(?:(?:static|final|convenience|override|mutating|nonisolated|indirect)\s+)*(?:func|var|let|init|enum|struct|class|protocol|typealias|case|subscript|actor)\b")
seen = {problem.split(": ", 1)[0] for problem in problems}
for name in names:
    for root, _, files in os.walk(sources + name):
        for file_name in sorted(files):
            if not file_name.endswith(".swift"):
                continue
            path = os.path.join(root, file_name)
            with open(path) as handle:
                lines = handle.read().split("\n")
            for index, line in enumerate(lines):
                if not declaration.match(line):
                    continue
                above = index - 1
                while above >= 0 and lines[above].strip().startswith("@"):
                    above -= 1
                previous = lines[above].strip() if above >= 0 else ""
                where = f"{path[len(sources):]}:{index + 1}"
                if not (previous.startswith("///") or previous.endswith("*/")) and where not in seen:
                    problems.append(f"{where}: public declaration has no doc comment: {line.strip()}")
for problem in problems:
    print(problem)
print(f"check-docs: {public_count} public declarations in {', '.join(names)}, {len(problems)} problems",
      file=sys.stderr)
sys.exit(1 if problems else 0)
PYTHON

catalog=Sources/HookKit/HookKit.docc
if [ "$docc_check" = 1 ] && [[ " ${names[*]} " == *" HookKit "* ]] && [ -d "$catalog" ]; then
    if command -v docc >/dev/null 2>&1 || xcrun --find docc >/dev/null 2>&1; then
        docc=$(command -v docc || xcrun --find docc)
        if ! "$docc" convert "$catalog" --additional-symbol-graph-dir "$work/HookKit" \
            --fallback-display-name HookKit --fallback-bundle-identifier HookKit \
            --output-path "$work/HookKit.doccarchive" --warnings-as-errors >"$work/docc.log" 2>&1; then
            grep -E "warning|error" "$work/docc.log" | sed "s|$PWD/||" || cat "$work/docc.log"
            echo "check-docs: the DocC catalog does not build cleanly" >&2
            exit 1
        fi
        echo "check-docs: $catalog builds without warnings" >&2
    else
        echo "check-docs: no docc in this toolchain; catalog not checked" >&2
    fi
fi
