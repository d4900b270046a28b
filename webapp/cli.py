"""The `xietong` console command: the hub's commands plus `serve`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import resource
import signal
import ssl
import sys

from aiohttp import web

from hub.app import Hub
from hub.cli import add_command, build_parser, run
from hub.config import Config

log = logging.getLogger("xietong")


def raise_open_files_limit() -> int:
    """Every phone holds a socket open: allow as many as the system lets this process have."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = 1_048_576 if hard == resource.RLIM_INFINITY else hard
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


async def serve(config: Config) -> int:
    limit = raise_open_files_limit()
    log.info("open files limit: %d", limit)
    hub = await Hub.start(config)
    hub.run_background()
    from webapp import access_log
    from webapp.app import make_app
    access_log.configure(config.log)
    app = make_app(hub)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    ssl_ctx = None
    if config.web.tls_cert:
        ssl_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ssl_ctx.load_cert_chain(config.web.tls_cert, config.web.tls_key or None)
    # thousands of phones reconnect at once after an outage: a deep accept queue (the default is 128)
    site = web.TCPSite(runner, config.web.host, config.web.port, ssl_context=ssl_ctx, backlog=4096)
    await site.start()
    print(f"Xietong is serving on {config.public_url()}  (Ctrl+C to stop / 按 Ctrl+C 停止)", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        await hub.close()
    return 0


async def cmd_serve(args: argparse.Namespace, config: Config) -> int:
    web_overrides = {}
    if args.host:
        web_overrides["host"] = args.host
    if args.port is not None:
        web_overrides["port"] = args.port
    if web_overrides:
        config = config.with_overrides(web=web_overrides)
    return await serve(config)


def parser() -> argparse.ArgumentParser:
    p = build_parser()
    s = add_command(p, "serve", "serve the web app, API and websocket", cmd_serve)
    s.add_argument("--host", help="address to listen on (config web.host)")
    s.add_argument("--port", type=int, help="port to listen on (config web.port)")
    return p


def main(argv: list[str] | None = None) -> int:
    return run(parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
