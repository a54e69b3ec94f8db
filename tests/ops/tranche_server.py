"""Starts the real tranched for an end-to-end test (standard library only).

    with TrancheServer(tranched, tranche_cli, seed) as server:
        server.token("viewer")            # a fresh token with that role
        server.get_json("/v1/clusters?programme=hiec", token)
        server.post_json("/v1/commands/record-tranche", body, token)
        server.kill(); server.start_again()   # SIGKILL, then the same port and data
        server.add_token(name, role); server.revoke_token(name)   # then SIGHUP

Tokens are made with the real `tranche token add` before the server starts
(tranched reads tokens.json at start). The server listens on 127.0.0.1:0 and
the port is read from its "ready" log line. Temporary data is removed on exit.
"""
import json
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

SKIP = 77  # ctest SKIP_RETURN_CODE used by these tests


class TrancheServer:
    def __init__(self, tranched, tranche_cli, seed, roles=("viewer", "finance", "auditor"),
                 dashboard_dir=None):
        self.tranched = tranched
        self.tranche_cli = tranche_cli
        self.seed = seed
        self.roles = roles
        self.dashboard_dir = dashboard_dir
        self.tokens = {}
        self.process = None
        self.port = None
        self.log_lines = []
        self._ready = queue.Queue()

    def __enter__(self):
        self.data = tempfile.mkdtemp(prefix="tranche-e2e-")
        for role in self.roles:
            out = subprocess.run(
                [self.tranche_cli, "token", "add", "--data", self.data, "--name", "e2e-" + role,
                 "--role", role], check=True, capture_output=True, text=True, timeout=30)
            self.tokens[role] = out.stdout.strip().split()[-1]
        self._start("127.0.0.1:0")
        self.base = "http://127.0.0.1:%d" % self.port
        return self

    def restart(self):
        """Stops the server (SIGTERM) and starts it again on the same port and data."""
        self._stop()
        self.start_again()

    def kill(self):
        """SIGKILL: no shutdown, no flush; what was durable is all that is left."""
        if self.process and self.process.poll() is None:
            self.process.kill()
        if self.process:
            self.process.wait()

    def start_again(self):
        """Starts the stopped (or killed) server on the same port and data directory."""
        self._ready = queue.Queue()
        self._start("127.0.0.1:%d" % self.port)

    def add_token(self, name, role):
        """Adds a token with the real CLI and reloads the server's tokens (SIGHUP)."""
        out = subprocess.run(
            [self.tranche_cli, "token", "add", "--data", self.data, "--name", name, "--role", role],
            check=True, capture_output=True, text=True, timeout=30)
        self.reload_tokens()
        return out.stdout.strip().split()[-1]

    def revoke_token(self, name):
        """Revokes a token with the real CLI and reloads the server's tokens (SIGHUP)."""
        subprocess.run([self.tranche_cli, "token", "revoke", "--data", self.data, "--name", name],
                       check=True, capture_output=True, text=True, timeout=30)
        self.reload_tokens()

    def reload_tokens(self, timeout=30):
        """Sends SIGHUP and waits for the server's "tokens_reloaded" log line."""
        before = self._count_log("tokens_reloaded")
        self.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + timeout
        while self._count_log("tokens_reloaded") == before:
            if time.monotonic() > deadline:
                raise RuntimeError("tranched did not reload its tokens")
            time.sleep(0.02)

    def _count_log(self, message):
        count = 0
        for line in list(self.log_lines):
            if '"%s"' % message in line:
                count += 1
        return count

    def _start(self, listen):
        command = [self.tranched, "--data", self.data, "--listen", listen,
                   "--seed", self.seed, "--threads", "2"]
        if self.dashboard_dir:
            command += ["--dashboard", self.dashboard_dir]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True)
        threading.Thread(target=self._read_log, args=(self.process, self._ready), daemon=True).start()
        try:
            self.port = self._ready.get(timeout=60)
        except queue.Empty:
            self._stop()
            raise RuntimeError("tranched did not become ready:\n" + "\n".join(self.log_lines[-20:]))
        if self.port is None:
            raise RuntimeError("tranched exited before ready:\n" + "\n".join(self.log_lines[-20:]))

    def __exit__(self, *exc):
        self._stop()
        shutil.rmtree(self.data, ignore_errors=True)
        return False

    def _read_log(self, process, ready):
        for line in process.stdout:
            line = line.rstrip("\n")
            self.log_lines.append(line)
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("msg") == "ready":
                ready.put(int(entry["port"]))
        ready.put(None)

    def _stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def token(self, role):
        return self.tokens[role]

    def request(self, method, path, token=None, body=None, accept="application/json"):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Accept", accept)
        if token:
            req.add_header("Authorization", "Bearer " + token)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def get_json(self, path, token):
        status, body = self.request("GET", path, token)
        if status != 200:
            raise RuntimeError("GET %s: HTTP %d %s" % (path, status, body[:300]))
        return json.loads(body)

    def post_json(self, path, body, token):
        status, answer = self.request("POST", path, token, body)
        if status != 200:
            raise RuntimeError("POST %s: HTTP %d %s" % (path, status, answer[:500]))
        return json.loads(answer)

    def wait_for_clusters(self, programme="hiec", count=17, timeout=60):
        deadline = time.monotonic() + timeout
        clusters = []
        while time.monotonic() < deadline:
            view = self.get_json("/v1/clusters?programme=" + programme, self.token("viewer"))
            clusters = view.get("clusters", [])
            if len(clusters) >= count:
                return clusters
            time.sleep(0.2)
        raise RuntimeError("only %d clusters after %ds" % (len(clusters), timeout))

    def record_tranche(self, cluster_id, year, amount_pence, paid_on, reference, command_id=None):
        body = {"command_id": command_id or "e2e-" + reference, "cluster_id": cluster_id,
                "financial_year": year, "amount_pence": amount_pence, "paid_on": paid_on,
                "payment_reference": reference}
        return self.post_json("/v1/commands/record-tranche", body, self.token("finance"))


def cluster_paid_pence(cluster):
    return sum(y.get("net_paid_pence", 0) for y in cluster.get("financial_years", []))
