"""`xietong serve`, instrumented for bench/ack.py --probe: where does an ack's time go?

Runs the real `webapp.cli.main(["serve", ...])` after wrapping, without changing behaviour:

* every aiosqlite round trip of the readers (one hop to the connection's thread and back), and how
  long the event loop took to pick the result up;
* the writer: its hops to its thread (BEGIN IMMEDIATE, COMMIT), waiting for the writer, the
  use-case's body, the whole write until its group committed, and use-cases per COMMIT;
* IdentityService.session (the per-request session lookup), ItemService.acknowledge;
* the whole handler (a first middleware), and event-loop lag (a 1 ms ticker);
* Python's garbage collector pauses;
* optionally (BENCH_PROBE_CPROFILE=path) cProfile of the event-loop thread.

Only when $BENCH_PROBE_OUT is set; SIGUSR1 writes what was measured since the last signal to
$BENCH_PROBE_OUT.<n> and starts afresh (bench/ack.py sends it around each phase). Timing adds a
little overhead of its own (the 1 ms ticker most).
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import contextlib
import gc
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import aiosqlite.core
from aiohttp import web

import hub.store.db as dbmod
import webapp.app as appmod
from hub.services.identity import IdentityService
from hub.services.items import ItemService

OUT = os.environ.get("BENCH_PROBE_OUT", "")
PROFILE = os.environ.get("BENCH_PROBE_CPROFILE", "")
MAIN_THREAD = threading.main_thread()


class Stat:
    def __init__(self) -> None:
        self.values: list[float] = []

    def add(self, v: float) -> None:
        self.values.append(v)

    def summary(self) -> dict[str, float]:
        v = sorted(self.values)
        if not v:
            return {"n": 0}
        def p(q: float) -> float:
            return round(v[min(len(v) - 1, int(q * len(v)))] * 1000, 3)
        return {"n": len(v), "mean_ms": round(sum(v) / len(v) * 1000, 3), "p50_ms": p(0.5),
                "p99_ms": p(0.99), "max_ms": round(v[-1] * 1000, 3), "total_s": round(sum(v), 3)}


stats: dict[str, Stat] = collections.defaultdict(Stat)
counters: collections.Counter[str] = collections.Counter()
stores: set[dbmod.SqliteStore] = set()
group_marks: dict[int, tuple[int, int]] = {}      # id(store) -> (commits, use-cases) at the last dump


def instrument() -> None:
    """Wrap aiosqlite, Store.write, the services and the app with timers (behaviour unchanged)."""
    # -- aiosqlite round trips -------------------------------------------------------------------------

    _orig_execute = aiosqlite.core.Connection._execute

    async def _timed_execute(self, fn, *args, **kwargs):     # type: ignore[no-untyped-def]
        """One hop: queue to the connection thread, run there, come back through the loop."""
        kind = "reader"              # the writer's statements run on the loop: no hop
        ran: dict[str, float] = {}
        inner = fn

        def run_timed(*a, **k):                                 # type: ignore[no-untyped-def]
            ran["start"] = time.perf_counter()
            try:
                return inner(*a, **k)
            finally:
                ran["end"] = time.perf_counter()

        t0 = time.perf_counter()
        try:
            return await _orig_execute(self, run_timed, *args, **kwargs)
        finally:
            t1 = time.perf_counter()
            counters[f"roundtrips.{kind}"] += 1
            stats[f"roundtrip.{kind}.total"].add(t1 - t0)
            if "start" in ran:
                stats[f"roundtrip.{kind}.queue_to_thread"].add(ran["start"] - t0)
                stats[f"roundtrip.{kind}.sqlite"].add(ran["end"] - ran["start"])
                stats[f"roundtrip.{kind}.back_to_loop"].add(t1 - ran["end"])

    aiosqlite.core.Connection._execute = _timed_execute  # type: ignore[method-assign]

    # -- the writer: its thread hops (BEGIN IMMEDIATE, COMMIT) and its group commits -------------------

    _orig_in_thread = dbmod.SqliteStore._in_thread

    async def _in_thread(self, fn, *args):                      # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        try:
            return await _orig_in_thread(self, fn, *args)
        finally:
            counters["roundtrips.writer"] += 1
            what = args[0].split()[0].lower() if args and isinstance(args[0], str) else "other"
            stats[f"writer.{what}"].add(time.perf_counter() - t0)

    dbmod.SqliteStore._in_thread = _in_thread  # type: ignore[method-assign]

    @contextlib.asynccontextmanager
    async def _write(self):                                     # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        async with _orig_write(self) as tx:
            stats["write.wait_for_writer"].add(time.perf_counter() - t0)
            t1 = time.perf_counter()
            yield tx
            stats["write.use_case_body"].add(time.perf_counter() - t1)
        stats["write.total_until_committed"].add(time.perf_counter() - t0)
        stores.add(self)

    _orig_write = dbmod.SqliteStore.write
    dbmod.SqliteStore.write = _write  # type: ignore[method-assign]

    # -- services ------------------------------------------------------------------------------------------

    def timed(cls: type, name: str, key: str) -> None:
        orig = getattr(cls, name)

        async def wrapper(*a, **k):                             # type: ignore[no-untyped-def]
            t0 = time.perf_counter()
            try:
                return await orig(*a, **k)
            finally:
                stats[key].add(time.perf_counter() - t0)

        setattr(cls, name, wrapper)

    timed(IdentityService, "session", "service.session_lookup")
    timed(ItemService, "acknowledge", "service.acknowledge")

    # -- the whole handler, the loop's lag ----------------------------------------------------------------

    @web.middleware
    async def timing_middleware(request: web.Request, handler):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        try:
            return await handler(request)
        finally:
            if request.path.endswith("/ack"):
                stats["handler.ack_total"].add(time.perf_counter() - t0)
                counters["acks"] += 1

    _orig_make_app = appmod.make_app

    def make_app(hub):                                          # type: ignore[no-untyped-def]
        app = _orig_make_app(hub)
        app.middlewares.insert(0, timing_middleware)
        loop = asyncio.get_running_loop()
        loop.create_task(lag_ticker())
        loop.add_signal_handler(signal.SIGUSR1, snapshot)
        return app

    _snapshots = {"n": 0}

    def snapshot() -> None:
        """SIGUSR1: write what was measured since the last snapshot to $BENCH_PROBE_OUT.<n> and start afresh."""
        _snapshots["n"] += 1
        dump(f"{OUT}.{_snapshots['n']}")
        stats.clear()
        counters.clear()

    appmod.make_app = make_app

    async def lag_ticker() -> None:
        loop = asyncio.get_running_loop()
        while True:
            t0 = loop.time()
            await asyncio.sleep(0.001)
            stats["loop.lag_over_1ms_tick"].add(max(0.0, loop.time() - t0 - 0.001))

    # -- GC ----------------------------------------------------------------------------------------------------

    _gc_start: dict[str, float] = {}

    def gc_cb(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            _gc_start["t"] = time.perf_counter()
        elif "t" in _gc_start:
            stats[f"gc.gen{info['generation']}"].add(time.perf_counter() - _gc_start.pop("t"))

    gc.callbacks.append(gc_cb)

    def dump(path: str = OUT) -> None:
        out: dict[str, object] = {"counters": dict(counters),
                                  "stats": {k: v.summary() for k, v in sorted(stats.items())}}
        for store in stores:
            c0, u0 = group_marks.get(id(store), (0, 0))
            commits, cases = store.commits - c0, store.committed_use_cases - u0
            group_marks[id(store)] = (store.commits, store.committed_use_cases)
            if commits:
                out["group_commit"] = {"commits": commits, "mean_usecases_per_commit": round(cases / commits, 2)}
        acks = counters.get("acks") or 0
        if acks:
            out["roundtrips_per_ack"] = {k: round(v / acks, 2) for k, v in counters.items()
                                         if k.startswith("roundtrips.")}
        Path(path).write_text(json.dumps(out, indent=1))

    atexit.register(dump)


if __name__ == "__main__":
    if OUT:
        instrument()
    from webapp.cli import main
    if PROFILE:
        import cProfile
        prof = cProfile.Profile()
        prof.enable()
        try:
            rc = main(sys.argv[1:])
        finally:
            prof.disable()
            prof.dump_stats(PROFILE)
        sys.exit(rc)
    sys.exit(main(sys.argv[1:]))
