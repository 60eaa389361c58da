#!/usr/bin/env python3
"""A scripted Anthropic Messages API for running the real Claude Code CLI offline.

    fake-messages-api.py --scenario FILE [--log FILE] [--port 0]

Binds 127.0.0.1 (port 0 = any free port), prints one line "listening on http://127.0.0.1:PORT"
on stdout, and serves until SIGTERM/SIGINT. Standard library only.

`POST /v1/messages` (streaming server-sent events when the request says "stream": true, else one
JSON message) is answered from the scenario: a JSON object {"turns": [TURN, ...]}, or a bare list of
turns. The first turn whose every condition holds for the request answers it; turns are not
consumed, so the answer depends only on the conversation sent (retries and reruns get the same
answer). Conditions (all optional; a turn with none matches anything):

    "first_user_contains": S    the conversation's first user message contains S (tells the main
                                agent, whose first message is the -p prompt, from a subagent,
                                whose first message is the prompt the Agent tool gave it)
    "last_user_contains":  S    the last user message contains S
    "latest_prompt_contains": S the last user message that holds text of its own and no tool
                                result (the latest human turn, or a task notification) contains S
    "tool_results":        N    the conversation holds exactly N tool_result blocks
    "tool_results_after_last_prompt": N
                                exactly N tool_result blocks after the last user message that
                                holds text of its own (the latest human turn or notification)
    "has_tool":            S    the request offers a tool named S
    "lacks_tool":          S    the request offers no tool named S

A turn answers with "content": a list of {"type": "text", "text": S} and
{"type": "tool_use", "name": S, "input": {...}, "id": S (optional)} blocks; "stop_reason"
defaults to "tool_use" when a tool_use block is present, else "end_turn". Tool-use ids default to
"toolu_fake_<turn index>_<block index>", stable across runs.

Requests no turn matches (titles, summaries, side queries) get a short plain text. Any other path
gets a small valid JSON answer: count_tokens gets {"input_tokens": N}, the rest {}.
Every request is appended to the log (one JSON line: method, path, matched turn, body).
"""

import argparse
import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UNRELATED_TEXT = "OK."


def text_of(content):
    """All text in a message's content (string or blocks), tool_result contents included."""
    if isinstance(content, str):
        return content
    parts = []
    for block in content or []:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "text":
            parts.append(block.get("text", ""))
        elif block.get("type") == "tool_result":
            parts.append(text_of(block.get("content")))
    return "\n".join(parts)


def own_text(content):
    """Text blocks of a user message, tool results left out."""
    if isinstance(content, str):
        return content
    return "\n".join(
        b.get("text", "") for b in content or [] if isinstance(b, dict) and b.get("type") == "text"
    )


def latest_prompt(messages):
    """Text of the last user message that has text and no tool_result block."""
    for m in reversed(messages):
        content = m.get("content")
        if m.get("role") != "user":
            continue
        if isinstance(content, list) and any(
            isinstance(b, dict) and b.get("type") == "tool_result" for b in content
        ):
            continue
        if own_text(content).strip():
            return own_text(content)
    return ""


def tool_result_count(messages):
    return sum(
        1
        for m in messages
        if isinstance(m.get("content"), list)
        for b in m["content"]
        if isinstance(b, dict) and b.get("type") == "tool_result"
    )


def tool_results_after_last_prompt(messages):
    count = 0
    for m in messages:
        if m.get("role") != "user":
            continue
        content = m.get("content")
        results = (
            [b for b in content if isinstance(b, dict) and b.get("type") == "tool_result"]
            if isinstance(content, list)
            else []
        )
        if results:
            count += len(results)
        elif own_text(content).strip():
            count = 0
    return count


def matches(turn, request):
    messages = request.get("messages") or []
    users = [m for m in messages if m.get("role") == "user"]
    tools = {t.get("name") for t in request.get("tools") or [] if isinstance(t, dict)}
    when = turn.get("when", turn)
    checks = {
        "first_user_contains": lambda v: bool(users) and v in text_of(users[0].get("content")),
        "last_user_contains": lambda v: bool(users) and v in text_of(users[-1].get("content")),
        "latest_prompt_contains": lambda v: v in latest_prompt(messages),
        "tool_results": lambda v: tool_result_count(messages) == v,
        "tool_results_after_last_prompt": lambda v: tool_results_after_last_prompt(messages) == v,
        "has_tool": lambda v: v in tools,
        "lacks_tool": lambda v: v not in tools,
    }
    return all(check(when[key]) for key, check in checks.items() if key in when)


