"""A real server on 127.0.0.1 for the real `websockets` client."""

from __future__ import annotations

import json
import random
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import websockets
from aiohttp import ClientSession, web

from hub.app import Hub
from hub.domain.identity import SystemActor
from webapp.app import make_app


def free_port() -> int:
    """A port free now, drawn below the kernel's range for outgoing connections (32768-60999 on Linux):
    a port from that range can be taken by any client socket (a PostgreSQL connection, an HTTP call)
    between this check and the server's bind."""
    for _ in range(500):
        port = random.randint(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port between 20000 and 32000")


@dataclass
class LiveServer:
    hub: Hub
    url: str
    runner: web.AppRunner

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/ws"

    async def token(self, login: str) -> str:
        _, token = await self.hub.identity.create_token(SystemActor(), login, "test")
        return token

    async def connect(self, login: str, since: int | None = None, **kw: Any) -> websockets.ClientConnection:
        headers = {"Authorization": f"Bearer {await self.token(login)}"}
        query = f"?since={since}" if since is not None else ""
        return await websockets.connect(self.ws_url + query, additional_headers=headers, **kw)


async def start_server(hub: Hub, port: int, background: bool = True) -> LiveServer:
    if background:
        hub.run_background()
    runner = web.AppRunner(make_app(hub))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return LiveServer(hub, f"http://127.0.0.1:{port}", runner)


@pytest.fixture
async def live(demo_hub: Hub) -> AsyncIterator[LiveServer]:
    server = await start_server(demo_hub, free_port())
    yield server
    await server.runner.cleanup()


async def recv_json(ws: websockets.ClientConnection, timeout: float = 15) -> dict[str, Any]:
    """The next frame (a bounded wait for the network, not for business time: generous, as a PostgreSQL
    server busy copying other tests' databases can hold a commit for seconds)."""
    import asyncio
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def cookie_login(url: str, login: str) -> tuple[ClientSession, str]:
    from aiohttp import CookieJar
    session = ClientSession(cookie_jar=CookieJar(unsafe=True))   # unsafe: accept cookies from an IP host
    resp = await session.post(url + "/api/login", json={"login": login, "password": "Demo@2026"})
    return session, (await resp.json())["csrf_token"]


async def session_socket(server: LiveServer, session: ClientSession) -> websockets.ClientConnection:
    """A websocket to `server` opened with the session cookie `session` holds (the login may have been
    on another process), once its hello came."""
    cookie = next(c for c in session.cookie_jar if c.key == "xt_session")
    ws = await websockets.connect(server.ws_url, origin=server.url,
                                  additional_headers={"Cookie": f"xt_session={cookie.value}"})
    assert (await recv_json(ws))["type"] == "hello"
    return ws
