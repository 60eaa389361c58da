#!/usr/bin/env python3
# The baseline: what the popular Python observability hook does per event, with the stdlib only.
# It loads the event, wraps it and POSTs it with a 5 s timeout; here the hub's port is closed.
import json
import sys
import time
import urllib.request

hub = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:9/events"
try:
    data = json.load(sys.stdin)
    event = {
        "source_app": "bench",
        "session_id": data.get("session_id", "unknown"),
        "hook_event_type": data.get("hook_event_name", "Unknown"),
        "payload": data,
        "timestamp": int(time.time() * 1000),
    }
    request = urllib.request.Request(
        hub, data=json.dumps(event).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    urllib.request.urlopen(request, timeout=5)
except Exception:
    pass
sys.exit(0)
