"""The `xietong` command line: the hub's commands (the web layer adds `serve`).

`webapp.cli.main` is the console entry point; it adds `serve` to the parser
built here, so that `hub` never imports `webapp`.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import secrets
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from hub import __version__
from hub.app import Hub
from hub.cli_seals import add_seal_commands
from hub.cli_store import add_store_commands
from hub.clock import FakeClock
from hub.config import Config, ConfigError, load
from hub.domain.identity import SystemActor, UnitKind, parse_roles
from hub.errors import XietongError
from hub.services import audit
from hub.services.demo import (
    DEMO_AUTHORITY_PASSPHRASE,
    DEMO_PASSWORD,
    DEMO_PAST,
    demo_accounts,
    load_demo,
    load_demo_items,
    load_demo_seals,
)
from hub.services.demo_history import load_demo_history
from hub.services.demo_incoming import INCOMING_PAST, load_demo_incoming
from hub.services.demo_office import load_demo_office

Command = Callable[[argparse.Namespace, Config], Awaitable[int]]

CLI = SystemActor(login="cli", ip="local")


def obtain_password(args: argparse.Namespace, prompt: str = "Password / 密码: ") -> str:
    """From --password-file, XIETONG_PASSWORD, a terminal prompt (twice), or one line of stdin."""
    if getattr(args, "password_file", None):
        return Path(args.password_file).read_text(encoding="utf-8").strip()
    if os.environ.get("XIETONG_PASSWORD"):
        return os.environ["XIETONG_PASSWORD"]
    if sys.stdin.isatty():
        first = getpass.getpass(prompt)
        if getpass.getpass("Again / 再输一次: ") != first:
            raise SystemExit("passwords differ / 两次输入的密码不一致")
        return first
    line = sys.stdin.readline().strip()
    if not line:
        raise SystemExit("no password given (use --password-file, XIETONG_PASSWORD or stdin)")
    return line


async def with_hub(config: Config, create: bool = False) -> Hub:
    return await Hub.start(config, create=create)


async def cmd_init(args: argparse.Namespace, config: Config) -> int:
    hub = await with_hub(config, create=True)
    try:
        async with hub.store.read() as tx:
            if await tx.units.count():
                print(f"{config.store.place} is already initialised / 数据库已初始化", file=sys.stderr)
                return 1
        password = obtain_password(args)
        unit = await hub.identity.add_unit(CLI, args.unit_code, args.unit_name, UnitKind.OFFICE)
        user = await hub.identity.add_user(CLI, args.admin, args.name, unit.id, password,
                                           parse_roles(["super_admin"]))
        print(f"created {config.store.place}: unit {unit.code} {unit.name}, super admin {user.login}")
        return 0
    finally:
        await hub.close()


def print_demo_logins(config: Config) -> None:
    print()
    print("Xietong demo / 协同演示  ->  " + config.public_url())
    print(f"All demo accounts use the password / 演示账号密码均为: {DEMO_PASSWORD}")
    print(f"Every unit's official seal (法定名称章) has the seal password / 各单位法定名称章的印章密码: {DEMO_PASSWORD}")
    print(f"Seal authority passphrase / 印章制作单位密钥口令: {DEMO_AUTHORITY_PASSPHRASE} "
          "(demo only; `make run` reads it from data/seal-authority.pass)")
    print("With `make run`, the SMS a clerk gets show at / 短信模拟器: http://127.0.0.1:8081/")
    for acc in demo_accounts():
        roles = ",".join(r.value for r in acc.roles)
        print(f"  {acc.login:<14} {acc.name:<4}\t{acc.unit}\t{roles}")
    print()


def write_demo_passphrase(config: Config) -> Path:
    """The demo authority's passphrase beside the database (config/demo.toml points the server at it)."""
    path = Path(config.store.path).parent / "seal-authority.pass"
    path.parent.mkdir(parents=True, exist_ok=True)     # on PostgreSQL no database file made the folder
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(DEMO_AUTHORITY_PASSPHRASE + "\n", encoding="utf-8")
    return path


async def cmd_demo(args: argparse.Namespace, config: Config) -> int:
    hub = await with_hub(config, create=True)
    try:
        async with hub.store.read() as tx:
            existing = await tx.units.count()
            demo_there = await tx.units.by_code("BGS") is not None and await tx.users.by_login("admin")
        if existing and not demo_there:
            print("the database holds other data; not loading the demo / 数据库已有其他数据，未加载演示数据",
                  file=sys.stderr)
            return 1
        if not existing:
            await load_demo(hub.identity)
            print(f"demo organisation loaded into {config.store.place}")
        if not await hub.seals.has_authority():
            count = await load_demo_seals(hub.seals, hub.identity)
            print(f"demo seal authority and {count} official seals made")
        async with hub.store.read() as tx:
            with_items = not args.without_items and not await tx.items.count()
        now = hub.clock.now()
    finally:
        await hub.close()
    if with_items:     # the past two hours, on a clock of their own: then the real clock goes on
        past = await Hub.start(config, FakeClock(now - DEMO_PAST), create=False)
        try:
            notices = await load_demo_history(past, now, now - INCOMING_PAST - timedelta(hours=1))   # last month
            received = await load_demo_incoming(past, now - DEMO_PAST)   # the days before, then the two hours
            titles = await load_demo_items(past, now)
            office = await load_demo_office(past)
        finally:
            await past.close()
        print(f"{notices} notices of last month's history, for its circular (通报): 南桥镇 slow, 卫健局 little-used")
        print(f"{len(titles)} demo items at every stage: escalated, half-way, signed by SMS, signed, fresh")
        print(f"{len(received)} received documents of 东湖镇 on the incoming road (收文): registered, proposed, "
              "circulating, in handling, overdue, closed")
        print(f"{office} folders of 东湖镇's file cabinet, phone book entries and public services (文件柜, 通讯录, 公共服务)")
    write_demo_passphrase(config)
    print_demo_logins(config)
    return 0


