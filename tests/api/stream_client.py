"""A real browser-like client of /v1/stream (Python `websockets`, Debian's
python3-websockets): catch up from 1 with ?access_token=, then resume from the
middle; exits non-zero on any gap, duplicate or protocol error.

usage: /usr/bin/python3 stream_client.py PORT TOKEN HEAD
"""
import asyncio
import json
import sys

import websockets


async def read_until_caught_up(url):
    positions = []
    async with websockets.connect(url, open_timeout=10) as ws:
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if message["kind"] == "event":
                positions.append(message["position"])
            elif message["kind"] == "caught_up":
                return positions, message["position"]


async def main(port, token, head):
    base = f"ws://127.0.0.1:{port}/v1/stream?access_token={token}"
    positions, caught_up = await read_until_caught_up(base + "&from=1")
    assert positions == list(range(1, head + 1)), positions
    assert caught_up == head, caught_up
    middle = head // 2
    positions, caught_up = await read_until_caught_up(base + f"&from={middle + 1}")
    assert positions == list(range(middle + 1, head + 1)), positions
    assert caught_up == head
    try:
        async with websockets.connect(f"ws://127.0.0.1:{port}/v1/stream?access_token=bad"):
            raise AssertionError("a bad token was accepted")
    except websockets.exceptions.InvalidStatusCode as error:
        assert error.status_code == 401, error.status_code


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2], int(sys.argv[3])))
