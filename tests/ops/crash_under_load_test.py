#!/usr/bin/python3
"""Crash under load: SIGKILL the real tranched while clients send commands.

usage: crash_under_load_test.py TRANCHED TRANCHE_CLI SEED [ROUNDS]

Starts tranched on the seeded HIEC programme. Each round (seed 7100 + round,
printed) runs four client threads, each on its own keep-alive connection,
sending a mix of record-tranche (unique payment references), add-member and
reverse-tranche (of the thread's own acknowledged tranches), each with a
unique command id, and records every 200 answer (command id -> first and last
position, number of events). At a random moment it SIGKILLs the server, starts
it again on the same data directory and port, and checks:

 1. every acknowledged command is in the log exactly once, at the positions it
    was acknowledged with, and its events carry the body it was sent with; a
    retry of an acknowledged command id answers the original positions
    (Idempotent-Replay) and appends nothing;
 2. nothing is half-visible: positions are gap-free from 1 to the head, every
    command's events are contiguous and complete (each domain command writes
    one event, core/decider.h; the count is taken from the acknowledgements),
    and a command that got no answer is either whole or absent; retrying it
    with its command id then makes it present exactly once;
 3. the live server's views equal an independent rebuild: programmes, every
    cluster's full view and the cluster list against `tranche replay --data
    DIR --json` (offline, read-only, its own fold of the log), and the ledger
    (every page) against a ledger folded here from GET /v1/events;
 4. verify passes online (GET /v1/audit/verify) and offline (`tranche verify
    --data DIR`).

Prints one line per round: seed, commands acknowledged, head, result.
"""
import datetime
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tranche_server import TrancheServer  # noqa: E402

WORKERS = 4
SEED_BASE = 7100
KILL_AFTER_SECONDS = (0.3, 1.2)
SECTORS = ("nhs", "higher-education", "industry", "local-authority", "voluntary", "other")
YEAR_START = datetime.date(2009, 4, 1)


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


class Command:
    """One command the test sent: its route, body and what became of it."""

    def __init__(self, name, body, token_role, round_number):
        self.name = name
        self.body = body
        self.token_role = token_role
        self.round = round_number
        self.ack = None  # (first_position, last_position, event_count) from a 200 answer.

    @property
    def command_id(self):
        return self.body["command_id"]


class Connection:
    """A keep-alive HTTP/1.1 connection (http.client), one per thread."""

    def __init__(self, port):
        self.http = http.client.HTTPConnection("127.0.0.1", port, timeout=15)

    def request(self, method, path, token, body=None):
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": "Bearer " + token, "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        self.http.request(method, path, body=data, headers=headers)
        response = self.http.getresponse()
        payload = response.read()
        return response.status, dict(response.getheaders()), payload

    def close(self):
        self.http.close()


class Worker(threading.Thread):
    """Sends commands until the server dies (or the round's stop is set)."""

    def __init__(self, server, round_number, index, clusters, killed, sent, lock):
        super().__init__(daemon=True)
        self.server = server
        self.round = round_number
        self.index = index
        self.clusters = clusters
        self.killed = killed
        self.sent = sent
        self.lock = lock
        self.rng = random.Random((SEED_BASE + round_number) * 100 + index)
        self.unreversed = []  # (cluster_id, payment_reference) of acknowledged tranches.
        self.count = 0
        self.acknowledged = 0
        self.errors = []

    def next_command(self):
        self.count += 1
        tag = "r%d-w%d-%d" % (self.round, self.index, self.count)
        command_id = "crash-" + tag
        choice = self.rng.random()
        if choice < 0.15 and self.unreversed:
            cluster_id, reference = self.unreversed.pop(self.rng.randrange(len(self.unreversed)))
            body = {"command_id": command_id, "cluster_id": cluster_id,
                    "payment_reference": reference, "reason": "crash test reversal " + tag}
            return Command("reverse-tranche", body, "finance", self.round)
        cluster_id = self.rng.choice(self.clusters)
        if choice < 0.40:
            body = {"command_id": command_id, "cluster_id": cluster_id,
                    "name": "Crash Test Partner " + tag, "sector": self.rng.choice(SECTORS),
                    "joined_on": "2010-02-01"}
            return Command("add-member", body, "programme", self.round)
        paid_on = YEAR_START + datetime.timedelta(days=self.rng.randrange(365))
        body = {"command_id": command_id, "cluster_id": cluster_id, "financial_year": "2009/10",
                "amount_pence": self.rng.randint(100, 5000), "paid_on": paid_on.isoformat(),
                "payment_reference": "CRASH-" + tag.upper()}
        return Command("record-tranche", body, "finance", self.round)

    def run(self):
        connection = Connection(self.server.port)
        try:
            while True:
                command = self.next_command()
                with self.lock:
                    self.sent[command.command_id] = command
                try:
                    status, _, payload = connection.request(
                        "POST", "/v1/commands/" + command.name,
                        self.server.token(command.token_role), command.body)
                except (OSError, http.client.HTTPException) as error:
                    if not self.killed.is_set():
                        self.errors.append("%s before the kill: %r" % (command.command_id, error))
                    return  # The server is gone; this command has no answer.
                if status != 200:
                    self.errors.append("%s: HTTP %d %s" % (command.command_id, status, payload[:300]))
                    return
                answer = json.loads(payload)
                if answer.get("command_id") != command.command_id:
                    self.errors.append("%s answered for %s" % (command.command_id,
                                                               answer.get("command_id")))
                    return
                command.ack = (answer["first_position"], answer["last_position"],
                               len(answer["events"]))
                self.acknowledged += 1
                if command.name == "record-tranche":
                    self.unreversed.append((command.body["cluster_id"],
                                            command.body["payment_reference"]))
        finally:
            connection.close()


