#!/usr/bin/env python3
"""A TLS-terminating proxy for HookKit's TLS tests (Python standard library only).

It accepts TLS on free loopback ports and forwards the decrypted bytes to a plain HTTP server:
the one at --upstream HOST:PORT (for example hook-hub), or, without --upstream, a tiny built-in
HTTP/1.1 server with keep-alive that answers every request with 201 and
{"method": ..., "path": ..., "host": <Host header>, "bytes": N}
(or, for GET .../blob?size=N, N bytes).

  tls-proxy.py --cert server.pem --key server.key [--wrong-cert other.pem --wrong-key other.key]
               [--upstream 127.0.0.1:4000]

Everything binds 127.0.0.1. On stdout (line-buffered) it prints `PORT n` for the listener with
--cert, `WRONG_PORT n` for the one with --wrong-cert (same CA, other host name), `READY` when
both accept, then `HANDSHAKE port` for every completed TLS handshake and `CLOSED port` when
such a connection ended. It runs until killed or until its stdin closes.
"""

import argparse
import http.server
import json
import select
import socket
import socketserver
import ssl
import sys
import threading


class Backend(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        reply = json.dumps(
            {"method": self.command, "path": self.path, "host": self.headers.get("Host"), "bytes": len(body)}
        ).encode()
        if "/blob?size=" in self.path:
            reply = b"y" * int(self.path.split("=", 1)[1])
        self.send_response(201 if self.command == "POST" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    do_GET = _answer
    do_POST = _answer

    def log_message(self, *args):
        pass


class ThreadingServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def relay(tls, upstream):
    """Copies bytes both ways until either side closes (one thread, select, TLS-aware)."""
    tls.setblocking(False)
    upstream.setblocking(False)
    while True:
        readable, _, _ = select.select([tls, upstream], [], [], 30)
        if not readable:
            return
        if tls in readable or tls.pending():
            try:
                while True:
                    data = tls.recv(65536)
                    if not data:
                        return
                    send_all(upstream, data)
                    if not tls.pending():
                        break
            except (ssl.SSLWantReadError, BlockingIOError):
                pass
            except (ssl.SSLError, OSError):
                return
        if upstream in readable:
            try:
                data = upstream.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                return
            if not data:
                return
            send_all(tls, data)


def send_all(sock, data):
    view = memoryview(data)
    while view:
        try:
            sent = sock.send(view)
            view = view[sent:]
        except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
            select.select([], [sock], [], 5)


def serve(listener, context, upstream_address):
    port = listener.getsockname()[1]
    while True:
        try:
            raw, _ = listener.accept()
        except OSError:
            return

        def handle(raw=raw):
            try:
                tls = context.wrap_socket(raw, server_side=True, do_handshake_on_connect=False)
                tls.settimeout(5)
                tls.do_handshake()
            except (ssl.SSLError, OSError):
                raw.close()
                return
            say(f"HANDSHAKE {port}")
            try:
                upstream = socket.create_connection(upstream_address, timeout=5)
            except OSError:
                tls.close()
                return
            try:
                relay(tls, upstream)
            finally:
                for sock in (tls, upstream):
                    try:
                        sock.close()
                    except OSError:
                        pass
                say(f"CLOSED {port}")

        threading.Thread(target=handle, daemon=True).start()


def listen(cert, key):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    return listener, context


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--wrong-cert")
    parser.add_argument("--wrong-key")
    parser.add_argument("--upstream", help="HOST:PORT of a plain HTTP server")
    args = parser.parse_args()

    if args.upstream:
        host, _, port = args.upstream.rpartition(":")
        upstream_address = (host, int(port))
    else:
        backend = ThreadingServer(("127.0.0.1", 0), Backend)
        threading.Thread(target=backend.serve_forever, daemon=True).start()
        upstream_address = backend.server_address

    listeners = [("PORT", *listen(args.cert, args.key))]
    if args.wrong_cert:
        listeners.append(("WRONG_PORT", *listen(args.wrong_cert, args.wrong_key)))
    for label, listener, context in listeners:
        threading.Thread(target=serve, args=(listener, context, upstream_address), daemon=True).start()
        say(f"{label} {listener.getsockname()[1]}")
    say("READY")
    # Stay up until killed or until the parent closes our stdin.
    try:
        sys.stdin.read()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
