#!/usr/bin/env bash
# Hook wall time: send-event against /bin/true, a minimal static Swift program (the floor) and a
# Python stdlib hook, in one run.
#
# Every process is spawned the way Claude Code runs a hook by scripts/bench/SpawnTimer.swift:
# stdin, stdout and stderr are pipes; the parent writes the event, closes stdin, reads both
# output pipes to end-of-file and reaps the child. Commands alternate round by round so that
# machine noise hits them alike. Prints a Markdown table with p50/p99 and ratios, the same with
# stdin as a regular file (beside, for reference), then send-event's size and peak memory.
#
#   scripts/bench-hook.sh [RUNS]        (default 300 rounds)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-300}

need() { command -v "$1" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }; }
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

swift build -c release --product send-event >/dev/null 2>&1
bin=$(swift build -c release --show-bin-path)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
swiftc -O scripts/bench/SpawnTimer.swift -o "$work/spawn-timer" 2>/dev/null
static_flag=""
[ "$(uname -s)" = Linux ] && static_flag="-static-executable"
swiftc -O $static_flag scripts/bench/minimal.swift -o "$work/minimal-swift" 2>/dev/null

# A 2 KiB PreToolUse input, as Claude Code sends it.
python3 - "$work/input.json" <<'PY'
import json, sys
event = {"session_id": "5f2c9a7e-bench", "transcript_path": "/home/u/.claude/projects/p/5f2c9a7e.jsonl",
         "cwd": "/home/u/project", "permission_mode": "default", "hook_event_name": "PreToolUse",
         "tool_name": "Bash", "tool_use_id": "toolu_01ABCDEFGHIJ", "tool_input": {"command": "npm test"}}
event["tool_input"]["description"] = "x" * (2048 - len(json.dumps(event)) - len(', "description": ""'))
open(sys.argv[1], "w").write(json.dumps(event))
PY

# A port with nothing listening, for both hooks: the hub is down.
closed_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export CLAUDE_OBSERVABILITY_SPOOL="$work/spool"
export CLAUDE_OBSERVABILITY_HUB="http://127.0.0.1:$closed_port"

echo "## Hook wall time, stdin/stdout/stderr as pipes (as Claude Code runs a hook)"
echo "$(wc -c < "$work/input.json") byte PreToolUse input, $runs rounds, $(nproc) cores, $(date -u +%F)"
echo
"$work/spawn-timer" --runs "$runs" --warmup 20 --input "$work/input.json" --stdin pipe \
    --cmd "/bin/true=/bin/true" \
    --cmd "minimal static Swift=$work/minimal-swift" \
    --cmd "send-event=$bin/send-event" \
    --cmd "python hook=$(command -v python3) scripts/bench/python_hook.py http://127.0.0.1:$closed_port/events" \
    | tee "$work/table.md"
python3 - "$work/table.md" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) == 5 and cells[1][:1].isdigit():
        rows[cells[0]] = (float(cells[1]), float(cells[2]))
t, m, s, p = rows["/bin/true"], rows["minimal static Swift"], rows["send-event"], rows["python hook"]
print()
print(f"send-event vs /bin/true: p50 {s[0]/t[0]:.2f}x, p99 {s[1]/t[1]:.2f}x (goal: p50 at most 1.4x)")
print(f"floor, minimal static Swift vs /bin/true: p50 {m[0]/t[0]:.2f}x")
print(f"python hook vs send-event: p50 {p[0]/s[0]:.0f}x slower, p99 {p[1]/s[1]:.0f}x slower (goal: at least 50x)")
PY
echo
echo "## For reference: stdin as a regular file (stdout and stderr still pipes)"
echo
"$work/spawn-timer" --runs "$runs" --warmup 20 --input "$work/input.json" --stdin file \
    --cmd "/bin/true=/bin/true" --cmd "send-event=$bin/send-event"
echo
echo "## send-event size (stripped release build)"
ls -l "$bin/send-event" | awk '{ printf "%.2f MB\n", $5 / 1e6 }'
echo
echo "## send-event peak memory (/usr/bin/time -v)"
/usr/bin/time -v "$bin/send-event" < "$work/input.json" 2>&1 | grep -E "Maximum resident set size"
echo "queued during the run: $(grep -c . "$work/spool/queue.jsonl") events"