def read_log(connection, token):
    """Every event, page by page (GET /v1/events), and the head."""
    events = []
    position = 1
    head = None
    while True:
        status, _, payload = connection.request("GET", "/v1/events?from=%d&limit=1000" % position,
                                                token)
        check(status == 200, "GET /v1/events: HTTP %d %s" % (status, payload[:300]))
        page = json.loads(payload)
        head = page["head"] if head is None else head
        events.extend(page["events"])
        if page.get("next") is None or not page["events"] or page["next"] > head:
            break
        position = page["next"]
    return head, events


def check_log(head, events, sent, event_count_by_name):
    """Checks 1 and 2 on the log itself. Returns command id -> positions."""
    check([e["position"] for e in events] == list(range(1, head + 1)),
          "positions are not gap-free from 1 to the head %d" % head)
    positions = {}
    for event in events:
        positions.setdefault(event["command_id"], []).append(event)
    for command_id, command_events in positions.items():
        numbers = [e["position"] for e in command_events]
        check(numbers == list(range(numbers[0], numbers[0] + len(numbers))),
              "%s: its events are not contiguous: %s" % (command_id, numbers))
        if not command_id.startswith("crash-"):
            continue  # The seed's commands.
        command = sent.get(command_id)
        check(command is not None, "%s is in the log but was never sent" % command_id)
        expected = event_count_by_name.get(command.name, 1)
        check(len(command_events) == expected,
              "%s: %d of its %d events are visible" % (command_id, len(command_events), expected))
        for event in command_events:
            for key, value in command.body.items():
                if key in event["data"]:
                    check(event["data"][key] == value, "%s: stored %s is %r, sent %r"
                          % (command_id, key, event["data"][key], value))
        if command.ack:
            first, last, _ = command.ack
            check(numbers == list(range(first, last + 1)),
                  "%s was acknowledged at %d..%d but is at %s" % (command_id, first, last, numbers))
    for command in sent.values():
        if command.ack:
            check(command.command_id in positions,
                  "acknowledged %s (%d..%d) is not in the log" % (command.command_id,
                                                                  command.ack[0], command.ack[1]))
    return positions


def ledger_from_log(events):
    """The ledger folded from the log: tranches and reversals with running totals."""
    rows = []
    cluster_totals = {}
    programme_totals = {}
    for event in events:
        if event["type"] not in ("TrancheRecorded", "TrancheReversed"):
            continue
        data = event["data"]
        amount = data["amount_pence"] if event["type"] == "TrancheRecorded" else -data["amount_pence"]
        cluster_key = (data["cluster_id"], data["financial_year"])
        programme_key = (data["programme_id"], data["financial_year"])
        cluster_totals[cluster_key] = cluster_totals.get(cluster_key, 0) + amount
        programme_totals[programme_key] = programme_totals.get(programme_key, 0) + amount
        rows.append({"position": event["position"], "recorded_at": event["recorded_at"],
                     "actor": event["actor"], "command_id": event["command_id"],
                     "kind": "tranche" if amount > 0 else "reversal",
                     "programme_id": data["programme_id"], "cluster_id": data["cluster_id"],
                     "financial_year": data["financial_year"],
                     "payment_reference": data["payment_reference"],
                     "paid_on": data["paid_on"], "amount_pence": amount,
                     "cluster_year_total_pence": cluster_totals[cluster_key],
                     "programme_year_total_pence": programme_totals[programme_key]})
    return rows