async def cmd_user(args: argparse.Namespace, config: Config) -> int:
    hub = await with_hub(config)
    try:
        ident = hub.identity
        if args.user_cmd == "list":
            unit_id = None
            if args.unit:
                async with hub.store.read() as tx:
                    unit = await tx.units.by_code(args.unit.upper())
                if unit is None:
                    raise XietongError("unit.not_found")
                unit_id = unit.id
            for u in await ident.users(CLI, unit_id):
                state = "disabled" if u.disabled else "active"
                print(f"{u.login}\t{u.name}\tunit={u.unit_id}\t{','.join(sorted(u.roles))}\t{u.phone}\t{state}")
            return 0
        if args.user_cmd == "add":
            async with hub.store.read() as tx:
                unit = await tx.units.by_code(args.unit.upper())
            if unit is None:
                raise XietongError("unit.not_found")
            password = obtain_password(args)
            user = await ident.add_user(CLI, args.login, args.name, unit.id, password,
                                        parse_roles(args.role), args.phone or "", args.allowed_ips or "")
            print(f"added {user.login} ({user.name}) to {unit.code}")
            return 0
        user = await ident.user_by_login(args.login)
        if args.user_cmd == "disable":
            await ident.set_disabled(CLI, user.id, True)
            print(f"disabled {user.login}; their sessions are ended")
        elif args.user_cmd == "enable":
            await ident.set_disabled(CLI, user.id, False)
            print(f"enabled {user.login}")
        elif args.user_cmd == "reset-password":
            generated = args.generate
            password = secrets.token_urlsafe(9) if generated else obtain_password(args)
            await ident.reset_password(CLI, user.id, password)
            print(f"password of {user.login} reset" + (f": {password}" if generated else ""))
        return 0
    finally:
        await hub.close()


async def cmd_token(args: argparse.Namespace, config: Config) -> int:
    hub = await with_hub(config)
    try:
        if args.token_cmd == "create":
            token_id, token = await hub.identity.create_token(CLI, args.login, args.name)
            print(f"token {token_id} for {args.login.lower()} ({args.name}); shown once, keep it secret:")
            print(token)
        elif args.token_cmd == "revoke":
            if not await hub.identity.revoke_token(CLI, args.id):
                print(f"no active token {args.id}", file=sys.stderr)
                return 1
            print(f"revoked token {args.id}")
        else:
            async with hub.store.read() as tx:
                rows = await tx.tokens.for_user()
                users = {u.id: u.login for u in await tx.users.in_unit()}
            for r in rows:
                state = "revoked" if r.revoked else "active"
                print(f"{r.id}\t{users.get(r.user_id, '?')}\t{r.name}\t{r.created_at:%Y-%m-%d}\t{state}")
        return 0
    finally:
        await hub.close()


async def cmd_backup(args: argparse.Namespace, config: Config) -> int:
    hub = await with_hub(config)
    try:
        await hub.store.backup(args.dest)
        size = Path(args.dest).stat().st_size
        print(f"backed up {config.store.place} to {args.dest} ({size} bytes)")
        return 0
    finally:
        await hub.close()


async def cmd_audit(args: argparse.Namespace, config: Config) -> int:
    hub = await with_hub(config)
    try:
        check = await audit.verify(hub.store)
        if check.ok:
            print(f"audit log intact: {check.rows} rows; head {check.head}")
            print(f"审计日志完整：共 {check.rows} 条")
            return 0
        print(f"audit log BROKEN at row {check.broken_at}: {check.reason}")
        print(f"审计日志在第 {check.broken_at} 条记录处断裂")
        return 1
    finally:
        await hub.close()


async def cmd_search(args: argparse.Namespace, config: Config) -> int:
    """`xietong search reindex`: rebuild the whole full-text index, with a progress bar."""
    from hub.cli_store import ProgressLines
    hub = await with_hub(config)
    try:
        started = time.monotonic()
        bar = ProgressLines(sys.stdout)
        done = await hub.search.reindex(lambda n, total: bar("search index", n, total))
        print(f"search index rebuilt: {done} documents in {time.monotonic() - started:.1f} s")
        print(f"检索索引已重建：共 {done} 份")
        return 0
    finally:
        await hub.close()


