"""A bounded schemathesis run over the served OpenAPI document, as a clerk and as a super admin.

Each role gets its own real server on 127.0.0.1 (its own event loop in a thread, a copy of the
demo database, the production set of routes: no /_test/*). schemathesis runs as its command
line does (`st run`, the stable interface of 4.x) against the document the server serves:
the coverage phase (boundary values, wrong types, missing fields, ids 0 and 2**63, unknown
methods: deterministic) and then a few fuzzed valid and invalid requests per operation, with a
fixed seed and no shrinking, so the run is the same every time and bounded in count and time.
The clerk calls with the session cookie and the X-CSRF-Token header from POST /api/login; the
super admin with a bearer token, as bots do. Every answer must be below 500 and match the
document's schema for its status.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from aiohttp import web

from hub.app import Hub
from hub.clock import FakeClock
from hub.domain.identity import SystemActor
from hub.services.demo import DEMO_PASSWORD
from tests.conftest import START, make_config

FUZZED_PER_OPERATION = 3        # after the coverage phase's own cases
RUN_TIMEOUT = 120               # seconds; the run takes ~10-25 s per role
# the calls that end the caller's own session or token would only make the rest a run of 401s
SKIPPED_PATHS = ("/api/logout",)


class LiveServer:
    """The web app on 127.0.0.1:<free port>, served from its own event loop in a thread."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="live-server", daemon=True)
        self.url = ""
        self.token = ""

    def run(self, coro: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start(self) -> None:
        self.thread.start()
        self.run(self._start())

    async def _start(self) -> None:
        from webapp.app import make_app
        self.hub = await Hub.start(make_config(self.db), FakeClock(START))
        _, self.token = await self.hub.identity.create_token(SystemActor(), "admin", "schemathesis")
        self.runner = web.AppRunner(make_app(self.hub), access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.base_events.Server)
        self.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"

    async def _stop(self) -> None:
        await self.runner.cleanup()
        await self.hub.close()

    def stop(self) -> None:
        try:
            self.run(self._stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()


def start_server(demo_template: Path, folder: Path) -> LiveServer:
    folder.mkdir()
    shutil.copy(demo_template, folder / "xietong.db")
    server = LiveServer(folder / "xietong.db")
    server.start()
    return server


@pytest.fixture
def servers(demo_template: Path, tmp_path: Path) -> Iterator[list[LiveServer]]:
    """One server per role, so that neither role's calls change what the other finds."""
    started: list[LiveServer] = []
    try:
        for name in ("clerk", "super_admin"):
            started.append(start_server(demo_template, tmp_path / name))
        yield started
    finally:
        for server in started:
            server.stop()


def clerk_headers(server: LiveServer) -> list[str]:
    """Logged in over the API: the session cookie and the CSRF header, as a browser's script sends."""
    resp = requests.post(f"{server.url}/api/login", json={"login": "dhz.clerk1", "password": DEMO_PASSWORD},
                         timeout=10)
    assert resp.status_code == 200, resp.text
    return [f"Cookie: xt_session={resp.cookies['xt_session']}", f"X-CSRF-Token: {resp.json()['csrf_token']}"]


def super_admin_headers(server: LiveServer) -> list[str]:
    return [f"Authorization: Bearer {server.token}"]


def schemathesis_run(server: LiveServer, headers: list[str], folder: Path) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "schemathesis.cli", "run", f"{server.url}/api/openapi.json",
               "--phases", "coverage,fuzzing", "--max-examples", str(FUZZED_PER_OPERATION),
               "--seed", "20261124", "--no-shrink", "--workers", "1",
               "--checks", "not_a_server_error,response_schema_conformance",
               "--request-timeout", "20", "--warnings", "off", "--no-color",
               "--report", "junit", "--report-dir", str(folder)]
    for path in SKIPPED_PATHS:
        command += ["--exclude-path", path]
    for header in headers:
        command += ["--header", header]
    with (folder / "output.txt").open("w", encoding="utf-8") as output:    # a file: a pipe could fill up
        return subprocess.Popen(command, cwd=folder, stdout=output, stderr=subprocess.STDOUT, text=True,
                                stdin=subprocess.DEVNULL)


def test_no_call_the_document_describes_gets_a_server_error_as_a_clerk_or_a_super_admin(
        servers: list[LiveServer], tmp_path: Path) -> None:
    clerk, admin = servers
    runs = {"clerk": schemathesis_run(clerk, clerk_headers(clerk), tmp_path / "clerk"),
            "super_admin": schemathesis_run(admin, super_admin_headers(admin), tmp_path / "super_admin")}
    try:
        for run in runs.values():       # both run at once, each against its own server
            run.wait(timeout=RUN_TIMEOUT)
    finally:
        for run in runs.values():
            if run.poll() is None:
                run.kill()
                run.wait()
    outputs = {role: (tmp_path / role / "output.txt").read_text(encoding="utf-8") for role in runs}
    for role, run in runs.items():
        assert "Coverage" in outputs[role] and "Fuzzing" in outputs[role], outputs[role][-3000:]
        assert run.returncode == 0, f"as {role}:\n{outputs[role][-8000:]}"
