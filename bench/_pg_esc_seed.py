"""bench/escalation.py on PostgreSQL: seeding and arming (the measured run is bench/_pg_esc_run.py).

The same layout as the SQLite seed (bench/escalation.py's docstring, phase 1): the real migrations
create the schema (`Hub.start` on the fresh database's URL), `load_demo` the demo organisation,
then the bulk rows go in with asyncpg's COPY (`copy_records_to_table`, rows streamed from
generators), with `session_replication_role = replica` on that one connection so the foreign-key
triggers are not fired per row (every id written is made here, consistently, as a restore does),
then `identities_past_largest` moves the id identities past the copied ids and VACUUM ANALYZE
gives the planner the tables' real sizes. Arming (phase 2) is the SQLite arm's, in set-based SQL.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import asyncpg
from escalation import BULK_MARGIN, calendar_and_rules, log, make_ladder

ISSUED_DATA = '{"role": "main"}'


def pg_config(url: str):  # type: ignore[no-untyped-def]
    """Default config on the database URL, cheap Argon2 (as bench/escalation.py's bench_config)."""
    from hub.config import Config
    return Config().with_overrides(
        store={"url": url},
        passwords={"argon2_time_cost": 1, "argon2_memory_kib": 1024, "argon2_parallelism": 1})


async def schema_and_demo(url: str) -> None:
    from escalation import demo_into
    await demo_into(pg_config(url))


async def copy(conn: asyncpg.Connection, table: str, columns: list[str], rows: Iterator[tuple]) -> int:
    status = await conn.copy_records_to_table(table, records=rows, columns=columns)
    return int(status.split()[-1])


async def seed(url: str, pending: int, due: int, units_n: int, fanout: int, history: bool) -> dict:
    from hub.clock import utc_iso
    from hub.domain.items import ItemKind, Urgency
    from hub.store.pg_schema import identities_past_largest

    if due > pending:
        raise SystemExit("--due must not exceed --pending")
    if fanout > units_n:
        raise SystemExit("--due-fanout must not exceed --units")
    t0 = time.monotonic()
    await schema_and_demo(url)
    log(f"schema (real migrations) + demo organisation: {time.monotonic() - t0:.1f}s")

    config = pg_config(url)
    cal, rules = calendar_and_rules(config)
    now = datetime.now(UTC)
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("SET synchronous_commit = off; SET session_replication_role = replica")
        bgs = await conn.fetchval("SELECT id FROM units WHERE code = 'BGS'")
        sender_user, pw_hash = await conn.fetchrow(
            "SELECT id, password_hash FROM users WHERE login = 'bgs.clerk1'")

        async def next_id(table: str) -> int:
            return int(await conn.fetchval(f"SELECT coalesce(max(id), 0) + 1 FROM {table}"))

        # townships, each with two clerks and a leader, with phones (as the SQLite seed)
        created = utc_iso(now)
        first_unit, first_user = await next_id("units"), await next_id("users")
        n_users = int(await conn.fetchval("SELECT count(*) FROM users"))
        unit_ids = [first_unit + u for u in range(units_n)]
        unit_rows, user_rows, role_rows = [], [], []
        clerk1: dict[int, int] = {}
        user_id = first_user - 1
        for u, uid in enumerate(unit_ids):
            unit_rows.append((uid, f"B{u:05d}", f"压测{u}镇人民政府", "township", bgs, f"0571-8{u:07d}", created))
            for j, role in enumerate(("clerk", "clerk", "leader")):
                n_users += 1
                user_id += 1
                login = f"b{u:05d}.{role}{j + 1 if role == 'clerk' else ''}"
                user_rows.append((user_id, login, f"压测{u}-{j}", uid, pw_hash, f"+86139{n_users:08d}", created,
                                  created))
                role_rows.append((user_id, role))
                if j == 0:
                    clerk1[uid] = user_id
        await copy(conn, "units", ["id", "code", "name", "kind", "parent_id", "duty_phone", "created_at"],
                   iter(unit_rows))
        await copy(conn, "users", ["id", "login", "name", "unit_id", "password_hash", "phone", "created_at",
                                   "password_set_at"], iter(user_rows))
        await copy(conn, "user_roles", ["user_id", "role"], iter(role_rows))
        log(f"{units_n} units, {3 * units_n} users")

        # bulk items: ordinary documents issued 1-2 hours ago, to every unit
        n_bulk = pending - due
        bulk_items_n = math.ceil(n_bulk / units_n) if n_bulk else 0
        first_item, first_delivery = await next_id("items"), await next_id("deliveries")
        first_event = await next_id("events")
        bulk = []      # (item id, issued, window due, step k, its due, past steps, deliveries taken)
        min_bulk_due: datetime | None = None
        left = n_bulk
        for i in range(bulk_items_n):
            issued = now - timedelta(minutes=120) + timedelta(seconds=3600 * i / max(1, bulk_items_n))
            window, dues, ladder = make_ladder(config, cal, rules, ItemKind.DOCUMENT, Urgency.ORDINARY, issued)
            k = next((s for s, d in enumerate(dues) if d > now + BULK_MARGIN), None)
            if k is None or any(d > now for d in dues[:k]):
                raise SystemExit("ordinary ladder: no step far enough ahead with the earlier ones past;"
                                 " check [windows]/[escalation] or try again later")
            min_bulk_due = dues[k] if min_bulk_due is None else min(min_bulk_due, dues[k])
            take = min(units_n, left)
            left -= take
            bulk.append((first_item + i, issued, window.due_at, k, dues[k], [(s, utc_iso(dues[s])) for s in range(k)],
                         take, json.dumps(ladder), i))

        placeholder = now + timedelta(days=365)
        d_window, _, d_ladder = make_ladder(config, cal, rules, ItemKind.EMERGENCY_ORDER, Urgency.EXTRA_URGENT,
                                            placeholder)
        due_items_n = math.ceil(due / fanout) if due else 0
        due_first_item = first_item + bulk_items_n
        due_first_delivery = first_delivery + n_bulk
        ph, ph_due = utc_iso(placeholder), utc_iso(d_window.due_at)

        def item_rows() -> Iterator[tuple]:
            for iid, issued, wdue, _k, _kd, _past, _take, ladder, i in bulk:
                yield (iid, "document", "ordinary", f"关于做好第{i}项工作的通知", "请各单位认真贯彻落实。" * 20,
                       f"示政办〔2026〕{i}号", "通知", "示范区人民政府办公室", issued.date().isoformat(), bgs,
                       sender_user, utc_iso(issued), utc_iso(wdue), 1, ladder, f"{1000 + i % 9000}")
            for j in range(due_items_n):
                yield (due_first_item + j, "emergency_order", "extra_urgent", f"紧急指令第{j}号",
                       "请立即组织力量处置并反馈。", "", "", "", "", bgs, sender_user, ph, ph_due, 0,
                       json.dumps(d_ladder), f"{1000 + j % 9000}")

        def due_units() -> Iterator[tuple[int, int, int]]:    # (item id, delivery id, unit id) of due deliveries
            did, left_ = due_first_delivery, due
            for j in range(due_items_n):
                for m in range(min(fanout, left_)):
                    yield due_first_item + j, did, unit_ids[(j * fanout + m) % units_n]
                    did += 1
                left_ -= min(fanout, left_)

        def bulk_units() -> Iterator[tuple[tuple, int, int]]:   # (bulk item, delivery id, unit id)
            did = first_delivery
            for b in bulk:
                for uid in unit_ids[:b[6]]:
                    yield b, did, uid
                    did += 1

        def delivery_rows() -> Iterator[tuple]:
            for b, did, uid in bulk_units():
                yield (did, b[0], uid, "main", "pending", utc_iso(b[1]), utc_iso(b[2]), clerk1[uid], b[3])
            for iid, did, uid in due_units():
                yield (did, iid, uid, "main", "pending", ph, ph_due, clerk1[uid], 0)

        def timer_rows() -> Iterator[tuple]:
            for b, did, _uid in bulk_units():
                yield (utc_iso(b[4]), "step", did, b[3])

        def step_rows() -> Iterator[tuple]:
            for b, did, _uid in bulk_units():
                for s, at in b[5]:
                    yield (did, "step", s, at, 1)

        def event_rows() -> Iterator[tuple]:
            eid = first_event
            for b, did, uid in bulk_units():
                yield (eid, utc_iso(b[1]), "item.issued", b[0], did, bgs, uid, sender_user, ISSUED_DATA)
                eid += 1
            for iid, did, uid in due_units():
                yield (eid, ph, "item.issued", iid, did, bgs, uid, sender_user, ISSUED_DATA)
                eid += 1

        t1 = time.monotonic()
        counts = {
            "items": await copy(conn, "items", [
                "id", "kind", "urgency", "title", "body", "doc_number", "doc_kind", "issuing_office", "doc_date",
                "sender_unit_id", "sender_user_id", "issued_at", "due_at", "working_time", "ladder", "short_code"],
                item_rows()),
            "deliveries": await copy(conn, "deliveries", [
                "id", "item_id", "unit_id", "role", "state", "sent_at", "due_at", "assignee_id", "level"],
                delivery_rows()),
            "timers": await copy(conn, "timers", ["due_at", "kind", "delivery_id", "step"], timer_rows()),
            "steps_run": await copy(conn, "steps_run", ["delivery_id", "kind", "step", "ran_at", "applied"],
                                    step_rows()),
        }
        if history:
            counts["events"] = await copy(conn, "events", [
                "id", "at", "type", "item_id", "delivery_id", "sender_unit_id", "unit_id", "actor_id", "data"],
                event_rows())
        log(f"COPY {json.dumps(counts)} in {time.monotonic() - t1:.1f}s")
        await conn.execute("SET session_replication_role = DEFAULT")
        await identities_past_largest(conn)
        t1 = time.monotonic()
        for table in ("units", "users", "user_roles", "items", "deliveries", "timers", "steps_run", "events"):
            await conn.execute(f"VACUUM ANALYZE {table}")
        log(f"identities past the copied ids; VACUUM ANALYZE {time.monotonic() - t1:.1f}s")
        db_bytes = int(await conn.fetchval("SELECT pg_database_size(current_database())"))
    finally:
        await conn.close()
    seconds = time.monotonic() - t0
    log(f"seeded {counts['deliveries']:,} deliveries in {seconds:.1f}s ({db_bytes / 1e6:.0f} MB)")
    return {"pending": pending, "due": due, "units": units_n, "fanout": fanout, "history": history,
            "seeded_at": now.isoformat(), "seed_s": round(seconds, 1),
            "min_bulk_due": min_bulk_due.isoformat() if min_bulk_due else None,
            "due_first_item": due_first_item, "due_first_delivery": due_first_delivery, "db_bytes": db_bytes}


async def arm(url: str, meta: dict, lead: float, spread: float) -> tuple[dict[int, float], float]:
    """The due items reissued so step 0 comes due uniformly over [now+lead, now+lead+spread)
    (what bench/escalation.py's arm does on SQLite). Returns ({delivery id: due epoch s}, seconds)."""
    from hub.clock import utc_iso
    from hub.domain.items import ItemKind, Urgency

    t0 = time.monotonic()
    config = pg_config(url)
    cal, rules = calendar_and_rules(config)
    first = meta["due_first_delivery"]
    base = datetime.now(UTC) + timedelta(seconds=lead)
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            # undo whatever a previous run did to the due deliveries
            await conn.execute("DELETE FROM outbox WHERE delivery_id >= $1", first)
            await conn.execute("DELETE FROM events WHERE delivery_id >= $1 AND type <> 'item.issued'", first)
            await conn.execute("DELETE FROM steps_run WHERE delivery_id >= $1", first)
            await conn.execute("DELETE FROM timers WHERE delivery_id >= $1", first)
            rows = await conn.fetch("SELECT item_id, id FROM deliveries WHERE id >= $1 ORDER BY id", first)
            by_item: dict[int, list[int]] = {}
            for r in rows:
                by_item.setdefault(r["item_id"], []).append(r["id"])
            assert len(rows) == meta["due"], "the database does not hold the due deliveries"
            due_at: dict[int, float] = {}
            it: list[list] = [[], [], [], []]        # id, issued_at, due_at, ladder
            dl: list[list] = [[], [], []]            # id, sent_at, due_at
            tm: list[list] = [[], []]                # delivery id, due_at
            for j, iid in enumerate(sorted(by_item)):
                step0 = base + timedelta(seconds=spread * j / len(by_item))
                issued = step0 - timedelta(minutes=5)
                window, dues, ladder = make_ladder(config, cal, rules, ItemKind.EMERGENCY_ORDER,
                                                   Urgency.EXTRA_URGENT, issued)
                assert abs((dues[0] - step0).total_seconds()) < 1e-3, (dues[0], step0)
                for col, v in zip(it, (iid, utc_iso(issued), utc_iso(window.due_at), json.dumps(ladder))):
                    col.append(v)
                for did in by_item[iid]:
                    for col, v in zip(dl, (did, utc_iso(issued), utc_iso(window.due_at))):
                        col.append(v)
                    tm[0].append(did)
                    tm[1].append(utc_iso(dues[0]))
                    due_at[did] = dues[0].timestamp()
            await conn.execute(
                "UPDATE items i SET issued_at = u.issued, due_at = u.due, ladder = u.ladder, withdrawn_at = NULL"
                " FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS u(id, issued, due, ladder)"
                " WHERE i.id = u.id", *it)
            await conn.execute(
                "UPDATE deliveries d SET state = 'pending', sent_at = u.sent, due_at = u.due, level = 0,"
                " read_at = NULL, read_by = NULL, escalated_at = NULL"
                " FROM unnest($1::bigint[], $2::text[], $3::text[]) AS u(id, sent, due) WHERE d.id = u.id", *dl)
            await conn.execute(
                "UPDATE events e SET at = u.sent FROM unnest($1::bigint[], $2::text[]) AS u(id, sent)"
                " WHERE e.delivery_id = u.id AND e.type = 'item.issued'", dl[0], dl[1])
            await conn.execute(
                "INSERT INTO timers (due_at, kind, delivery_id, step)"
                " SELECT u.due, 'step', u.id, 0 FROM unnest($1::bigint[], $2::text[]) AS u(id, due)", *tm)
        await conn.execute("ANALYZE timers")
    finally:
        await conn.close()
    assert meta["due_first_item"] <= min(by_item)
    return due_at, time.monotonic() - t0
