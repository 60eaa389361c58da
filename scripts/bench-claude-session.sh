#!/usr/bin/env bash
# Session wall time in the real Claude Code CLI, with and without hooks, in one run.
#
# One scripted session (scripts/bench/claude-session.json against scripts/fake-messages-api.py:
# a Bash call, then a subagent started with the Agent tool that runs its own Bash call; 17 hook
# events) is run by the real CLI (scripts/fetch-claude-cli.sh) in four projects that differ only
# in their hooks: none; every event running `true`; every event running send-event (installed by
# install.sh, hook-hub running); every event running the Python stdlib hook of
# scripts/bench/python_hook.py (POSTing each event to the same hub). The hooked projects use the
# events, matchers and timeouts of `send-event install --print-example`. The configurations take
# turns round by round (rotating who goes first) so that machine noise hits them alike; each gets
# one warm-up session first. Prints a Markdown table: median, p90, min, ratio of medians against
# no hooks.
#
#   scripts/bench-claude-session.sh [RUNS]        (default 9 sessions per configuration)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-9}

swift build -c release --product send-event >/dev/null 2>&1
swift build -c release --product hook-hub >/dev/null 2>&1
bin=$(swift build -c release --show-bin-path)
cli=$(scripts/fetch-claude-cli.sh)
work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# The scripted model and the hub, each on a free port.
await_port() { # FILE: waits for its "http://127.0.0.1:PORT" line, prints PORT
    for _ in $(seq 1 500); do
        if grep -q "http://127.0.0.1:" "$1" 2>/dev/null; then
            sed -n 's#.*http://127.0.0.1:\([0-9]*\).*#\1#p' "$1" | head -n 1
            return 0
        fi
        sleep 0.02
    done
    echo "bench-claude-session: no start-up line in $1" >&2
    return 1
}
python3 scripts/fake-messages-api.py --scenario scripts/bench/claude-session.json --log "$work/api.log" \
    >"$work/api.out" 2>"$work/api.err" &
pids+=($!)
api_port=$(await_port "$work/api.out")
"$bin/hook-hub" --host 127.0.0.1 --port 0 --store "$work/events.jsonl" >"$work/hub.out" 2>"$work/hub.err" &
pids+=($!)
hub_port=$(await_port "$work/hub.out")

# Four projects.
"$bin/send-event" install --print-example >"$work/example.json"
make_project() { # NAME COMMAND: a project whose every HookKit event runs COMMAND (none: no hooks)
    mkdir -p "$work/$1/.claude"
    if [ "$2" != none ]; then
        python3 - "$work/example.json" "$work/$1/.claude/settings.json" "$2" <<'PY'
import json, sys
settings = json.load(open(sys.argv[1]))
for groups in settings["hooks"].values():
    for group in groups:
        for hook in group["hooks"]:
            hook["command"] = sys.argv[3]
json.dump(settings, open(sys.argv[2], "w"), indent=2)
PY
    fi
}
make_project no-hooks none
make_project true true
make_project python "python3 $PWD/scripts/bench/python_hook.py http://127.0.0.1:$hub_port/events"
mkdir -p "$work/send-event"
HOOKKIT_BINARY="$bin/send-event" ./install.sh "$work/send-event" >/dev/null

python3 - "$cli" "$work" "$api_port" "$hub_port" "$runs" <<'PY'
import json, os, statistics, subprocess, sys, time

cli, work, api_port, hub_port, runs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
configs = [("no hooks", "no-hooks"), ("`true`", "true"), ("send-event", "send-event"), ("python hook", "python")]
expected = "bench session done"

def session(folder):
    home = os.path.join(work, "home-" + folder)
    os.makedirs(home, exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "TMPDIR": work, "LANG": "C.UTF-8",
        "ANTHROPIC_API_KEY": "dummy", "ANTHROPIC_BASE_URL": f"http://127.0.0.1:{api_port}",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1", "DISABLE_AUTOUPDATER": "1",
        "CLAUDE_OBSERVABILITY_HUB": f"http://127.0.0.1:{hub_port}",
        "CLAUDE_OBSERVABILITY_SPOOL": os.path.join(work, "spool"),
    }
    command = [cli, "-p", "BENCH-SESSION: run a command, then delegate one", "--output-format", "json",
               "--allowedTools", "Bash", "Agent"]
    start = time.monotonic()
    done = subprocess.run(command, cwd=os.path.join(work, folder), env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=300)
    elapsed = (time.monotonic() - start) * 1000
    try:
        result = json.loads(done.stdout)
    except ValueError:
        result = {}
    if done.returncode != 0 or result.get("result") != expected:
        sys.exit(f"bench-claude-session: a {folder} session failed (exit {done.returncode}): "
                 f"{done.stdout[-500:]!r} {done.stderr[-500:]!r}")
    return elapsed

def hub_events():
    try:
        return sum(1 for line in open(os.path.join(work, "events.jsonl")) if line.strip())
    except FileNotFoundError:
        return 0

def settle():
    # Waits until the hub has every send-event event sent so far, so no flusher runs into the next round.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = subprocess.run([os.path.join(work, "send-event/.claude/hooks/send-event"), "status", "--json"],
                                env={"CLAUDE_OBSERVABILITY_HUB": f"http://127.0.0.1:{hub_port}",
                                     "CLAUDE_OBSERVABILITY_SPOOL": os.path.join(work, "spool")},
                                capture_output=True, text=True)
        state = json.loads(status.stdout or "{}")
        if state.get("queued") == 0 and state.get("flusher_pid") is None:
            return
        time.sleep(0.05)

times = {folder: [] for _, folder in configs}
for _, folder in configs:  # warm-up: first start of the CLI in each project and home
    session(folder)
settle()
before = hub_events()
session("send-event")
settle()
per_session = hub_events() - before
for round_number in range(runs):
    shift = round_number % len(configs)
    for _, folder in configs[shift:] + configs[:shift]:
        times[folder].append(session(folder))
        settle()

def p90(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]

base = statistics.median(times["no-hooks"])
print(f"## Claude Code session wall time, {runs} sessions per configuration "
      f"({os.cpu_count()} cores, {time.strftime('%Y-%m-%d', time.gmtime())})")
print()
print(f"One scripted session: a Bash call and a subagent running its own Bash call; "
      f"{per_session} hook events reached hook-hub per send-event session.")
print()
print("| hooks on every event | median ms | p90 ms | min ms | vs no hooks |")
print("|---|---:|---:|---:|---:|")
for label, folder in configs:
    values = times[folder]
    median = statistics.median(values)
    print(f"| {label} | {median:.0f} | {p90(values):.0f} | {min(values):.0f} | {median / base:.2f}x |")
true_median = statistics.median(times["true"])
send_median = statistics.median(times["send-event"])
print()
print(f"send-event vs `true`: {send_median - true_median:+.0f} ms per session "
      f"({(send_median - true_median) / max(per_session, 1):+.1f} ms per event)")
PY
