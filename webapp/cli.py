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
from hub.cli import add_command, build_parser, common_options, run
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
    fonts_missing = await asyncio.to_thread(lambda: hub.paper.renderer.missing)   # read the fonts now, once
    if fonts_missing:
        from hub.render.paper import PACKAGES
        msg = (f"no Chinese fonts to print documents with ({', '.join(fonts_missing)} not found): install "
               f"{PACKAGES} or set [paper] fonts; document PDFs are refused until then / "
               f"未找到排版公文所需的中文字体，请安装 {PACKAGES}")
        log.warning("%s", msg)
        print(f"warning: {msg}", file=sys.stderr, flush=True)
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


async def cmd_circular(args: argparse.Namespace, config: Config) -> int:
    """通报: generate the office's circular of a month (or days) as a draft, or list the circulars."""
    from hub.domain.identity import SystemActor  # inside: `xietong --help` stays quick
    from hub.services.circulars import parse_period, period_of
    from hub.services.stats import last_month
    hub = await Hub.start(config, create=False)
    try:
        if args.circular_cmd == "list":
            for c in await hub.circulars.list(SystemActor(login="cli")):
                print(f"{c.row.id}\t{c.period.first}..{c.period.last}\t{c.row.state}\t{len(c.named)} named\t{c.row.title}")
            return 0
        if args.month:
            period = parse_period(month=args.month)
        elif args.first_day or args.last_day:
            period = parse_period(first=args.first_day or "", last=args.last_day or "")
        else:
            period = period_of(*last_month(hub.clock.now()))
        made = await hub.circulars.generate(SystemActor(login="cli"), period, by_hand=not period.month)
        print(f"circular {made.row.id} ({made.row.state}): {made.row.title}")
        print(f"  {period.first} .. {period.last}; {len(made.frozen['units'])} units; {len(made.named)} named")
        for n in made.named:
            print(f"  {n.name} [{n.kind}]: {'; '.join(n.reasons)}")
        print(f"review and publish it at {config.public_url()}/circulars/{made.row.id}")
        return 0
    finally:
        await hub.close()


def parser() -> argparse.ArgumentParser:
    p = build_parser()
    c = add_command(p, "circular", "the office's circular (通报): generate a month's draft, list them", cmd_circular)
    csub = c.add_subparsers(dest="circular_cmd", required=True, metavar="ACTION")
    g = csub.add_parser("generate", parents=[common_options()], help="generate the draft of a month (once per month) or of days (default: "
                                         "the previous month, Beijing time)")
    g.add_argument("--month", help="a calendar month, e.g. 2026-11")
    g.add_argument("--from", dest="first_day", help="or the first day, e.g. 2026-11-03")
    g.add_argument("--to", dest="last_day", help="and the last day (included)")
    csub.add_parser("list", parents=[common_options()],
                    help="list the office's circulars (the previous month's draft is made first if due)")
    s = add_command(p, "serve", "serve the web app, API and websocket", cmd_serve)
    s.add_argument("--host", help="address to listen on (config web.host)")
    s.add_argument("--port", type=int, help="port to listen on (config web.port)")
    return p


def main(argv: list[str] | None = None) -> int:
    return run(parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
