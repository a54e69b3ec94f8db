#!/usr/bin/python3
"""Hostile input against the real tranched, one table row per input.

usage: hostile_input_test.py TRANCHED TRANCHE_CLI SEED

Starts tranched on the seeded HIEC programme and sends each row's input on a
raw loopback socket (raw_http.py): malformed and mistyped JSON, missing and
unknown fields, bad amounts and dates, invalid UTF-8, deep nesting, a 10 MB
body, thousands of headers, a slow-loris connection, over-size WebSocket
frames, bad, revoked and under-privileged tokens, hostile query strings, and
script or SQL text in names. Each row names the status and error code it
expects (../shared/DESIGN.md, Errors); after each row another client must get
an answer to a normal request, and the log's head must have moved by exactly
what the row appends (nothing, for every rejected input). Names carrying
script or SQL text are accepted and must come back verbatim from every read.
Prints each row's outcome and the number of inputs tried.
"""
import itertools
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import raw_http  # noqa: E402
from tranche_server import TrancheServer  # noqa: E402

CLUSTER = "wessex"
READ_TIMEOUT_SECONDS = 10.0  # api/server/limits.h kHttpReadTimeout.
BODY_BYTES_MAX = 64 * 1024   # kHttpBodyBytesMax.
AMOUNT_PENCE_MAX = 100_000_000_000_000  # core/money.h kAmountPenceMax (£1,000,000,000,000.00).
_ids = itertools.count(1)


def next_id(prefix="hostile"):
    return "%s-%d" % (prefix, next(_ids))


def tranche(**changes):
    """A valid record-tranche body, with `changes` applied (None removes a key)."""
    body = {"command_id": next_id(), "cluster_id": CLUSTER, "financial_year": "2009/10",
            "amount_pence": 1000, "paid_on": "2010-02-15",
            "payment_reference": next_id("HOSTILE").upper()}
    for key, value in changes.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def member(name, **changes):
    body = {"command_id": next_id(), "cluster_id": CLUSTER, "name": name, "sector": "industry",
            "joined_on": "2010-02-01"}
    body.update(changes)
    return body


class Row:
    def __init__(self, name, status, code, run, appends=0, check=None):
        self.name = name
        self.status = status  # An HTTP status, or "close 1009" for a WebSocket close.
        self.code = code      # The error code, or None for a success.
        self.run = run        # server -> (status, code, what was seen)
        self.appends = appends
        self.check = check    # Extra checks on what was seen: returns a failure or None.


def http_outcome(answer):
    if answer is None:
        return "closed", None, "the connection closed without an answer"
    return answer.status, answer.error_code(), answer


def post(path, body, token_role, headers=()):
    def run(server):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        token = server.token(token_role) if token_role else None
        return http_outcome(raw_http.send(server.port, "POST", path, raw, token, headers))
    return run


def command(name, body, token_role):
    return post("/v1/commands/" + name, body, token_role)


def get(target, token_role="viewer", headers=()):
    def run(server):
        token = server.token(token_role) if token_role else None
        return http_outcome(raw_http.send(server.port, "GET", target, b"", token, headers))
    return run


def raw(data):
    return lambda server: http_outcome(raw_http.exchange(server.port, data))


def field_is(field, rule=None):
    """Checks the error's details name the field (and the rule)."""
    def check(answer):
        details = answer.json()["error"].get("details", {})
        if details.get("field") != field or (rule and details.get("rule") != rule):
            return "details %s, expected field %s rule %s" % (details, field, rule)
        return None
    return check


def nested(depth, key_prefix=""):
    return ("[" * depth + "]" * depth) if not key_prefix else \
        ('{"a":' * depth + "1" + "}" * depth)


def with_field(raw_value):
    """A record-tranche body whose cluster_id is `raw_value` (raw JSON text)."""
    return ('{"command_id":"%s","cluster_id":%s,"financial_year":"2009/10","amount_pence":1000,'
            '"paid_on":"2010-02-15","payment_reference":"%s"}'
            % (next_id(), raw_value, next_id("HOSTILE").upper())).encode()


