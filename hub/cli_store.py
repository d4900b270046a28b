"""`xietong store copy`: move an install from its SQLite file into PostgreSQL (hub/store/copy.py does the copy)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TextIO

from hub.clock import SystemClock
from hub.config import Config, StoreConfig
from hub.errors import XietongError
from hub.services import audit
from hub.services.search import SearchService
from hub.store.base import sqlite_path
from hub.store.copy import BATCH, CopyReport, CountsDiffer, copy_sqlite_to_postgresql
from hub.store.pg import PgStore

Command = Callable[[argparse.Namespace, Config], Awaitable[int]]

BAR = 30


class ProgressLines:
    """One line per table: on a terminal a bar redrawn in place (at most ~10 times a second), else a
    plain line once the table is done."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.tty = out.isatty()
        self._drawn = 0.0

    def __call__(self, table: str, done: int, total: int) -> None:
        finished = done >= total
        if self.tty:
            now = time.monotonic()
            if not finished and now - self._drawn < 0.1:
                return
            self._drawn = now
            filled = BAR * done // total if total else BAR
            self.out.write(f"\r{table:<26} [{'#' * filled}{'.' * (BAR - filled)}] {done}/{total}")
            if finished:
                self.out.write("\n")
            self.out.flush()
        elif finished:
            print(f"{table:<26} {done}/{total}", file=self.out, flush=True)


def print_counts(report: CopyReport, out: TextIO) -> None:
    """The final table: each table's rows in the source and in the copy, OK or DIFF."""
    print(f"\n{'table / 表':<26} {'source / 源':>12} {'copy / 目标':>12}  check", file=out)
    for t in sorted(report.tables, key=lambda t: t.table):
        print(f"{t.table:<26} {t.source_rows:>12} {t.target_rows:>12}  {'OK' if t.ok else 'DIFF'}", file=out)
    total_source = sum(t.source_rows for t in report.tables)
    print(f"{'total / 合计':<26} {total_source:>12} {report.rows:>12}  {'OK' if report.ok else 'DIFF'}", file=out)


async def cmd_store(args: argparse.Namespace, config: Config) -> int:
    source_url = args.source or config.store.database_url
    source = sqlite_path(source_url)
    if source is None:
        raise XietongError("copy.bad_source_url", url=StoreConfig(url=source_url).place)
    target = args.to
    if not target.startswith(("postgresql://", "postgres://")):
        raise XietongError("copy.bad_target_url", url=target)
    place = StoreConfig(url=target).place
    print(f"copying {source} into {place} / 正在将 {source} 复制到 {place}")
    started = time.monotonic()
    try:
        report = await copy_sqlite_to_postgresql(source, target, replace=args.replace,
                                                 on_progress=ProgressLines(sys.stdout), batch=args.batch)
    except CountsDiffer as differ:
        print_counts(differ.report, sys.stdout)
        raise
    print_counts(report, sys.stdout)
    if report.source_version != report.schema_version:
        print(f"the source's schema {report.source_version} was migrated to {report.schema_version} in the copy "
              f"(the source itself is unchanged) / 源数据库结构版本 {report.source_version} 已在副本中迁移至 "
              f"{report.schema_version}（源数据库未改动）")
    if report.emptied:
        print("the target's earlier rows were removed (--replace) / 目标数据库原有数据已清空（--replace）")
    print(f"copied {report.rows} rows in {time.monotonic() - started:.1f} s / 已复制 {report.rows} 行")
    store = await PgStore.open(target, readers=1, create=False)
    try:
        check = await audit.verify(store)            # what `xietong audit verify` runs, on the copy
        # the search index is kept by each backend its own way: rebuilt on the copy (xietong search reindex)
        bar = ProgressLines(sys.stdout)
        indexed = await SearchService(store, SystemClock()).reindex(lambda n, total: bar("search index", n, total))
    finally:
        await store.close()
    print(f"search index of the copy rebuilt: {indexed} documents / 副本的检索索引已重建：{indexed} 份")
    if not check.ok:
        print(f"audit log of the copy BROKEN at row {check.broken_at}: {check.reason}")
        print(f"副本的审计日志在第 {check.broken_at} 条记录处断裂")
        return 1
    print(f"audit log of the copy intact: {check.rows} rows; head {check.head}")
    print(f"副本的审计日志完整：共 {check.rows} 条")
    print(f"point [store] url at {place} to run the hub on the copy / 将 [store] url 设为 {place} 即可在副本上运行")
    return 0


def _positive(text: str) -> int:
    n = int(text)
    if n < 1:
        raise argparse.ArgumentTypeError(f"a positive number of rows, not {text}")
    return n


def add_store_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser,  # type: ignore[type-arg]
                       run: Command = cmd_store) -> None:
    p = sub.add_parser("store", parents=[common], help="the database itself: move an install to PostgreSQL")
    ssub = p.add_subparsers(dest="store_cmd", required=True, metavar="ACTION")
    c = ssub.add_parser(
        "copy", parents=[common],
        help="copy a SQLite install (it may be running) into an empty PostgreSQL database, then check it",
        description="Reads the SQLite database from one snapshot (SQLite's online backup to a temporary file in "
                    "TMPDIR: room for one copy is needed), migrates the target and fills it in one transaction, "
                    "checks each table's row count and the audit chain of the copy.")
    c.add_argument("--from", dest="source", metavar="URL",
                   help="the SQLite install, sqlite:///path/to/xietong.db (default: the config's store)")
    c.add_argument("--to", required=True, metavar="URL",
                   help="the PostgreSQL database, postgresql://user@host:port/db[?search_path=schema]")
    c.add_argument("--replace", action="store_true",
                   help="empty the target first if it already holds rows (otherwise such a target is refused)")
    c.add_argument("--batch", type=_positive, default=BATCH, help=f"rows per COPY batch (default {BATCH})")
    p.set_defaults(run=run)
