#!/usr/bin/env bash
# Delivery: latency from hook exit to the event stored at hook-hub, and drain throughput, on
# loopback, with baselines measured in the same run.
#
#   scripts/bench-delivery.sh [LATENCY_RUNS] [DRAIN_EVENTS]     (defaults 300 and 100000)
#
# Latency: each run spawns send-event the way Claude Code does (stdin from a file, output to
# /dev/null), takes the time when it exits, and polls the hub's store file until the event's line
# is there (fsynced: the hub writes before it answers). "warm": a flusher is lingering from the
# previous event; "cold": every hook starts a new flusher (linger 0). Baseline: the Python stdlib
# hook's own wall time, which is its time to stored since it POSTs synchronously.
# Drain: N events written to the spool, then `send-event flush` timed; baseline: one POST per event
# over a keep-alive connection from Python (what a per-event client does at best).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-300}
drain=${2:-100000}

swift build -c release --product send-event >/dev/null 2>&1
swift build -c release --product hook-hub >/dev/null 2>&1
bin=$(swift build -c release --show-bin-path)
work=$(mktemp -d)
hub_pid=""
cleanup() {
    [ -n "$hub_pid" ] && kill "$hub_pid" 2>/dev/null || true
    pkill -f "$work/spool" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

start_hub() {  # $1 = store; sets hub_pid and port
    "$bin/hook-hub" --port 0 --store "$1" > "$work/hub.out" 2>&1 &
    hub_pid=$!
    port=""
    for _ in $(seq 400); do
        port=$(sed -n 's/.*http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$work/hub.out" | head -n 1)
        [ -n "$port" ] && break
        sleep 0.01
    done
}

start_hub "$work/latency.jsonl"
echo "## Delivery latency, hook exit to stored at hook-hub (loopback, $runs runs each, $(nproc) cores, $(date -u +%F))"
echo
BIN="$bin" PORT="$port" WORK="$work" RUNS="$runs" python3 - <<'PY'
import json, os, subprocess, time, statistics

bin, port, work, runs = os.environ["BIN"], os.environ["PORT"], os.environ["WORK"], int(os.environ["RUNS"])
store = f"{work}/latency.jsonl"
devnull = open(os.devnull, "w")

def size():
    try:
        return os.stat(store).st_size
    except FileNotFoundError:
        return 0

def wait_growth(before, timeout=10.0):
    deadline = time.perf_counter() + timeout
    while size() <= before:
        if time.perf_counter() > deadline:
            raise SystemExit("event never arrived")
        time.sleep(0.0001)
    return time.perf_counter()

def measure(label, linger):
    env = dict(os.environ, CLAUDE_OBSERVABILITY_HUB=f"http://127.0.0.1:{port}",
               CLAUDE_OBSERVABILITY_SPOOL=f"{work}/spool-{label}", CLAUDE_OBSERVABILITY_LINGER_MS=str(linger))
    samples = []
    for i in range(runs):
        path = f"{work}/in.json"
        with open(path, "w") as f:
            json.dump({"session_id": f"lat-{label}", "hook_event_name": "PreToolUse", "tool_name": "Bash",
                       "tool_input": {"command": "x" * 1800}, "i": i}, f)
        before = size()
        with open(path) as stdin:
            subprocess.run([f"{bin}/send-event"], stdin=stdin, stdout=devnull, stderr=devnull, env=env)
        exited = time.perf_counter()
        samples.append((wait_growth(before) - exited) * 1000)
        if linger == 0:
            time.sleep(0.003)  # let the previous flusher leave, so the next hook starts a new one
    return samples

def python_hook():
    samples = []
    for i in range(max(20, runs // 5)):
        path = f"{work}/in.json"
        with open(path, "w") as f:
            json.dump({"session_id": "lat-py", "hook_event_name": "PreToolUse", "i": i, "event_uuid": f"py-{time.time_ns()}"}, f)
        script = ("import json,sys,time,urllib.request\n"
                  "d=json.load(sys.stdin)\n"
                  "e={'event_uuid':d['event_uuid'],'source_app':'bench','session_id':d['session_id'],'hook_event_type':'PreToolUse','payload':d,'timestamp':int(time.time()*1000)}\n"
                  f"urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:{port}/events',data=json.dumps(e).encode(),headers={{'Content-Type':'application/json'}}),timeout=5)\n")
        start = time.perf_counter()
        with open(path) as stdin:
            subprocess.run(["python3", "-c", script], stdin=stdin, stdout=devnull, stderr=devnull)
        samples.append((time.perf_counter() - start) * 1000)
    return samples

def row(label, samples, base):
    s = sorted(samples)
    p50, p99 = s[len(s) // 2], s[min(len(s) - 1, int(len(s) * 0.99))]
    print(f"| {label} | {p50:.2f} | {p99:.2f} | {base / p50:.1f}x faster |")
    return p50

baseline = python_hook()
b50 = sorted(baseline)[len(baseline) // 2]
warm = measure("warm", 1000)
cold = measure("cold", 0)
print("| path | p50 ms | p99 ms | vs Python hook p50 |")
print("|---|---|---|---|")
row("send-event, flusher lingering (warm)", warm, b50)
row("send-event, new flusher per event (cold)", cold, b50)
row("Python stdlib hook POSTing itself (baseline)", baseline, b50)
print()
print("goal: p50 under 20 ms")
PY
kill "$hub_pid" 2>/dev/null || true
wait "$hub_pid" 2>/dev/null || true

echo
echo "## Drain throughput into hook-hub ($drain events of about 600 bytes, fsync on)"
echo
start_hub "$work/drain.jsonl"
BIN="$bin" PORT="$port" WORK="$work" N="$drain" python3 - <<'PY'
import http.client, json, os, subprocess, time, uuid

bin, port, work, n = os.environ["BIN"], int(os.environ["PORT"]), os.environ["WORK"], int(os.environ["N"])
spool = f"{work}/spool-drain"
os.makedirs(spool, mode=0o700)
now = int(time.time() * 1000)
def event(i, prefix="d"):
    return {"event_uuid": str(uuid.uuid4()), "source_app": "bench", "machine_id": "m", "session_id": f"{prefix}{i % 10}",
            "agent_id": f"{prefix}{i % 10}", "agent_type": "main", "agent_name": "main", "parent_agent_id": None,
            "agent_version": None, "plugin_version": "bench", "hook_event_type": "PostToolUse", "timestamp": now,
            "payload": {"tool_name": "Read", "tool_input": {"file_path": "/src/file%d.swift" % i}, "tool_response": "y" * 300}}
with open(f"{spool}/queue.jsonl", "w") as f:
    for i in range(n):
        f.write(json.dumps(event(i), separators=(",", ":")) + "\n")
env = dict(os.environ, CLAUDE_OBSERVABILITY_HUB=f"http://127.0.0.1:{port}", CLAUDE_OBSERVABILITY_SPOOL=spool)
start = time.perf_counter()
result = subprocess.run([f"{bin}/send-event", "flush"], env=env, capture_output=True, text=True)
elapsed = time.perf_counter() - start
if result.returncode != 0:
    raise SystemExit(result.stderr)
ours = n / elapsed

m = min(n, 5000)
conn = http.client.HTTPConnection("127.0.0.1", port)
start = time.perf_counter()
for i in range(m):
    body = json.dumps(event(i, "single"), separators=(",", ":"))
    conn.request("POST", "/events", body, {"Content-Type": "application/json"})
    conn.getresponse().read()
base = m / (time.perf_counter() - start)
print("| path | events | seconds | events/s | vs baseline |")
print("|---|---|---|---|---|")
print(f"| send-event flush (batches of 500) | {n} | {elapsed:.2f} | {ours:,.0f} | {ours / base:.1f}x |")
print(f"| one POST per event, keep-alive (baseline) | {m} | {m / base:.2f} | {base:,.0f} | 1.0x |")
print()
print("goal: 50,000 events/s or more")
PY
