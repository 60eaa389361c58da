#!/usr/bin/env bash
# The curl | bash flow, measured: builds the release archive for this machine with
# scripts/release.sh (a real release build), serves it with hook-hub --downloads, and times, from
# a fresh HOME and project each round with no swift on PATH:
#   curl -fsSL http://127.0.0.1:PORT/install.sh | bash -s -- PROJECT
#   then the installed hook run as Claude Code runs it (sh -c, the settings' env applied)
#   until the event is stored at the hub ("download to first event").
# Baseline in the same run: the same install from the unpacked binary (HOOKKIT_BINARY, no
# download, no checksum) to the first event. Prints a markdown table.
#
#   scripts/bench-install.sh [ROUNDS]      (default 7)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-7}
work=$(mktemp -d "${TMPDIR:-/tmp}/hookkit-bench-install.XXXXXX")
hub_pid=""
cleanup() {
    if [ -n "$hub_pid" ]; then kill "$hub_pid" 2>/dev/null; wait "$hub_pid" 2>/dev/null || true; fi
    # The rounds' background flushers linger for 1 s after the last event, then leave.
    sleep 1.5
    rm -rf "$work"
}
trap cleanup EXIT

now_ns() { date +%s%N; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) / 1e6 }'; }

echo "==> scripts/release.sh (release build)" >&2
started=$(now_ns)
scripts/release.sh "$work/dist" >&2
release_ms=$(ms "$started" "$(now_ns)")
archive=$(ls "$work/dist"/hookkit-*.tar.gz)
archive_bytes=$(wc -c <"$archive" | tr -d ' ')
mkdir "$work/unpacked"
tar -xzf "$archive" -C "$work/unpacked"
unpacked=$(ls -d "$work/unpacked"/hookkit-*)
send_event_bytes=$(wc -c <"$unpacked/send-event" | tr -d ' ')
tls_bytes=$(wc -c <"$unpacked/hookkit-tls" | tr -d ' ')

# With release.sh's flags, so that the modules it compiled are reused.
flags=(-c release)
[ "$(uname -s)" = Linux ] && flags+=(--static-swift-stdlib)
swift build "${flags[@]}" --product hook-hub >&2
hub_bin=$(swift build "${flags[@]}" --show-bin-path)/hook-hub
"$hub_bin" --port 0 --store "$work/events.jsonl" --downloads "$work/dist" >"$work/hub.out" 2>"$work/hub.err" &
hub_pid=$!
for _ in $(seq 200); do grep -q listening "$work/hub.out" 2>/dev/null && break; sleep 0.05; done
port=$(grep -o '127.0.0.1:[0-9]*' "$work/hub.out" | head -1 | cut -d: -f2)
hub="http://127.0.0.1:$port"

# One round: $1 = curl or local. Prints milliseconds from the start of the install to the event
# stored at the hub.
round() {
    local kind=$1 n=$2 home="$work/home-$1-$2" project="$work/project-$1-$2" session="bench-$1-$2-$RANDOM"
    mkdir -p "$home" "$project"
    local start; start=$(now_ns)
    if [ "$kind" = curl ]; then
        env -i HOME="$home" PATH=/usr/bin:/bin bash -c "curl -fsSL $hub/install.sh | bash -s -- '$project'" >/dev/null
    else
        env -i HOME="$home" PATH=/usr/bin:/bin HOOKKIT_BINARY="$unpacked/send-event" \
            bash "$work/dist/install.sh" --hub "$hub" "$project" >/dev/null
    fi
    printf '{"session_id":"%s","hook_event_name":"SessionStart","source":"startup"}' "$session" \
        | env -i HOME="$home" PATH=/usr/bin:/bin CLAUDE_PROJECT_DIR="$project" CLAUDE_OBSERVABILITY_HUB="$hub" \
            /bin/sh -c '"$CLAUDE_PROJECT_DIR"/.claude/hooks/send-event'
    until curl -fsS "$hub/events?session_id=$session" | grep -q "$session"; do sleep 0.002; done
    ms "$start" "$(now_ns)"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
maximum() { sort -n | tail -1; }

command -v curl >/dev/null || { echo "curl is needed" >&2; exit 1; }
env -i PATH=/usr/bin:/bin sh -c 'command -v swift' >/dev/null && echo "note: swift is on /usr/bin:/bin" >&2
curl_times=()
local_times=()
for n in $(seq "$rounds"); do
    curl_times+=("$(round curl "$n")")
    local_times+=("$(round local "$n")")
done
curl_p50=$(printf '%s\n' "${curl_times[@]}" | median)
curl_max=$(printf '%s\n' "${curl_times[@]}" | maximum)
local_p50=$(printf '%s\n' "${local_times[@]}" | median)
local_max=$(printf '%s\n' "${local_times[@]}" | maximum)
ratio=$(awk -v a="$curl_p50" -v b="$local_p50" 'BEGIN { printf "%.2f", a / (b > 0 ? b : 1) }')
mib() { awk -v b="$1" 'BEGIN { printf "%.2f MiB", b / 1048576 }'; }

cat <<EOF

| what | result | baseline (same run) |
|---|---|---|
| \`$(basename "$archive")\` | $archive_bytes bytes ($(mib "$archive_bytes")); send-event $(mib "$send_event_bytes"), hookkit-tls $(mib "$tls_bytes") unpacked | |
| scripts/release.sh (release build, this machine) | $release_ms ms | |
| curl \| bash to first event stored, p50 / max of $rounds | $curl_p50 / $curl_max ms | HOOKKIT_BINARY install (no download) to first event: $local_p50 / $local_max ms; **${ratio}x** |
EOF
