"""Xietong with SMS on, talking through the real `twilio` client to the Twilio-compatible
simulator, both served on 127.0.0.1; the simulator's callbacks reach Xietong's webhooks."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bots import twilio_sim
from hub.app import Hub
from hub.clock import FakeClock
from hub.config import Config
from tests.realtime.conftest import LiveServer, free_port, start_server

ACCOUNT, TOKEN = "AC" + "1" * 32, "test-auth-token"


@dataclass
class SmsWorld:
    hub: Hub
    xietong: LiveServer
    sim_app: web.Application
    sim_url: str
    sim_runner: web.AppRunner
    config: Config          # the test's store (tests/conftest.py) with SMS on
    clock: FakeClock

    @property
    def sim(self) -> twilio_sim.SimState:
        return self.sim_app[twilio_sim.STATE]

    def to(self, phone: str) -> list[dict[str, Any]]:
        return [m for m in self.sim.messages if m["to"] == phone and m.get("direction") == "outbound-api"]

    async def flush(self, **kw: bool) -> int:
        return await twilio_sim.flush(self.sim_app, **kw)

    async def reply(self, phone: str, body: str, sid: str | None = None) -> dict[str, Any]:
        return await twilio_sim.reply(self.sim_app, phone, body, sid)

    async def restart(self) -> None:
        """Stop Xietong (as after a crash the process is gone) and start it again on the same file."""
        await self.stop()
        await self.start()

    async def stop(self) -> None:
        """Xietong is down: its webhooks refuse connections until `start`."""
        await self.xietong.runner.cleanup()
        await self.hub.close()

    async def start(self) -> None:
        self.hub = await Hub.start(self.config, self.clock)
        self.xietong = await start_server(self.hub, int(self.xietong.url.rsplit(":", 1)[1]), background=False)

    async def until_idle(self) -> None:
        """Run the real SMS sender in the background until it has nothing left to do now."""
        self.hub.sms.start()
        await asyncio.wait_for(self.hub.sms.idle.wait(), 10)    # bounded wait for I/O, not business time


@pytest.fixture
async def world(demo_template: Path, config: Config, clock: FakeClock) -> AsyncIterator[SmsWorld]:
    if config.store.is_sqlite:
        shutil.copy(demo_template, config.store.path)    # on PostgreSQL: a copy of the demo template
    sim_port, xt_port = free_port(), free_port()
    sim_app = twilio_sim.make_app(ACCOUNT, TOKEN, f"http://127.0.0.1:{xt_port}/hooks/twilio/sms",
                                  auto_callbacks=False)
    sim_runner = web.AppRunner(sim_app)
    await sim_runner.setup()
    await web.TCPSite(sim_runner, "127.0.0.1", sim_port).start()
    args = {"sms": {"enabled": True, "api_base_url": f"http://127.0.0.1:{sim_port}", "account_sid": ACCOUNT,
                    "auth_token": TOKEN, "from_number": "+8610690000000",
                    "public_base_url": f"http://127.0.0.1:{xt_port}", "rate_per_second": 1000,
                    "reconcile_per_second": 1000},
            "web": {"port": xt_port}}
    config = config.with_overrides(**args)
    hub = await Hub.start(config, clock)
    xietong = await start_server(hub, xt_port, background=False)
    w = SmsWorld(hub, xietong, sim_app, f"http://127.0.0.1:{sim_port}", sim_runner, config, clock)
    yield w
    await w.xietong.runner.cleanup()
    await w.hub.close()
    await sim_runner.cleanup()


async def post_form(url: str, data: dict[str, str], headers: dict[str, str] | None = None) -> tuple[int, str]:
    async with aiohttp.ClientSession() as s, s.post(url, data=data, headers=headers or {}) as resp:
        return resp.status, await resp.text()