def live_ledger(connection, token):
    rows = []
    position = 1
    while True:
        status, _, payload = connection.request("GET", "/v1/ledger?from=%d&limit=1000" % position,
                                                token)
        check(status == 200, "GET /v1/ledger: HTTP %d %s" % (status, payload[:300]))
        page = json.loads(payload)
        rows.extend(page["entries"])
        if page["next"] is None:
            return rows
        position = page["next"]


def check_projections(server, connection, events):
    """Check 3: live views against `tranche replay` and the ledger against the log."""
    viewer = server.token("viewer")
    replay = subprocess.run([server.tranche_cli, "replay", "--data", server.data, "--json"],
                            capture_output=True, text=True, timeout=60)
    check(replay.returncode == 0, "tranche replay exited %d: %s" % (replay.returncode, replay.stderr))
    offline = json.loads(replay.stdout)
    status, _, payload = connection.request("GET", "/v1/programmes", viewer)
    check(status == 200, "GET /v1/programmes: HTTP %d" % status)
    live = json.loads(payload)
    check(live["moment"] == offline["moment"],
          "moments differ: live %s, replay %s" % (live["moment"], offline["moment"]))
    check(live["programmes"] == offline["programmes"], "programme views differ from the replay")
    status, _, payload = connection.request("GET", "/v1/clusters", viewer)
    check(status == 200, "GET /v1/clusters: HTTP %d" % status)
    summaries = {c["id"]: c for c in json.loads(payload)["clusters"]}
    check(sorted(summaries) == sorted(c["id"] for c in offline["clusters"]),
          "the cluster lists differ from the replay")
    for full in offline["clusters"]:
        status, _, payload = connection.request("GET", "/v1/clusters/" + full["id"], viewer)
        check(status == 200, "GET /v1/clusters/%s: HTTP %d" % (full["id"], status))
        check(json.loads(payload) == full, "cluster %s differs from the replay" % full["id"])
        shared = [key for key in summaries[full["id"]] if key in full]
        check(len(shared) >= 5, "cluster summary and view share too few fields: %s" % shared)
        for key in shared:
            check(summaries[full["id"]][key] == full[key],
                  "cluster %s summary's %s differs from the replay" % (full["id"], key))
    expected = ledger_from_log(events)
    ledger = live_ledger(connection, server.token("auditor"))
    check(len(ledger) == len(expected),
          "the ledger has %d rows, the log %d tranches and reversals" % (len(ledger), len(expected)))
    for row, want in zip(ledger, expected):
        for key, value in want.items():
            check(row[key] == value, "ledger row at %d: %s is %r, the log says %r"
                  % (want["position"], key, row[key], value))
    return len(offline["clusters"]), len(ledger)


def check_verify(server, connection):
    """Check 4: the chain and indexes verify online and offline."""
    status, _, payload = connection.request("GET", "/v1/audit/verify", server.token("auditor"))
    check(status == 200 and json.loads(payload).get("ok") is True,
          "GET /v1/audit/verify: HTTP %d %s" % (status, payload[:300]))
    offline = subprocess.run([server.tranche_cli, "verify", "--data", server.data, "--json"],
                             capture_output=True, text=True, timeout=60)
    check(offline.returncode == 0 and json.loads(offline.stdout).get("ok") is True,
          "tranche verify --data exited %d: %s %s" % (offline.returncode, offline.stdout[-500:], offline.stderr[-500:]))


def retry(connection, server, command):
    status, headers, payload = connection.request(
        "POST", "/v1/commands/" + command.name, server.token(command.token_role), command.body)
    check(status == 200, "retry of %s: HTTP %d %s" % (command.command_id, status, payload[:300]))
    answer = json.loads(payload)
    return (answer["first_position"], answer["last_position"], len(answer["events"])), headers


