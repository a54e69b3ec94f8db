"""Raw loopback HTTP/1.1 and WebSocket exchanges for hostile-input tests
(standard library only): requests that no well-behaved client library would
send, such as invalid bytes, thousands of headers, a 10 MB body, headers
dribbled a byte at a time, and over-size WebSocket frames.
"""
import base64
import json
import os
import socket
import struct
import threading
import time


class Answer:
    """One HTTP response: status, headers (lower-case names) and body."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def error_code(self):
        body = self.json()
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            return body["error"].get("code")
        return None

    def __repr__(self):
        return "HTTP %d %s" % (self.status, self.body[:300])


def connect(port, timeout=15.0):
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def request_bytes(method, target, body=b"", token=None, headers=(), content_length=True):
    lines = ["%s %s HTTP/1.1" % (method, target), "Host: 127.0.0.1"]
    if token is not None:
        lines.append("Authorization: Bearer " + token)
    if body and content_length:
        lines.append("Content-Type: application/json")
        lines.append("Content-Length: %d" % len(body))
    lines.extend(headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _recv(sock):
    """One chunk, or None when the peer closed or reset the connection."""
    try:
        return sock.recv(65536) or None
    except (ConnectionResetError, socket.timeout):
        return None


def read_answer(sock):
    """Reads one response; None if the server closed before a whole one."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = _recv(sock)
        if chunk is None:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = _recv(sock)
        if chunk is None:
            return None
        rest += chunk
    return Answer(status, headers, rest[:length].decode("utf-8", "replace"))


def exchange(port, raw, timeout=15.0):
    """Sends `raw` on a fresh connection and reads one answer. A body larger
    than the socket buffers is sent from a thread, so the answer can be read
    while the server refuses the rest; send errors then do not matter."""
    sock = connect(port, timeout)
    try:
        if len(raw) <= 256 * 1024:
            sock.sendall(raw)
            return read_answer(sock)
        sender = threading.Thread(target=_send_ignoring_errors, args=(sock, raw), daemon=True)
        sender.start()
        answer = read_answer(sock)
        try:
            sock.shutdown(socket.SHUT_RDWR)  # Ends the sender's sendall.
        except OSError:
            pass  # The server already reset the connection.
        sender.join(timeout)
        return answer
    finally:
        sock.close()


def _send_ignoring_errors(sock, raw):
    try:
        sock.sendall(raw)
    except OSError:
        pass


def send(port, method, target, body=b"", token=None, headers=()):
    if isinstance(body, str):
        body = body.encode("utf-8")
    return exchange(port, request_bytes(method, target, body, token, headers))


def slow_loris(port, raw, byte_interval, while_open, give_up_seconds):
    """Sends `raw` one byte every `byte_interval` seconds until the server
    closes the connection, calling while_open() between bytes (other clients'
    requests). Returns (seconds until closed or None, bytes sent, answer)."""
    sock = connect(port, timeout=give_up_seconds)
    started = time.monotonic()
    sent = 0
    try:
        sock.setblocking(False)
        while time.monotonic() - started < give_up_seconds:
            closed = False
            try:
                data = sock.recv(65536)
                closed = True  # EOF, or an answer the server must not send.
                if data:
                    return time.monotonic() - started, sent, data
            except BlockingIOError:
                pass
            except OSError:
                closed = True
            if not closed and sent < len(raw):
                try:
                    sock.send(raw[sent:sent + 1])
                    sent += 1
                except OSError:
                    closed = True
            if closed:
                return time.monotonic() - started, sent, b""
            while_open()
            time.sleep(byte_interval)
        return None, sent, b""
    finally:
        sock.close()


class WebSocket:
    """A minimal RFC 6455 client over a raw socket."""

    def __init__(self, port, target, token=None, timeout=15.0):
        self.sock = connect(port, timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        headers = ["Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: " + key,
                   "Sec-WebSocket-Version: 13"]
        self.sock.sendall(request_bytes("GET", target, token=token, headers=headers))
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            self.buffer += chunk
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        status_line = head.decode("latin-1").split("\r\n")[0]
        self.status = int(status_line.split(" ")[1]) if status_line else 0

    def send_frame_header(self, opcode, length, mask=b"\x01\x02\x03\x04"):
        header = bytes([0x80 | opcode])
        if length < 126:
            header += bytes([0x80 | length])
        elif length < 65536:
            header += bytes([0x80 | 126]) + struct.pack(">H", length)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", length)
        self.sock.sendall(header + mask)

    def send_text(self, payload):
        mask = b"\x01\x02\x03\x04"
        self.send_frame_header(0x1, len(payload), mask)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        try:
            self.sock.sendall(masked)
        except OSError:
            pass  # The server may close before taking it all.

    def _read(self, count):
        while len(self.buffer) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def read_until_close(self):
        """Reads frames until a close frame; returns (close code, reason,
        text messages before it). Code None: the connection ended without one."""
        messages = []
        try:
            while True:
                first, second = self._read(2)
                length = second & 0x7F
                if length == 126:
                    length = struct.unpack(">H", self._read(2))[0]
                elif length == 127:
                    length = struct.unpack(">Q", self._read(8))[0]
                payload = self._read(length)
                opcode = first & 0x0F
                if opcode == 0x8:
                    code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None
                    return code, payload[2:].decode("utf-8", "replace"), messages
                if opcode == 0x1:
                    messages.append(payload.decode("utf-8"))
        except (EOFError, OSError):
            return None, "", messages

    def close(self):
        self.sock.close()
