#!/usr/bin/env bash
# The quick start: build release binaries, start hook-hub on its local default (127.0.0.1:4000),
# run send-event exactly as Claude Code runs a hook for a few events of a session with a
# subagent, and show them arriving at the hub. Stops the hub when done.
#
#   scripts/demo.sh          (PORT=4001 scripts/demo.sh if 4000 is taken)
set -euo pipefail
cd "$(dirname "$0")/.."
port=${PORT:-4000}

echo "==> building (release)"
static=""; [ "$(uname -s)" = Linux ] && static="--static-swift-stdlib"  # same flags as install.sh: no rebuild between them
swift build -c release $static --product send-event >/dev/null
swift build -c release $static --product hook-hub >/dev/null
bin=$(swift build -c release $static --show-bin-path)

get() { python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())' "$1"; }

work=$(mktemp -d)
hub_pid=""
cleanup() {
    [ -n "$hub_pid" ] && kill "$hub_pid" 2>/dev/null || true
    pid=$(CLAUDE_OBSERVABILITY_SPOOL="$work/spool" "$bin/send-event" status --json 2>/dev/null \
        | python3 -c 'import json,sys; print(json.load(sys.stdin).get("flusher_pid") or "")' 2>/dev/null || true)
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

echo "==> starting hook-hub on 127.0.0.1:$port (store: $work/events.jsonl)"
"$bin/hook-hub" --port "$port" --store "$work/events.jsonl" > "$work/hub.log" 2>&1 &
hub_pid=$!
for _ in $(seq 200); do
    get "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    kill -0 "$hub_pid" 2>/dev/null || { cat "$work/hub.log"; exit 1; }
    sleep 0.05
done
head -n 1 "$work/hub.log"

export CLAUDE_OBSERVABILITY_HUB="http://127.0.0.1:$port"
export CLAUDE_OBSERVABILITY_SPOOL="$work/spool"
export CLAUDE_PROJECT_DIR="$PWD"
session="demo-$(date +%s)"
echo "==> sending hook events for session $session, as Claude Code would (sh -c, JSON on stdin)"
events=(
    '{"session_id":"'$session'","hook_event_name":"SessionStart","source":"startup","cwd":"'$PWD'"}'
    '{"session_id":"'$session'","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"swift test"},"tool_use_id":"toolu_1"}'
    '{"session_id":"'$session'","hook_event_name":"SubagentStart","agent_id":"agent-7","agent_type":"Explore"}'
    '{"session_id":"'$session'","hook_event_name":"PreToolUse","agent_id":"agent-7","agent_type":"Explore","tool_name":"Grep","tool_input":{"pattern":"TODO"}}'
    '{"session_id":"'$session'","hook_event_name":"Stop","stop_hook_active":false}'
)
for event in "${events[@]}"; do
    printf '%s' "$event" | sh -c '"$0"' "$bin/send-event"
done

echo "==> waiting for the background flusher to deliver them"
for _ in $(seq 200); do
    stored=$(get "http://127.0.0.1:$port/events?session_id=$session&limit=100" \
        | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
    [ "$stored" -ge "${#events[@]}" ] && break
    sleep 0.05
done
get "http://127.0.0.1:$port/events?session_id=$session&limit=100" | python3 -c '
import json, sys
events = json.load(sys.stdin)
print(len(events), "events stored at the hub:")
for e in events:
    who = e["agent_type"]
    if who != "main":
        who += " " + str(e["agent_name"]) + " (parent " + str(e["parent_agent_id"]) + ")"
    print("  %s  %-14s %-44s %s" % (e["timestamp"], e["hook_event_type"], who, e["event_uuid"]))
'
echo "==> send-event status"
"$bin/send-event" status
