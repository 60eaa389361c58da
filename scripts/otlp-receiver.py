#!/usr/bin/env python3
"""A small OTLP/HTTP receiver for HookKit's tests and benchmarks.

It decodes POST /v1/traces and /v1/logs with the official `opentelemetry-proto` package, in
protobuf (`application/x-protobuf`) and in OTLP/JSON (`application/json`, whose trace and span
ids are hex, not protobuf-JSON's base64), and keeps every request normalized to one JSON shape
(snake_case field names, integer enums, 64-bit integers as strings, ids as lowercase hex), so
that the two protocols can be compared.

    python3 scripts/otlp-receiver.py [--port 0] [--no-keep]

Prints `listening on http://127.0.0.1:PORT` once it accepts connections.

  GET  /dump      every request kept: [{"signal", "protocol", "canonical", "snake_case_keys",
                  "headers", "request"}, ...] ("canonical": the protobuf body is byte for byte
                  what the reference serializer writes for the decoded message;
                  "snake_case_keys": JSON field names that are not lowerCamelCase)
  GET  /stats     {"requests", "spans", "logs", "rejected_requests"}
  POST /control   {"status": 503, "headers": {"Retry-After": "2"}, "body": "...",
                   "content_type": "...", "count": 1, "partial": {"rejected": 2, "message": "..."}}
                  answers the next `count` export requests that way (a "partial" gives a 200
                  with partial_success); {"reset": true} forgets what was received
Invalid bodies get 400 with a google.rpc.Status-shaped message.
"""
import argparse
import base64
import faulthandler
import json
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

ID_FIELDS_JSON = {"traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id"}
ID_FIELDS = {"trace_id", "span_id", "parent_span_id"}

SIGNALS = {
    "/v1/traces": ("traces", trace_service_pb2.ExportTraceServiceRequest, trace_service_pb2.ExportTraceServiceResponse),
    "/v1/logs": ("logs", logs_service_pb2.ExportLogsServiceRequest, logs_service_pb2.ExportLogsServiceResponse),
}