def answer_blocks(turn, index):
    blocks = []
    for position, block in enumerate(turn.get("content") or []):
        if block.get("type") == "tool_use":
            blocks.append(
                {
                    "type": "tool_use",
                    "id": block.get("id") or f"toolu_fake_{index}_{position}",
                    "name": block["name"],
                    "input": block.get("input") or {},
                }
            )
        else:
            blocks.append({"type": "text", "text": block.get("text", "")})
    return blocks


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-messages-api/1"

    def log_message(self, *args):  # quiet: the request log is the record
        pass

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            return {"_unparsed": raw.decode("utf-8", "replace")}

    def record(self, body, matched):
        server = self.server
        entry = {"method": self.command, "path": self.path, "matched": matched, "body": body}
        with server.log_lock:
            server.request_number += 1
            entry["n"] = server.request_number
            if server.log_path:
                with open(server.log_path, "a", encoding="utf-8") as log:
                    log.write(json.dumps(entry) + "\n")

    def send_json(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.record(None, None)
        self.send_json(200, {})

    def do_HEAD(self):
        self.record(None, None)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        body = self.read_body()
        path = self.path.split("?", 1)[0]
        if path.endswith("/count_tokens"):
            self.record(body, None)
            self.send_json(200, {"input_tokens": max(1, len(json.dumps(body)) // 4)})
            return
        if not path.endswith("/v1/messages"):
            self.record(body, None)
            self.send_json(200, {})
            return
        index = next(
            (i for i, turn in enumerate(self.server.turns) if matches(turn, body)), None
        )
        self.record(body, index)
        if index is None:
            blocks, stop = [{"type": "text", "text": UNRELATED_TEXT}], "end_turn"
        else:
            turn = self.server.turns[index]
            blocks = answer_blocks(turn, index)
            has_tool = any(b["type"] == "tool_use" for b in blocks)
            stop = turn.get("stop_reason") or ("tool_use" if has_tool else "end_turn")
        with self.server.log_lock:
            self.server.message_number += 1
            message_id = f"msg_fake_{self.server.message_number:04d}"
        model = body.get("model") or "claude-fake"
        usage = {"input_tokens": 10, "output_tokens": 5, "cache_creation_input_tokens": 0,
                 "cache_read_input_tokens": 0}
        if not body.get("stream"):
            self.send_json(200, {"id": message_id, "type": "message", "role": "assistant",
                                 "model": model, "content": blocks, "stop_reason": stop,
                                 "stop_sequence": None, "usage": usage})
            return
        self.stream(message_id, model, blocks, stop, usage)

    def stream(self, message_id, model, blocks, stop, usage):
        events = [("message_start", {"type": "message_start", "message": {
            "id": message_id, "type": "message", "role": "assistant", "model": model,
            "content": [], "stop_reason": None, "stop_sequence": None,
            "usage": dict(usage, output_tokens=1)}})]
        for i, block in enumerate(blocks):
            if block["type"] == "tool_use":
                start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
                delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
            else:
                start = {"type": "text", "text": ""}
                delta = {"type": "text_delta", "text": block["text"]}
            events.append(("content_block_start",
                           {"type": "content_block_start", "index": i, "content_block": start}))
            events.append(("content_block_delta",
                           {"type": "content_block_delta", "index": i, "delta": delta}))
            events.append(("content_block_stop", {"type": "content_block_stop", "index": i}))
        events.append(("message_delta", {"type": "message_delta",
                                         "delta": {"stop_reason": stop, "stop_sequence": None},
                                         "usage": {"output_tokens": usage["output_tokens"]}}))
        events.append(("message_stop", {"type": "message_stop"}))
        data = "".join(f"event: {name}\ndata: {json.dumps(obj)}\n\n" for name, obj in events).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main():
    parser = argparse.ArgumentParser(description="Scripted Messages API for the real Claude Code CLI")
    parser.add_argument("--scenario", required=True, help="JSON file: {\"turns\": [...]} or [...]")
    parser.add_argument("--log", help="append every request as a JSON line here")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    with open(args.scenario, encoding="utf-8") as f:
        scenario = json.load(f)
    turns = scenario["turns"] if isinstance(scenario, dict) else scenario
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.turns = turns
    server.log_path = args.log
    server.log_lock = threading.Lock()
    server.request_number = 0
    server.message_number = 0
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
