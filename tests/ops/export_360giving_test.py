#!/usr/bin/python3
"""Validates GET /v1/export/360giving.json with ../shared/tools/validate-360giving.

usage: export_360giving_test.py TRANCHED TRANCHE_CLI SEED VALIDATOR

Starts the real tranched (seeded HIEC programme), records a tranche, fetches
the export with an auditor token and runs the validator on it (with Debian's
/usr/bin/python3, which has python3-jsonschema). Exits 77 (skipped) when the
validator is absent.
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tranche_server import SKIP, TrancheServer  # noqa: E402


def main():
    if len(sys.argv) != 5:
        print(__doc__)
        return 2
    tranched, tranche_cli, seed, validator = sys.argv[1:]
    if not os.path.isfile(validator):
        print("SKIPPED: %s is absent (it lives in ../shared beside the repository)" % validator)
        return SKIP
    with TrancheServer(tranched, tranche_cli, seed) as server:
        clusters = server.wait_for_clusters(count=17)
        target = next(c for c in clusters if c["id"] == "wessex")
        result = server.record_tranche(target["id"], "2009/10", 2500000, "2010-03-01", "DH-360-0001")
        print("recorded a tranche at position %d" % result["last_position"])
        status, body = server.request("GET", "/v1/export/360giving.json", server.token("auditor"))
        if status != 200:
            print("FAIL: export answered HTTP %d: %s" % (status, body[:300]))
            return 1
        package = json.loads(body)
        grants = package.get("grants", [])
        print("export: %d grants, %d bytes" % (len(grants), len(body)))
        if len(grants) != 17:
            print("FAIL: expected one grant per awarded cluster (17), got %d" % len(grants))
            return 1
        if "DH-360-0001" not in body.decode() and "25000" not in body.decode():
            print("FAIL: the recorded tranche is not in the export")
            return 1
        with tempfile.NamedTemporaryFile("wb", suffix=".json", delete=False) as f:
            f.write(body)
            path = f.name
        try:
            check = subprocess.run(["/usr/bin/python3", validator, path], capture_output=True,
                                   text=True, timeout=120)
        finally:
            os.unlink(path)
        sys.stdout.write(check.stdout)
        sys.stdout.write(check.stderr)
        if check.returncode != 0:
            print("FAIL: validate-360giving exited %d" % check.returncode)
            return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
