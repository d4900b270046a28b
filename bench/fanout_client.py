"""Load-generator process for bench/fanout.py: holds a share of the websocket clients.

One process opens `--count` connections with the `websockets` client (compression off, no
client pings: the servers ping), waits until each is live, then prints one JSON line
`{"ready": n, "failed": n, ...}` on stdout and obeys commands read from stdin, one a line:

    collect K SECONDS   wait (at most SECONDS) until every connection has received K notices,
                        then print {"arrivals": [unix time of the K-th notice or null, ...], ...}
    close               exit at once (the kernel closes the sockets)

A notice's arrival time is taken when its bytes reach this process, at the start of the
protocol's `data_received`. By default (--receiver tail) the `websockets` client does the
opening handshake and reads the hello, then hands the socket to `Tail`, a minimal frame reader
(split frames, record notices, answer pings with masked pongs), so that one core of load
generators keeps up with the fastest server and does not inflate its latency. With --receiver
websockets the `websockets` client keeps the connection (time still noted in data_received,
before its parser; each connection has a reader task).

Modes (what "live" and "a notice" mean):

    xietong   GET /ws with a bearer token; live after the `hello` frame; a notice is the
              `item.issued` event frame (checked afterwards: its delivery.unit_id is the
              client's own unit)
    baseline  a bare `websockets` server; live after its hello; a notice is a text frame
              carrying "type":"item.issued"
    socketio  engine.io v4 over a websocket only (no polling), spoken directly: open packet,
              "40" namespace connect, "40{...}" answer = live; a notice is a '42["notice",..]'
              event packet; pings "2" are answered "3"
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.frames import Opcode


def raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 1 << 20, hard))


def is_notice(mode: str, data: bytes) -> bool:
    if mode == "socketio":
        return data[:2] == b"42"
    return b'"type":"item.issued"' in data[:120]


class TimedConnection(ClientConnection):
    """Records the time the bytes of each notice reached this process."""

    mode = "xietong"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rx_t = 0.0
        self.hits: list[float] = []
        self.arrived = asyncio.Event()

    def data_received(self, data: bytes) -> None:
        self.rx_t = time.time()
        super().data_received(data)

    def process_event(self, event: Any) -> None:
        if getattr(event, "opcode", None) is Opcode.TEXT and is_notice(self.mode, bytes(event.data)):
            self.hits.append(self.rx_t)
            self.arrived.set()
        super().process_event(event)


class Tail(asyncio.Protocol):
    """After the handshake and the hello: the least work per frame a websocket client can do.

    Takes over the connection's transport from the `websockets` client, notes the time each data
    chunk arrives, splits the server's (unmasked) frames, records notices, answers websocket pings
    (and engine.io's "2") with masked frames, and nothing else, so that a load-generator process
    serving thousands of connections on one core keeps up with the fastest server.
    """

    def __init__(self, mode: str, transport: asyncio.Transport) -> None:
        self.mode, self.transport = mode, transport
        self.buf = bytearray()
        self.hits: list[float] = []
        self.first_notice: bytes | None = None
        self.arrived = asyncio.Event()
        self.error = ""

    def send(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x80 | opcode]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big"))
        self.transport.write(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def data_received(self, data: bytes) -> None:
        t = time.time()
        buf = self.buf
        buf += data
        while len(buf) >= 2:
            n, off = buf[1] & 0x7F, 2
            if n == 126:
                n, off = int.from_bytes(buf[2:4], "big"), 4
            elif n == 127:
                n, off = int.from_bytes(buf[2:10], "big"), 10
            if len(buf) < off + n:
                return
            opcode, payload = buf[0] & 0x0F, bytes(buf[off:off + n])
            del buf[:off + n]
            if opcode == 0x1:
                if is_notice(self.mode, payload):
                    self.hits.append(t)
                    if self.first_notice is None:
                        self.first_notice = payload
                    self.arrived.set()
                elif self.mode == "socketio" and payload == b"2":
                    self.send(0x1, b"3")
            elif opcode == 0x9:
                self.send(0xA, payload)
            elif opcode == 0x8:
                self.error = f"closed by the server: {payload[:2].hex()} {payload[2:80]!r}"
                self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.error = self.error or f"connection lost: {exc}"


class Client:
    def __init__(self, mode: str, url: str, token: str, unit_id: int, receiver: str) -> None:
        self.mode, self.url, self.token, self.unit_id, self.receiver = mode, url, token, unit_id, receiver
        self.ws: TimedConnection | None = None
        self.tail: Tail | None = None
        self.reader: asyncio.Task[None] | None = None
        self.first_notice: str | None = None
        self.error = ""

    @property
    def live(self) -> bool:
        return self.ws is not None or self.tail is not None

    @property
    def hits(self) -> list[float]:
        return self.tail.hits if self.tail else self.ws.hits if self.ws else []

    @property
    def arrived(self) -> asyncio.Event:
        assert self.tail or self.ws
        return self.tail.arrived if self.tail else self.ws.arrived  # type: ignore[union-attr]

    @property
    def lost(self) -> str:
        return self.tail.error if self.tail else self.error

    async def open(self, timeout: float) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else None
        ws = await connect(self.url, additional_headers=headers, compression=None, ping_interval=None,
                           open_timeout=timeout, close_timeout=2, max_size=2**20,
                           create_connection=TimedConnection)
        assert isinstance(ws, TimedConnection)
        try:
            if self.mode == "socketio":
                opened = await asyncio.wait_for(ws.recv(), timeout)
                if not str(opened).startswith("0"):
                    raise RuntimeError(f"engine.io: expected an open packet, got {str(opened)[:60]!r}")
                await ws.send("40")
                while True:
                    answer = str(await asyncio.wait_for(ws.recv(), timeout))
                    if answer.startswith("40"):
                        break
                    if answer == "2":
                        await ws.send("3")
                    elif answer.startswith("44"):
                        raise RuntimeError(f"socket.io refused the connection: {answer[:80]}")
            else:
                hello = json.loads(await asyncio.wait_for(ws.recv(), timeout))
                if hello.get("type") != "hello":
                    raise RuntimeError(f"expected hello, got {str(hello)[:80]}")
        except BaseException:
            await ws.close()
            raise
        if self.receiver == "tail":
            self.tail = Tail(self.mode, ws.transport)
            ws.transport.set_protocol(self.tail)
        else:
            self.ws = ws
            self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for msg in self.ws:
                text = msg if isinstance(msg, str) else msg.decode("utf-8", "replace")
                if self.mode == "socketio" and text == "2":
                    await self.ws.send("3")
                elif self.first_notice is None and is_notice(self.mode, text[:120].encode()):
                    self.first_notice = text
        except Exception as e:      # connection lost: reported with the results
            self.error = f"{type(e).__name__}: {e}"[:200]

    def wrong_content(self) -> bool:
        """Xietong: the notice must be the delivery for the client's own unit."""
        first = self.tail.first_notice if self.tail else self.first_notice
        if self.mode != "xietong" or first is None:
            return False
        try:
            frame = json.loads(first)
            return frame["type"] != "item.issued" or frame["delivery"]["unit_id"] != self.unit_id
        except (ValueError, KeyError, TypeError):
            return True


async def open_all(clients: list[Client], concurrency: int, timeout: float, retries: int) -> list[str]:
    sem = asyncio.Semaphore(concurrency)
    errors: list[str] = []

    async def one(c: Client) -> None:
        for attempt in range(retries + 1):
            async with sem:
                try:
                    await c.open(timeout)
                    return
                except Exception as e:
                    last = f"{type(e).__name__}: {e}"[:200]
            await asyncio.sleep(0.2 * (attempt + 1))
        errors.append(last)

    await asyncio.gather(*(one(c) for c in clients))
    return errors


async def collect(clients: list[Client], k: int, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    for c in clients:
        if not c.live:
            continue
        while len(c.hits) < k and time.monotonic() < deadline:
            c.arrived.clear()
            if len(c.hits) >= k:
                break
            try:
                await asyncio.wait_for(c.arrived.wait(), max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                break
    await asyncio.sleep(0.05)      # let the reader tasks take the last messages (content check)
    arrivals = [c.hits[k - 1] if len(c.hits) >= k else None for c in clients]
    return {"arrivals": arrivals,
            "extra": sum(max(0, len(c.hits) - k) for c in clients),
            "wrong": sum(1 for c in clients if c.wrong_content()),
            "lost": sum(1 for c in clients if c.lost),
            "lost_errors": sorted({c.lost for c in clients if c.lost})[:3]}


def emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--mode", required=True, choices=("xietong", "baseline", "socketio"))
    p.add_argument("--url", required=True)
    p.add_argument("--tokens", help="xietong: file of 'token unit_id' lines")
    p.add_argument("--start", type=int, default=0)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--timeout", type=float, default=30)
    p.add_argument("--receiver", choices=("tail", "websockets"), default="tail",
                   help="after the hello: a minimal frame reader (default) or the websockets client's own")
    a = p.parse_args()
    raise_nofile()
    TimedConnection.mode = a.mode
    if a.tokens:
        with open(a.tokens, encoding="ascii") as f:
            lines = f.read().split("\n")[a.start:a.start + a.count]
        pairs = [(t, int(u)) for t, u in (line.split() for line in lines if line.strip())]
    else:
        pairs = [("", 0)] * a.count
    clients = [Client(a.mode, a.url, t, u, a.receiver) for t, u in pairs]
    t = time.monotonic()
    errors = await open_all(clients, a.concurrency, a.timeout, retries=3)
    emit({"ready": sum(1 for c in clients if c.live), "failed": len(errors),
          "errors": sorted(set(errors))[:3], "seconds": round(time.monotonic() - t, 2), "pid": os.getpid()})
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = (await reader.readline()).decode().split()
        if not line or line[0] == "close":
            os._exit(0)            # the kernel closes every socket; no 10,000 closing handshakes
        if line[0] == "collect":
            emit(await collect(clients, int(line[1]), float(line[2])))


if __name__ == "__main__":
    asyncio.run(main())