def with_reference_bytes(reference):
    """A record-tranche body whose payment_reference is the raw bytes given."""
    return (b'{"command_id":"' + next_id().encode() + b'","cluster_id":"wessex",'
            b'"financial_year":"2009/10","amount_pence":1000,"paid_on":"2010-02-15",'
            b'"payment_reference":"' + reference + b'"}')


def ten_megabytes(chunked):
    body = b'{"command_id":"big","name":"' + b"x" * (10 * 1024 * 1024) + b'"}'
    if not chunked:
        return raw_http.request_bytes("POST", "/v1/commands/add-member", body, "unused")
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 65536]), body[i:i + 65536])
                      for i in range(0, len(body), 65536))
    return raw_http.request_bytes("POST", "/v1/commands/add-member", b"", "unused",
                                  ["Transfer-Encoding: chunked"], content_length=False) + \
        chunks + b"0\r\n\r\n"


def with_token(data, server, role):
    return data.replace(b"Bearer unused", ("Bearer " + server.token(role)).encode())


def big_body(chunked):
    def run(server):
        data = with_token(ten_megabytes(chunked), server, "programme")
        return http_outcome(raw_http.exchange(server.port, data))
    return run


def many_headers(count):
    return get("/v1/programmes", headers=["X-Hostile-%d: %d" % (i, i) for i in range(count)])


def websocket(frame_length, payload_length, token_role="viewer", query="?from=1"):
    """Opens /v1/stream and sends a text frame that declares `frame_length`
    bytes and carries `payload_length` of them; returns the close code."""
    def run(server):
        token = server.token(token_role) if token_role else None
        ws = raw_http.WebSocket(server.port, "/v1/stream" + query, token)
        try:
            if ws.status != 101:
                return ws.status, None, "handshake answered %d" % ws.status
            if frame_length == payload_length:
                ws.send_text(b"x" * payload_length)
            else:
                ws.send_frame_header(0x1, frame_length)
            code, reason, messages = ws.read_until_close()
            return "close %s" % code, None, "reason %r after %d messages" % (reason, len(messages))
        finally:
            ws.close()
    return run


def slow_loris(server):
    """Headers a byte every 100 ms: the server must close the connection once
    the read timeout passes, answering other clients all the while."""
    served = []

    def others():
        answer = raw_http.send(server.port, "GET", "/v1/programmes/hiec", b"",
                               server.token("viewer"))
        served.append(answer is not None and answer.status == 200)

    data = raw_http.request_bytes("GET", "/v1/programmes/hiec", token=server.token("viewer"),
                                  headers=["X-Padding: " + "p" * 400])
    seconds, sent, answer = raw_http.slow_loris(server.port, data, 0.1, others,
                                                give_up_seconds=READ_TIMEOUT_SECONDS + 20)
    if seconds is None:
        return "open", None, "still open after %d bytes" % sent
    if answer:
        return "answered", None, answer[:200]
    if not all(served) or len(served) < 20:
        return "others not served", None, "%d of %d served" % (sum(served), len(served))
    window = "closed in read timeout window" if READ_TIMEOUT_SECONDS - 0.5 <= seconds <= \
        READ_TIMEOUT_SECONDS + 5 else "closed at %.1fs" % seconds
    return window, None, "closed after %.1fs and %d of %d header bytes; %d other requests " \
        "answered meanwhile" % (seconds, sent, len(data), len(served))


def verbatim(name):
    """The member is stored and returned verbatim by every read."""
    def check(server, answer):
        viewer = server.token("viewer")
        cluster = server.get_json("/v1/clusters/" + CLUSTER, viewer)
        if name not in [m["name"] for m in cluster["members"]]:
            return "GET /v1/clusters/%s does not list %r verbatim" % (CLUSTER, name)
        events = server.get_json("/v1/events?from=%d" % answer.json()["first_position"], viewer)
        if events["events"][0]["data"]["name"] != name:
            return "GET /v1/events returns %r" % events["events"][0]["data"]["name"]
        history = server.get_json("/v1/clusters/%s/events?from_version=%d"
                                  % (CLUSTER, answer.json()["version"]), viewer)
        if history["events"][0]["data"]["name"] != name:
            return "GET /v1/clusters/%s/events returns %r" % (CLUSTER, history["events"][0])
        status, body = server.request("GET", "/v1/export/360giving.json", server.token("auditor"))
        if status != 200:
            return "the 360Giving export answered %d" % status
        return None
    return check