def common_options() -> argparse.ArgumentParser:
    """Options every subcommand takes."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=argparse.SUPPRESS, metavar="FILE",
                        help="TOML config file (default: built-in defaults; env XIETONG_CONFIG)")
    return common


def add_command(parser: argparse.ArgumentParser, name: str, help: str, run: Command) -> argparse.ArgumentParser:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    p: argparse.ArgumentParser = sub.add_parser(name, parents=[common_options()], help=help)
    p.set_defaults(run=run)
    return p


def build_parser() -> argparse.ArgumentParser:
    common = common_options()
    parser = argparse.ArgumentParser(
        prog="xietong", parents=[common],
        description="Xietong (协同): office work and urgent notices on the e-government private network.")
    parser.add_argument("--version", action="version", version=f"xietong {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("init", parents=[common], help="create a database and the first super admin")
    p.add_argument("--admin", default="admin", help="account name of the super admin (default: admin)")
    p.add_argument("--name", default="系统管理员", help="the super admin's name")
    p.add_argument("--unit-code", default="BGS", help="code of the government office unit (default: BGS)")
    p.add_argument("--unit-name", default="人民政府办公室", help="name of the government office unit")
    p.add_argument("--password-file", help="read the password from this file")
    p.set_defaults(run=cmd_init)

    p = sub.add_parser("demo", parents=[common],
                       help="load the demo organisation and its items at every stage (once), print the logins")
    p.add_argument("--without-items", action="store_true",
                   help="only the organisation and seals, no urgent items")
    p.set_defaults(run=cmd_demo)

    p = sub.add_parser("user", parents=[common], help="add, disable, enable, reset password, list")
    usub = p.add_subparsers(dest="user_cmd", required=True, metavar="ACTION")
    a = usub.add_parser("add", parents=[common], help="add a person")
    a.add_argument("login")
    a.add_argument("--name", required=True, help="the person's name")
    a.add_argument("--unit", required=True, help="unit code, e.g. DHZ")
    a.add_argument("--role", action="append", required=True,
                   help="role (repeatable): super_admin unit_admin seal_keeper clerk leader duty_desk user")
    a.add_argument("--phone", help="mobile phone, e.g. 13800138000")
    a.add_argument("--allowed-ips", help="admins only: addresses/ranges allowed to log in from")
    a.add_argument("--password-file", help="read the password from this file")
    for name, text in (("disable", "disable an account and end its sessions"),
                       ("enable", "enable a disabled account")):
        d = usub.add_parser(name, parents=[common], help=text)
        d.add_argument("login")
    r = usub.add_parser("reset-password", parents=[common], help="set a new password")
    r.add_argument("login")
    r.add_argument("--password-file", help="read the new password from this file")
    r.add_argument("--generate", action="store_true", help="make a random password and print it")
    ls = usub.add_parser("list", parents=[common], help="list people")
    ls.add_argument("--unit", help="only this unit (code)")
    p.set_defaults(run=cmd_user)

    p = sub.add_parser("token", parents=[common], help="bearer tokens for bots and tools")
    tsub = p.add_subparsers(dest="token_cmd", required=True, metavar="ACTION")
    t = tsub.add_parser("create", parents=[common], help="make a token acting as a user (shown once)")
    t.add_argument("login")
    t.add_argument("--name", required=True, help="what the token is for, e.g. duty-bot")
    t = tsub.add_parser("revoke", parents=[common], help="revoke a token")
    t.add_argument("id", type=int)
    tsub.add_parser("list", parents=[common], help="list tokens (never their values)")
    p.set_defaults(run=cmd_token)

    p = sub.add_parser("backup", parents=[common], help="write a consistent copy of the live database")
    p.add_argument("dest", help="file to write")
    p.set_defaults(run=cmd_backup)

    p = sub.add_parser("audit", parents=[common], help="audit log tools")
    asub = p.add_subparsers(dest="audit_cmd", required=True, metavar="ACTION")
    asub.add_parser("verify", parents=[common], help="walk the hash chain; report the first broken row")
    p.set_defaults(run=cmd_audit)

    p = sub.add_parser("search", parents=[common], help="full-text search (公文检索)")
    ssub = p.add_subparsers(dest="search_cmd", required=True, metavar="ACTION")
    ssub.add_parser("reindex", parents=[common], help="rebuild the whole search index (progress shown)")
    p.set_defaults(run=cmd_search)

    add_seal_commands(sub, common)
    add_store_commands(sub, common)
    return parser


def run(parser: argparse.ArgumentParser, argv: list[str] | None = None) -> int:
    args = parser.parse_args(argv)
    try:
        config = load(getattr(args, "config", None))
    except ConfigError as e:
        print(f"xietong: {e}", file=sys.stderr)
        return 2
    logging.basicConfig(level=config.log.level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("twilio").setLevel(logging.WARNING)   # it logs every request's headers at INFO
    command: Any = args.run
    try:
        return int(asyncio.run(command(args, config)))
    except XietongError as e:
        print(f"xietong: {e.message('en')} / {e.message('zh')}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def main(argv: list[str] | None = None) -> int:
    return run(build_parser(), argv)
