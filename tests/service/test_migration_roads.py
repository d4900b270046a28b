"""Migration 0013 rebuilds `timers` and `outbox` in place (a timer may be a road step's, an SMS may
come from a road move): an install with urgent items under way keeps every scheduled step and every
queued or sent SMS, with the same ids, and the new rules hold."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from hub.clock import parse_utc
from hub.store import SqliteStore
from hub.store.db import _split_sql, migrations

BEFORE = 12    # the schema version before the roads


def _at_version(path: Path, version: int) -> sqlite3.Connection:
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA foreign_keys = ON")
    for number, _, sql in migrations()[:version]:
        for statement in _split_sql(sql):
            con.execute(statement)
        con.execute(f"PRAGMA user_version = {number}")
    return con


def _seed_under_way(con: sqlite3.Connection) -> None:
    now = "2026-12-03T02:00:00+00:00"
    con.execute("INSERT INTO units (id, code, name, kind, created_at) VALUES (1, 'BGS', '办公室', 'office', ?)", (now,))
    con.execute("INSERT INTO users (id, login, name, unit_id, password_hash, password_set_at, created_at)"
                " VALUES (1, 'clerk', '王伟', 1, 'x', ?, ?)", (now, now))
    con.execute("INSERT INTO items (id, kind, urgency, title, body, sender_unit_id, sender_user_id, issued_at, due_at,"
                " working_time, ladder, short_code) VALUES (1, 'document', 'urgent', '通知', '', 1, 1, ?, ?, 0, '[]',"
                " '1234')", (now, now))
    con.execute("INSERT INTO deliveries (id, item_id, unit_id, role, state, sent_at, due_at)"
                " VALUES (7, 1, 1, 'main', 'pending', ?, ?)", (now, now))
    con.execute("INSERT INTO events (id, at, type, item_id, delivery_id, sender_unit_id, unit_id, data)"
                " VALUES (5, ?, 'item.issued', 1, 7, 1, 1, '{}')", (now,))
    con.execute("INSERT INTO timers (id, due_at, kind, delivery_id, step) VALUES (3, ?, 'step', 7, 0)", (now,))
    con.execute("INSERT INTO outbox (id, created_at, channel, event_id, delivery_id, user_id, phone, body, state)"
                " VALUES (9, ?, 'sms', 5, 7, 1, '+8613800000001', '请签收', 'sent')", (now,))
    con.execute("INSERT INTO outbox (id, created_at, channel, event_id, delivery_id, user_id, phone, body, state,"
                " not_before) VALUES (10, ?, 'sms', 5, 7, NULL, '+8613800000002', '请签收', 'queued', ?)", (now, now))


async def test_scheduled_steps_and_sms_survive_the_rebuild_with_their_ids(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    con = _at_version(path, BEFORE)
    _seed_under_way(con)
    con.close()
    store = await SqliteStore.open(path)
    try:
        assert store.schema_version == len(migrations())
        async with store.read() as tx:
            timers = await tx.timers.due(parse_utc("2026-12-03T03:00:00+00:00"), 10)
            assert [(t.id, t.kind, t.delivery_id, t.step, t.road_step_id) for t in timers] == [(3, "step", 7, 0, None)]
            async with tx.conn.execute("SELECT id, event_id, state, not_before, history_id FROM outbox ORDER BY id") as cur:
                rows = [tuple(r) for r in await cur.fetchall()]
        assert rows == [(9, 5, "sent", None, None), (10, 5, "queued", "2026-12-03T02:00:00+00:00", None)]
    finally:
        await store.close()
    con = sqlite3.connect(path)
    indexes = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"timers_due", "outbox_queued", "outbox_delivery", "outbox_history"} <= indexes
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []


async def test_a_timer_is_for_a_delivery_or_a_road_step_never_both_nor_neither(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    con = _at_version(path, len(migrations()))
    _seed_under_way(con)
    now = "2026-12-03T02:00:00+00:00"
    con.execute("INSERT INTO road_steps (id, road, record_id, kind, unit_id, role, opened_at)"
                " VALUES (1, 'incoming', 1, 'handle', 1, 'clerk', ?)", (now,))
    con.execute("INSERT INTO timers (due_at, kind, road_step_id, step) VALUES (?, 'road_remind', 1, 0)", (now,))
    with pytest.raises(sqlite3.IntegrityError):
        con.execute("INSERT INTO timers (due_at, kind, delivery_id, road_step_id, step)"
                    " VALUES (?, 'road_remind', 7, 1, 1)", (now,))
    with pytest.raises(sqlite3.IntegrityError):
        con.execute("INSERT INTO timers (due_at, kind, step) VALUES (?, 'road_remind', 2)", (now,))
    # an SMS comes from an item's event or a road move's history row
    con.execute("INSERT INTO road_history (id, road, record_id, at, move) VALUES (1, 'incoming', 1, ?, 'chase')", (now,))
    con.execute("INSERT INTO outbox (created_at, channel, history_id, user_id, phone, body)"
                " VALUES (?, 'sms', 1, 1, '+8613800000001', '催办')", (now,))
    with pytest.raises(sqlite3.IntegrityError):    # the same person twice for one move
        con.execute("INSERT INTO outbox (created_at, channel, history_id, user_id, phone, body)"
                    " VALUES (?, 'sms', 1, 1, '+8613800000001', '催办')", (now,))
    with pytest.raises(sqlite3.IntegrityError):
        con.execute("INSERT INTO outbox (created_at, channel, user_id, phone, body)"
                    " VALUES (?, 'sms', 1, '+8613800000001', '无来源')", (now,))
