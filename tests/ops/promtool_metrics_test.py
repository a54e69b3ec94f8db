#!/usr/bin/python3
"""`promtool check metrics` accepts the real server's /metrics.

usage: promtool_metrics_test.py TRANCHED TRANCHE_CLI SEED

Starts the real tranched (seeded HIEC programme), runs some commands (an
accepted tranche, a rejected one, a retry), some reads and a 404, then feeds
GET /metrics (auditor token) to promtool and checks that every family
api/README.md lists is exposed. Exits 77 (skipped) when promtool is absent.
"""
import base64
import os
import shutil
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tranche_server import SKIP, TrancheServer  # noqa: E402

FAMILIES = [
    "tranche_commands_total", "tranche_command_latency_seconds", "tranche_events_appended_total",
    "tranche_commit_group_commands", "tranche_commit_group_events", "tranche_fsync_latency_seconds",
    "tranche_head_position", "tranche_websocket_sessions", "tranche_websocket_messages_sent_total",
    "tranche_websocket_catchup_fallbacks_total", "tranche_websocket_closes_total",
    "tranche_http_requests_total",
]


def websocket_session(port, token):
    """Opens /v1/stream, reads a message, closes it from the client side (1000):
    a WebSocket session and a close with reason "client" show in the metrics."""
    key = base64.b64encode(os.urandom(16)).decode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(("GET /v1/stream?from=1&access_token=%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                      "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n" % (token, port, key)).encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
        if not answer.startswith(b"HTTP/1.1 101"):
            raise RuntimeError("stream upgrade refused: %r" % answer[:200])
        mask = os.urandom(4)
        payload = struct.pack("!H", 1000)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        sock.sendall(bytes([0x88, 0x80 | len(payload)]) + mask + masked)
        try:
            while sock.recv(65536):  # events, then the server's close frame, then EOF
                pass
        except socket.timeout:
            pass


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    tranched, tranche_cli, seed = sys.argv[1:]
    promtool = shutil.which("promtool") or ("/usr/bin/promtool"
                                            if os.access("/usr/bin/promtool", os.X_OK) else None)
    if not promtool:
        print("SKIPPED: promtool is absent; ./ops/setup installs Debian's prometheus package")
        return SKIP
    with TrancheServer(tranched, tranche_cli, seed) as server:
        server.wait_for_clusters(count=17)
        viewer, auditor = server.token("viewer"), server.token("auditor")
        server.record_tranche("wessex", "2009/10", 100000, "2010-01-20", "DH-M-0001", "m-1")
        server.record_tranche("wessex", "2009/10", 100000, "2010-01-20", "DH-M-0001", "m-1")  # retry
        status, _ = server.request("POST", "/v1/commands/record-tranche", server.token("finance"),
                                   {"command_id": "m-2", "cluster_id": "wessex",
                                    "financial_year": "2009/10", "amount_pence": 90000000,  # > award
                                    "paid_on": "2010-01-21", "payment_reference": "DH-M-TOO-MUCH"})
        if status != 422:
            print("FAIL: an over-award tranche answered %d, not 422" % status)
            return 1
        server.get_json("/v1/programmes/hiec", viewer)
        server.get_json("/v1/clusters/wessex", viewer)
        server.request("GET", "/no/such/route", viewer)
        websocket_session(server.port, viewer)
        # Beast ends the TCP connection before the session's read handler sees
        # the close, so the count may land just after the client saw EOF.
        client_close = 'tranche_websocket_closes_total{reason="client"} 1'
        deadline = time.monotonic() + 10
        while True:
            status, body = server.request("GET", "/metrics", auditor, accept="text/plain")
            if status != 200:
                print("FAIL: /metrics answered %d" % status)
                return 1
            if client_close in body.decode() or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        if client_close not in body.decode():
            print("FAIL: the client's close was not counted: no %r" % client_close)
            return 1
        status, _ = server.request("GET", "/metrics", viewer, accept="text/plain")
        if status != 403:
            print("FAIL: /metrics answered a viewer with %d, not 403" % status)
            return 1
    text = body.decode()
    print("/metrics: %d lines" % len(text.splitlines()))
    check = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True,
                           timeout=60)
    sys.stdout.write(check.stdout.decode())
    sys.stdout.write(check.stderr.decode())
    if check.returncode != 0:
        print("FAIL: promtool check metrics exited %d" % check.returncode)
        return 1
    missing = [f for f in FAMILIES if "# TYPE %s " % f not in text]
    if missing:
        print("FAIL: families missing from /metrics: %s" % ", ".join(missing))
        return 1
    if 'tranche_commands_total{' not in text:
        print("FAIL: no tranche_commands_total samples after commands")
        return 1
    print("PASS: promtool accepts /metrics; all %d families present" % len(FAMILIES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