def revoked_token(server):
    token = server.add_token("hostile-revoked", "finance")
    before = raw_http.send(server.port, "GET", "/v1/ledger", b"", token)
    if before is None or before.status != 200:
        return "not accepted before revocation", None, before
    server.revoke_token("hostile-revoked")
    return http_outcome(raw_http.send(server.port, "POST", "/v1/commands/record-tranche",
                                      json.dumps(tranche()).encode(), token))


def rows():
    bad_request, invalid_field, invalid_amount = 400, "invalid_field", "invalid_amount"
    table = [
        Row("control: a valid tranche is accepted", 200, None, command("record-tranche", tranche(), "finance"), appends=1),
        # Malformed JSON.
        Row("malformed JSON (truncated)", bad_request, invalid_field, post("/v1/commands/record-tranche", b'{"command_id": "x", "cluster_id": ', "finance"), check=field_is("body")),
        Row("malformed JSON (trailing garbage)", bad_request, invalid_field, post("/v1/commands/record-tranche", json.dumps(tranche()).encode() + b" DROP", "finance")),
        Row("malformed JSON (single quotes)", bad_request, invalid_field, post("/v1/commands/record-tranche", b"{'command_id': 'x'}", "finance")),
        Row("JSON array, not an object", bad_request, invalid_field, post("/v1/commands/record-tranche", b"[]", "finance")),
        Row("JSON string, not an object", bad_request, invalid_field, post("/v1/commands/record-tranche", b'"tranche"', "finance")),
        Row("JSON null body", bad_request, invalid_field, post("/v1/commands/record-tranche", b"null", "finance")),
        Row("empty body", bad_request, invalid_field, post("/v1/commands/record-tranche", b"", "finance")),
        # Wrong types.
        Row("string amount", bad_request, invalid_amount, command("record-tranche", tranche(amount_pence="1000"), "finance"), check=field_is("amount_pence", "not_an_integer")),
        Row("pounds-string amount", bad_request, invalid_amount, command("record-tranche", tranche(amount_pence="£10.00"), "finance")),
        Row("boolean amount", bad_request, invalid_amount, command("record-tranche", tranche(amount_pence=True), "finance")),
        Row("number as cluster_id", bad_request, invalid_field, command("record-tranche", tranche(cluster_id=42), "finance"), check=field_is("cluster_id", "not_a_string")),
        Row("object as paid_on", bad_request, invalid_field, command("record-tranche", tranche(paid_on={"date": "2010-02-15"}), "finance"), check=field_is("paid_on")),
        Row("number as command_id", bad_request, invalid_field, command("record-tranche", tranche(command_id=7), "finance"), check=field_is("command_id")),
        Row("string expected_version", bad_request, invalid_field, command("record-tranche", tranche(expected_version="3"), "finance"), check=field_is("expected_version")),
        Row("negative expected_version", bad_request, invalid_field, command("record-tranche", tranche(expected_version=-1), "finance"), check=field_is("expected_version")),
        Row("array as awards", bad_request, invalid_field, command("amend-award", {"command_id": next_id(), "cluster_id": CLUSTER, "financial_year": ["2009/10"], "amount_pence": 1, "reason": "x"}, "programme")),
        # Missing and unknown fields.
        Row("missing paid_on", bad_request, invalid_field, command("record-tranche", tranche(paid_on=None), "finance"), check=field_is("paid_on", "missing")),
        Row("missing command_id", bad_request, invalid_field, command("record-tranche", tranche(command_id=None), "finance"), check=field_is("command_id", "missing")),
        Row("missing reason on reverse-tranche", bad_request, "reason_required", command("reverse-tranche", {"command_id": next_id(), "cluster_id": CLUSTER, "payment_reference": "NONE"}, "finance")),
        Row("unknown field", bad_request, invalid_field, command("record-tranche", tranche(approved_by="me"), "finance"), check=field_is("approved_by", "unknown_field")),
        Row("unknown command", 404, "not_found", command("drop-table", tranche(), "finance")),
        # Amounts.
        Row("zero amount", bad_request, invalid_amount, command("record-tranche", tranche(amount_pence=0), "finance"), check=field_is("amount_pence")),
        Row("negative amount", bad_request, invalid_amount, command("record-tranche", tranche(amount_pence=-1000), "finance"), check=field_is("amount_pence")),
        Row("fractional amount", bad_request, invalid_amount, command("record-tranche", tranche(amount_pence=12.5), "finance"), check=field_is("amount_pence", "not_an_integer")),
        Row("integral float amount 1000.0", bad_request, invalid_amount, command("record-tranche", tranche(amount_pence=1000.0), "finance")),
        Row("amount int64 max + 1", bad_request, invalid_amount, command("record-tranche", tranche(amount_pence=2 ** 63), "finance"), check=field_is("amount_pence", "too_large")),
        Row("amount uint64 max + 1", bad_request, invalid_amount, command("record-tranche", tranche(amount_pence=2 ** 64), "finance")),
        Row("amount 10^30", bad_request, invalid_amount, command("record-tranche", tranche(amount_pence=10 ** 30), "finance")),
        Row("amount 1e400 (overflows a double)", bad_request, invalid_field, post("/v1/commands/record-tranche", json.dumps(tranche()).replace('"amount_pence": 1000', '"amount_pence": 1e400').encode(), "finance")),
        Row("amount int64 max (over the per-command cap)", bad_request, invalid_amount, command("record-tranche", tranche(amount_pence=2 ** 63 - 1), "finance"), check=field_is("amount_pence", "too_large")),
        Row("amount at the cap, over the award", 422, "tranche_exceeds_award", command("record-tranche", tranche(amount_pence=AMOUNT_PENCE_MAX), "finance")),
        Row("amount one over the cap", bad_request, invalid_amount, command("record-tranche", tranche(amount_pence=AMOUNT_PENCE_MAX + 1), "finance"), check=field_is("amount_pence", "too_large")),
        Row("award amended to int64 max", bad_request, invalid_amount, command("amend-award", {"command_id": next_id(), "cluster_id": CLUSTER, "financial_year": "2009/10", "amount_pence": 2 ** 63 - 1, "reason": "hostile"}, "programme"), check=field_is("amount_pence", "too_large")),
        Row("award amended to the cap, over the envelope", 422, "envelope_exceeded", command("amend-award", {"command_id": next_id(), "cluster_id": CLUSTER, "financial_year": "2009/10", "amount_pence": AMOUNT_PENCE_MAX, "reason": "hostile"}, "programme")),
        # Dates and years.
        Row("invalid date 2010-02-30", bad_request, invalid_field, command("record-tranche", tranche(paid_on="2010-02-30"), "finance"), check=field_is("paid_on", "invalid_date")),
        Row("invalid date 2010-13-01", bad_request, invalid_field, command("record-tranche", tranche(paid_on="2010-13-01"), "finance"), check=field_is("paid_on", "invalid_date")),
        Row("invalid date 'yesterday'", bad_request, invalid_field, command("record-tranche", tranche(paid_on="yesterday"), "finance"), check=field_is("paid_on", "invalid_date")),
        Row("invalid date 2010-2-15", bad_request, invalid_field, command("record-tranche", tranche(paid_on="2010-2-15"), "finance"), check=field_is("paid_on", "invalid_date")),
        Row("date with a time 2010-02-15T00:00:00Z", bad_request, invalid_field, command("record-tranche", tranche(paid_on="2010-02-15T00:00:00Z"), "finance"), check=field_is("paid_on", "invalid_date")),
        Row("empty date", bad_request, invalid_field, command("record-tranche", tranche(paid_on=""), "finance"), check=field_is("paid_on", "invalid_date")),
        Row("date outside the financial year", 422, "outside_financial_year", command("record-tranche", tranche(paid_on="2010-04-15"), "finance")),
        Row("invalid financial year 2009/11", bad_request, invalid_field, command("record-tranche", tranche(financial_year="2009/11"), "finance"), check=field_is("financial_year", "invalid_financial_year")),
        # Text.
        Row("non-UTF-8 bytes in a string", bad_request, invalid_field, post("/v1/commands/record-tranche", with_reference_bytes(b"REF-\xff\xfe"), "finance"), check=field_is("body")),
        Row("overlong UTF-8 in a string", bad_request, invalid_field, post("/v1/commands/record-tranche", with_reference_bytes(b"REF-\xc0\xaf"), "finance")),
        Row("lone surrogate escape in a string", bad_request, invalid_field, post("/v1/commands/record-tranche", with_reference_bytes(b"REF-\\ud800"), "finance")),
        Row("NUL character in a name", bad_request, invalid_field, command("add-member", member("Nul\u0000Org"), "programme"), check=field_is("name")),
        Row("10,000-character name", bad_request, invalid_field, command("add-member", member("N" * 10000), "programme"), check=field_is("name")),
        Row("command_id with spaces", bad_request, invalid_field, command("record-tranche", tranche(command_id="a b\tc"), "finance"), check=field_is("command_id")),
        Row("command_id of 129 characters", bad_request, invalid_field, command("record-tranche", tranche(command_id="c" * 129), "finance"), check=field_is("command_id")),
        Row("path traversal as cluster_id", bad_request, invalid_field, command("record-tranche", tranche(cluster_id="../../etc/passwd"), "finance"), check=field_is("cluster_id")),
        # Nesting and size.
        Row("100,000 levels of nesting (over the body limit)", 413, "body_too_large", post("/v1/commands/record-tranche", with_field(nested(100000)), "finance")),
        Row("30,000 levels of array nesting in a field", bad_request, invalid_field, post("/v1/commands/record-tranche", with_field(nested(30000)), "finance"), check=field_is("body", "too_deep")),
        Row("16 levels of array nesting in a field: the body is 17, one past the limit", bad_request, invalid_field, post("/v1/commands/record-tranche", with_field(nested(16)), "finance"), check=field_is("body", "too_deep")),
        Row("15 levels of array nesting in a field: the body is 16, the limit", bad_request, invalid_field, post("/v1/commands/record-tranche", with_field(nested(15)), "finance"), check=field_is("cluster_id", "not_a_string")),
        Row("10,000 levels of object nesting in a field", bad_request, invalid_field, post("/v1/commands/record-tranche", with_field(nested(10000, "a")), "finance"), check=field_is("body", "too_deep")),
        Row("32,000 levels of nesting as the body", bad_request, invalid_field, post("/v1/commands/record-tranche", nested(32000).encode(), "finance"), check=field_is("body", "too_deep")),
        Row("10 MB body (Content-Length)", 413, "body_too_large", big_body(chunked=False)),
        Row("10 MB body (chunked)", 413, "body_too_large", big_body(chunked=True)),
        Row("body just over the limit", 413, "body_too_large", post("/v1/commands/add-member", json.dumps(member("x" * BODY_BYTES_MAX)).encode(), "programme")),
        # Headers and the request line.
        Row("5,000 headers", 431, "headers_too_large", many_headers(5000)),
        Row("one 100 KB header", 431, "headers_too_large", get("/v1/programmes", headers=["X-Big: " + "b" * 100000])),
        Row("garbage request line", bad_request, "bad_request", raw(b"HELLO THERE\r\n\r\n")),
        Row("HTTP/9.9", bad_request, "bad_request", raw(b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n")),
        Row("non-numeric Content-Length", bad_request, "bad_request", raw(b"POST /v1/commands/add-member HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")),
        Row("negative Content-Length", bad_request, "bad_request", raw(b"POST /v1/commands/add-member HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n")),
        Row("bad chunk size", bad_request, "bad_request", raw(b"POST /v1/commands/add-member HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n")),
        Row("slow loris (headers a byte at a time)", "closed in read timeout window", None, slow_loris),
        # Queries and paths.
        Row("non-numeric limit", bad_request, invalid_field, get("/v1/events?limit=abc"), check=field_is("limit", "out_of_range")),
        Row("limit over the maximum", bad_request, invalid_field, get("/v1/events?limit=1001"), check=field_is("limit", "out_of_range")),
        Row("from beyond uint64", bad_request, invalid_field, get("/v1/events?from=99999999999999999999999"), check=field_is("from", "not_a_position")),
        Row("negative from", bad_request, invalid_field, get("/v1/events?from=-1"), check=field_is("from", "not_a_position")),
        Row("empty event type in a type list", bad_request, invalid_field, get("/v1/events?type=TrancheRecorded,,"), check=field_is("type", "invalid_type_list")),
        Row("40 event types", bad_request, invalid_field, get("/v1/events?type=" + ",".join("T%d" % i for i in range(40))), check=field_is("type", "too_many_types")),
        Row("1,000-byte stream prefix", bad_request, invalid_field, get("/v1/events?stream=" + "s" * 1000), check=field_is("stream", "too_long")),
        Row("as_of 'yesterday'", bad_request, invalid_field, get("/v1/clusters/wessex?as_of=yesterday"), check=field_is("as_of")),
        Row("effective 2010-02-30", bad_request, invalid_field, get("/v1/clusters/wessex?effective=2010-02-30"), check=field_is("effective")),
        Row("100 query parameters", bad_request, "bad_request", get("/v1/events?" + "&".join("p%d=1" % i for i in range(100)))),
        Row("unknown cluster", 404, "cluster_not_found", get("/v1/clusters/no-such-cluster")),
        Row("dashboard path traversal", 404, "not_found", get("/dashboard/../../../etc/passwd", None)),
        Row("encoded dashboard path traversal", 404, "not_found", get("/dashboard/..%2f..%2fetc%2fpasswd", None)),
        Row("DELETE on the log", 405, "method_not_allowed", lambda s: http_outcome(raw_http.send(s.port, "DELETE", "/v1/events", b"", s.token("auditor")))),
        # WebSocket.
        Row("over-size WebSocket frame (64 KB text)", "close 1009", None, websocket(65536, 65536)),
        Row("WebSocket frame declaring 2^62 bytes", "close 1009", None, websocket(2 ** 62, 0)),
        Row("WebSocket with a bad token", 401, None, websocket(10, 10, None, "?from=1&access_token=forged")),
        Row("WebSocket with a bad from", bad_request, None, websocket(10, 10, "viewer", "?from=-1")),
        # Tokens and roles.
        Row("no token", 401, "unauthorized", command("record-tranche", tranche(), None)),
        Row("bad token", 401, "unauthorized", lambda s: http_outcome(raw_http.send(s.port, "POST", "/v1/commands/record-tranche", json.dumps(tranche()).encode(), "forged-token-0000"))),
        Row("Basic instead of Bearer", 401, "unauthorized", post("/v1/commands/record-tranche", tranche(), None, ["Authorization: Basic YWRtaW46YWRtaW4="])),
        Row("revoked token (tranche token revoke, SIGHUP)", 401, "unauthorized", revoked_token),
        Row("viewer posts record-tranche", 403, "forbidden", command("record-tranche", tranche(), "viewer")),
        Row("finance posts award-bid", 403, "forbidden", command("award-bid", {"command_id": next_id(), "cluster_id": CLUSTER, "awards": {"2009/10": 1}, "decided_on": "2010-01-05"}, "finance")),
        Row("auditor posts add-member", 403, "forbidden", command("add-member", member("Auditor Org"), "auditor")),
        Row("viewer reads the ledger", 403, "forbidden", get("/v1/ledger", "viewer")),
        Row("viewer runs verify", 403, "forbidden", get("/v1/audit/verify", "viewer")),
        # Script and SQL text is data: accepted, stored and returned verbatim.
        Row("script in a member name", 200, None, command("add-member", member("<script>alert(1)</script>"), "programme"), appends=1),
        Row("SQL in a member name", 200, None, command("add-member", member("Robert'); DROP TABLE members;--"), "programme"), appends=1),
        Row("img onerror in a member name, script in the reason", 200, None, command("add-member", member('<img src=x onerror=alert(1)>', reason="<script>alert('reason')</script>"), "programme"), appends=1),
    ]
    verbatim_names = {"script in a member name": "<script>alert(1)</script>",
                      "SQL in a member name": "Robert'); DROP TABLE members;--",
                      "img onerror in a member name, script in the reason": "<img src=x onerror=alert(1)>"}
    for row in table:
        if row.name in verbatim_names:
            row.server_check = verbatim(verbatim_names[row.name])
    return table


def head(server):
    return server.get_json("/healthz", None)["head"]


def others_served(server):
    """Another client's normal request is answered."""
    answer = raw_http.send(server.port, "GET", "/v1/programmes/hiec", b"", server.token("viewer"))
    return answer is not None and answer.status == 200 and answer.json()["id"] == "hiec"


def run_row(server, row):
    before = head(server)
    status, code, seen = row.run(server)
    failures = []
    if status != row.status:
        failures.append("status %s, expected %s" % (status, row.status))
    if row.code is not None and code != row.code:
        failures.append("code %s, expected %s" % (code, row.code))
    if isinstance(seen, raw_http.Answer) and status != 200 and isinstance(status, int):
        body = seen.json()
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict) or not {"code", "message"} <= set(error):
            failures.append("the error is not {\"error\":{\"code\",\"message\",...}}")
    if not failures and row.check:
        problem = row.check(seen)
        if problem:
            failures.append(problem)
    if not failures and getattr(row, "server_check", None):
        problem = row.server_check(server, seen)
        if problem:
            failures.append(problem)
    if not others_served(server):
        failures.append("another client's request was not answered afterwards")
    after = head(server)
    if after != before + row.appends:
        failures.append("head moved %d -> %d, expected +%d" % (before, after, row.appends))
    if server.process.poll() is not None:
        failures.append("tranched exited with %s" % server.process.returncode)
    detail = seen if not isinstance(seen, raw_http.Answer) else seen.body[:160]
    return failures, "%s %s" % (status, code or ""), detail


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    tranched, tranche_cli, seed = sys.argv[1:]
    started = time.monotonic()
    failed = []
    table = rows()
    with TrancheServer(tranched, tranche_cli, seed,
                       roles=("viewer", "finance", "programme", "auditor")) as server:
        server.wait_for_clusters(count=17)
        for number, row in enumerate(table, 1):
            failures, outcome, detail = run_row(server, row)
            print("%2d %-52s %-34s %s" % (number, row.name, outcome, "ok" if not failures
                                          else "FAIL: " + "; ".join(failures)), flush=True)
            if failures or not isinstance(row.status, int):
                print("   saw: %s" % (detail,), flush=True)
            if failures:
                failed.append(row.name)
        verify = server.get_json("/v1/audit/verify", server.token("auditor"))
        if verify.get("ok") is not True:
            failed.append("verify after the table")
        if server.process.poll() is not None:
            failed.append("tranched is still running")
    hostile = [r for r in table if not r.name.startswith("control")]
    print("%d hostile inputs tried in %.1fs: %d rejected as expected, %d accepted and returned "
          "verbatim, %d failed" % (len(hostile), time.monotonic() - started,
                                   sum(1 for r in hostile if not r.appends and r.name not in failed),
                                   sum(1 for r in hostile if r.appends and r.name not in failed),
                                   sum(1 for r in hostile if r.name in failed)))
    print("%d passed, %d failed" % (len(table) - len(failed), len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