def hex_ids_to_base64(value):
    """OTLP/JSON ids are hex; protobuf's JSON parser wants base64 for bytes fields."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in ID_FIELDS_JSON and isinstance(item, str):
                if len(item) not in (16, 32) or any(c not in "0123456789abcdefABCDEF" for c in item):
                    raise ValueError(f"{key} {item!r} is not a hex id")
                out[key] = base64.b64encode(bytes.fromhex(item)).decode()
            else:
                out[key] = hex_ids_to_base64(item)
        return out
    if isinstance(value, list):
        return [hex_ids_to_base64(item) for item in value]
    return value


def base64_ids_to_hex(value):
    if isinstance(value, dict):
        return {
            key: (base64.b64decode(item).hex() if key in ID_FIELDS and isinstance(item, str) else base64_ids_to_hex(item))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [base64_ids_to_hex(item) for item in value]
    return value


def underscored_keys(value, found=None):
    """Object keys with an underscore: OTLP/JSON field names are lowerCamelCase."""
    found = set() if found is None else found
    if isinstance(value, dict):
        for key, item in value.items():
            if "_" in key:
                found.add(key)
            underscored_keys(item, found)
    elif isinstance(value, list):
        for item in value:
            underscored_keys(item, found)
    return found


def normalized(message):
    return base64_ids_to_hex(
        json_format.MessageToDict(message, preserving_proto_field_name=True, use_integers_for_enums=True)
    )


def count_items(signal, message):
    total = 0
    if signal == "traces":
        for resource in message.resource_spans:
            for scope in resource.scope_spans:
                total += len(scope.spans)
    else:
        for resource in message.resource_logs:
            for scope in resource.scope_logs:
                total += len(scope.log_records)
    return total


class State:
    def __init__(self, keep):
        self.keep = keep
        self.lock = threading.Lock()
        self.records = []
        self.stats = {"requests": 0, "spans": 0, "logs": 0, "rejected_requests": 0}
        self.scripted = []  # answers to give to the next export requests


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: State = None

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", content_type="application/json", headers=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        with self.state.lock:
            if self.path == "/dump":
                body = json.dumps(self.state.records).encode()
            elif self.path == "/stats":
                body = json.dumps(self.state.stats).encode()
            else:
                return self.reply(404, b'{"message":"not found"}')
        self.reply(200, body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if self.path == "/control":
            command = json.loads(body or b"{}")
            with self.state.lock:
                if command.get("reset"):
                    self.state.records.clear()
                    self.state.scripted.clear()
                    for key in self.state.stats:
                        self.state.stats[key] = 0
                else:
                    self.state.scripted.extend([command] * int(command.get("count", 1)))
            return self.reply(200, b"{}")
        if self.path not in SIGNALS:
            return self.reply(404, b'{"code":5,"message":"unknown path"}')
        signal, request_type, response_type = SIGNALS[self.path]
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        is_json = content_type == "application/json"
        if content_type not in ("application/json", "application/x-protobuf"):
            return self.reply(415, json.dumps({"code": 3, "message": f"unsupported Content-Type {content_type!r}"}).encode())
        message = request_type()
        try:
            if is_json:
                document = json.loads(body)
                json_format.Parse(json.dumps(hex_ids_to_base64(document)), message, ignore_unknown_fields=False)
                canonical = None
                snake_keys = sorted(underscored_keys(document))
            else:
                message.ParseFromString(body)
                canonical = message.SerializeToString(deterministic=True) == body
                snake_keys = []
        except Exception as error:  # the body is not a valid export request
            with self.state.lock:
                self.state.stats["rejected_requests"] += 1
            text = json.dumps({"code": 3, "message": f"invalid {signal} request: {error}"}).encode()
            return self.reply(400, text)
        with self.state.lock:
            scripted = self.state.scripted.pop(0) if self.state.scripted else None
            if scripted is None or "partial" in scripted:
                self.state.stats["requests"] += 1
                self.state.stats[("spans" if signal == "traces" else "logs")] += count_items(signal, message)
                if self.state.keep:
                    self.state.records.append(
                        {
                            "signal": signal,
                            "protocol": "json" if is_json else "protobuf",
                            "canonical": canonical,
                            "snake_case_keys": snake_keys,
                            "headers": {name.lower(): value for name, value in self.headers.items()},
                            "request": normalized(message),
                        }
                    )
        if scripted is not None and "partial" not in scripted:
            payload = scripted.get("body", "")
            return self.reply(
                int(scripted.get("status", 503)),
                payload.encode() if isinstance(payload, str) else base64.b64decode(payload["base64"]),
                scripted.get("content_type", "application/json"),
                scripted.get("headers"),
            )
        response = response_type()
        if scripted is not None:
            partial = scripted["partial"]
            if signal == "traces":
                response.partial_success.rejected_spans = int(partial.get("rejected", 0))
            else:
                response.partial_success.rejected_log_records = int(partial.get("rejected", 0))
            response.partial_success.error_message = partial.get("message", "")
        if is_json:
            self.reply(200, json_format.MessageToJson(response, indent=None).encode(), "application/json")
        else:
            self.reply(200, response.SerializeToString(), "application/x-protobuf")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--no-keep", action="store_true", help="count requests, keep nothing (benchmarks)")
    arguments = parser.parse_args()
    # A parent may start us with signals blocked (swift-testing's workers do): take them back,
    # so that SIGTERM ends the receiver.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT, signal.SIGUSR1})
    faulthandler.register(signal.SIGUSR1)  # kill -USR1 prints every thread's stack on stderr
    Handler.state = State(keep=not arguments.no_keep)
    server = ThreadingHTTPServer((arguments.host, arguments.port), Handler)
    server.daemon_threads = True
    print(f"listening on http://{arguments.host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