def check_retries(server, connection, sent, round_number, rng, head):
    """Acknowledged commands answer their original positions; the unanswered
    become present exactly once. Returns (acknowledged retried, appended)."""
    earlier = [c for c in sent.values() if c.ack and c.round < round_number]
    acknowledged = [c for c in sent.values() if c.ack and c.round == round_number]
    acknowledged += rng.sample(earlier, min(25, len(earlier)))
    for command in acknowledged:
        answer, headers = retry(connection, server, command)
        check(answer == command.ack, "retry of %s answered %s, first acknowledged %s"
              % (command.command_id, answer, command.ack))
        check(headers.get("Idempotent-Replay") == "true",
              "retry of %s lacks Idempotent-Replay" % command.command_id)
    status, _, payload = connection.request("GET", "/healthz", "")
    check(json.loads(payload)["head"] == head, "retrying acknowledged commands moved the head")
    appended = 0
    for command in [c for c in sent.values() if not c.ack]:
        answer, headers = retry(connection, server, command)
        if headers.get("Idempotent-Replay") != "true":
            check(answer[0] > head, "%s appended at %d, inside the old log (head %d)"
                  % (command.command_id, answer[0], head))
            appended += answer[1] - answer[0] + 1
        command.ack = answer
    return len(acknowledged), appended


def run_round(server, round_number, clusters, sent, event_count_by_name):
    seed = SEED_BASE + round_number
    rng = random.Random(seed)
    killed = threading.Event()
    lock = threading.Lock()
    round_sent = {}
    workers = [Worker(server, round_number, i, clusters, killed, round_sent, lock)
               for i in range(WORKERS)]
    for worker in workers:
        worker.start()
    time.sleep(rng.uniform(*KILL_AFTER_SECONDS))  # The random moment of the kill.
    killed.set()
    server.kill()
    for worker in workers:
        worker.join(timeout=30)
        check(not worker.is_alive(), "a client thread did not stop after the kill")
    errors = [e for w in workers for e in w.errors]
    check(not errors, "clients failed: %s" % errors[:5])
    sent.update(round_sent)
    acknowledged = sum(w.acknowledged for w in workers)
    unanswered = sum(1 for c in round_sent.values() if not c.ack)
    for command in round_sent.values():
        if command.ack:
            previous = event_count_by_name.setdefault(command.name, command.ack[2])
            check(previous == command.ack[2], "%s answered %d events, another %d"
                  % (command.name, command.ack[2], previous))

    server.start_again()
    connection = Connection(server.port)
    try:
        head, events = read_log(connection, server.token("auditor"))
        check_log(head, events, sent, event_count_by_name)
        cluster_views, ledger_rows = check_projections(server, connection, events)
        check_verify(server, connection)
        retried, appended = check_retries(server, connection, sent, round_number, rng, head)
        head_after, events = read_log(connection, server.token("auditor"))
        check(head_after == head + appended, "head %d after retries, expected %d"
              % (head_after, head + appended))
        positions = check_log(head_after, events, sent, event_count_by_name)
        missing = [c.command_id for c in sent.values() if c.command_id not in positions]
        check(not missing, "sent commands still absent after their retry: %s" % missing[:5])
    finally:
        connection.close()
    print("round %2d seed %d: %4d acknowledged, %2d unanswered (%d of them appended on retry), "
          "head %5d; %d acknowledged retried, %d cluster views and %d ledger rows equal the "
          "rebuild; verify ok: PASS"
          % (round_number, seed, acknowledged, unanswered, appended, head, retried, cluster_views,
             ledger_rows), flush=True)
    return acknowledged


def main():
    if len(sys.argv) not in (4, 5):
        print(__doc__)
        return 2
    tranched, tranche_cli, seed_file = sys.argv[1:4]
    rounds = int(sys.argv[4]) if len(sys.argv) == 5 else 10
    started = time.monotonic()
    sent = {}
    event_count_by_name = {}
    total = 0
    with TrancheServer(tranched, tranche_cli, seed_file,
                       roles=("viewer", "finance", "programme", "auditor")) as server:
        clusters = sorted(c["id"] for c in server.wait_for_clusters(count=17))
        for round_number in range(rounds):
            try:
                total += run_round(server, round_number, clusters, sent, event_count_by_name)
            except Failure as failure:
                print("round %2d seed %d: FAIL: %s" % (round_number, SEED_BASE + round_number,
                                                       failure), flush=True)
                print("\n".join(server.log_lines[-10:]))
                return 1
    print("%d rounds survived, %d commands acknowledged, %d sent, in %.1fs"
          % (rounds, total, len(sent), time.monotonic() - started), flush=True)
    print("PASS", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
