"""The circular (通报): generated for a period from the one source of statistics, reviewed by the
office, published as an ordinary document to every unit through the normal road.

Life: generate (figures frozen as JSON; state draft) → review (title and intro edited, figures may be
generated again) → publish (one transaction issues the document with the table as an .xlsx
attachment; state published). The previous month's draft is made by itself, once per office and
month, the first time the office opens its circulars in a month (`ensure_monthly`).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import xlsxwriter  # type: ignore[import-untyped]

from hub.clock import Clock
from hub.config import Config
from hub.domain.calendar import CST
from hub.domain.circular import (
    TABLE_COLUMNS,
    CircularRule,
    circular_text,
    default_title,
    freeze,
    reason_text,
    table_rows,
)
from hub.domain.identity import Actor, Role, SystemActor, Unit, UnitKind
from hub.domain.items import Attachment, Item, ItemDraft, ItemKind, Urgency
from hub.domain.permissions import Action, can, require
from hub.errors import XietongError
from hub.services import audit
from hub.services.items import ItemService
from hub.services.stats import day_span, last_month, month_span, period_figures
from hub.store import Store, Tx
from hub.store.circulars import CircularRow

MAX_DAYS = 366
INTRO_LIMIT = 2000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Who = Actor | SystemActor


@dataclass(frozen=True)
class Period:
    since: datetime       # [since, until), instants
    until: datetime
    first: date           # the Beijing days it covers, both included
    last: date
    month: bool           # a whole calendar month


def period_of(since: datetime, until: datetime) -> Period:
    first = since.astimezone(CST).date()
    last = (until - timedelta(microseconds=1)).astimezone(CST).date()
    whole = first.day == 1 and (since, until) == month_span(first.year, first.month)
    return Period(since, until, first, last, whole)


def parse_period(month: str = "", first: str = "", last: str = "") -> Period:
    """A month `2026-11`, or Beijing days `first`..`last` (both included), as a Period."""
    bad = XietongError("circular.bad_period", days=MAX_DAYS)
    try:
        if month.strip():
            y, m = (int(p) for p in month.strip().split("-"))
            if not (2000 <= y <= 2100 and 1 <= m <= 12):
                raise bad
            return period_of(*month_span(y, m))
        a, b = date.fromisoformat(first.strip()), date.fromisoformat(last.strip())
    except ValueError:
        raise bad from None
    if b < a or (b - a).days >= MAX_DAYS:
        raise bad
    return period_of(*day_span(a, b))


@dataclass(frozen=True)
class NamedUnit:
    name: str
    kind: str              # slow | idle
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Circular:
    row: CircularRow
    period: Period
    frozen: dict[str, Any]
    text: str              # the body as published (or as it would be)
    named: tuple[NamedUnit, ...]

    @property
    def rows(self) -> list[list[str | int | float]]:
        return table_rows(self.frozen)


def circular_xlsx(title: str, frozen: dict[str, Any]) -> bytes:
    """The table as a workbook: a title line, the header row, one row per unit (A4 landscape)."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False, "strings_to_numbers": False})
    ws = book.add_worksheet("通报统计表")
    bold = book.add_format({"bold": True, "border": 1, "bg_color": "#F2F2F2", "text_wrap": True})
    cell = book.add_format({"border": 1, "text_wrap": True})
    ws.write_string(0, 0, title, book.add_format({"bold": True, "font_size": 14}))
    for col, name in enumerate(TABLE_COLUMNS):
        ws.write_string(2, col, name, bold)
        ws.set_column(col, col, 24 if col == 0 else 12)
    for r, values in enumerate(table_rows(frozen), start=3):
        for col, value in enumerate(values):
            if isinstance(value, int | float):
                ws.write_number(r, col, value, cell)
            else:
                ws.write_string(r, col, str(value), cell)
    ws.repeat_rows(2)
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    book.close()
    return out.getvalue()


class CircularService:
    def __init__(self, store: Store, clock: Clock, config: Config, items: ItemService) -> None:
        self.store, self.clock, self.config, self.items = store, clock, config, items

    @property
    def rule(self) -> CircularRule:
        c = self.config.circular
        return CircularRule(c.slow_median_minutes, c.slow_overdue_percent, c.min_received,
                            c.idle_active_percent, c.idle_logins)

    # -- who keeps circulars ---------------------------------------------------------------

    async def _office(self, tx: Tx, who: Who) -> Unit:
        """The office whose circulars `who` keeps: their own unit if it is the office (kind OFFICE);
        for the super admin and the system, the top office."""
        if isinstance(who, Actor):
            require(who, Action.MANAGE_CIRCULAR, who.unit_id)
            own = await tx.units.get(who.unit_id)
            if own is not None and own.kind is UnitKind.OFFICE:
                return own
            if not who.has(Role.SUPER_ADMIN):
                raise XietongError("circular.office_only")
        offices = [u for u in await tx.units.all() if u.kind is UnitKind.OFFICE]
        if not offices:
            raise XietongError("circular.no_office")
        return min(offices, key=lambda u: (u.parent_id is not None, u.id))

    async def _row(self, tx: Tx, actor: Actor, circular_id: int) -> CircularRow:
        row = await tx.circulars.get(circular_id)
        if row is None:
            raise XietongError("circular.not_found")
        require(actor, Action.MANAGE_CIRCULAR, row.unit_id)
        return row

    # -- figures and reading -----------------------------------------------------------------

    async def _freeze(self, tx: Tx, office_id: int, period: Period) -> str:
        """The figures of every unit that receives the circular (units with clerks but the office; each
        has people, so `period_figures` lists it)."""
        receiving = await tx.usage.clerk_units() - {office_id}
        figures = [f for f in await period_figures(tx, period.since, period.until, self.clock.now())
                   if f.unit_id in receiving]
        names = {u.id: u.name for u in await tx.units.all()}
        return json.dumps(freeze(figures, names, self.rule), ensure_ascii=False, sort_keys=True)

    async def _view(self, tx: Tx, row: CircularRow) -> Circular:
        frozen = json.loads(row.figures)
        period = period_of(row.period_from, row.period_until)
        office = await tx.units.get(row.unit_id)
        names = {u["unit_id"]: u["name"] for u in frozen["units"]}
        named = tuple(NamedUnit(names.get(n["unit_id"], str(n["unit_id"])), n["kind"],
                                tuple(reason_text(r) for r in n["reasons"])) for n in frozen["named"])
        text = circular_text(frozen, row.intro, office.name if office else "", period.first, period.last)
        return Circular(row, period, frozen, text, named)

    async def list(self, who: Who) -> list[Circular]:
        """The office's circulars, the latest period first (the previous month's drafted first if due)."""
        async with self.store.read() as tx:
            office = await self._office(tx, who)
        if self.config.circular.monthly:
            await self.ensure_monthly(office.id)
        async with self.store.read() as tx:
            return [await self._view(tx, r) for r in await tx.circulars.of_unit(office.id)]

    async def get(self, actor: Actor, circular_id: int) -> Circular:
        async with self.store.read() as tx:
            return await self._view(tx, await self._row(tx, actor, circular_id))

    # -- generate, review, publish -----------------------------------------------------------

    async def generate(self, who: Who, period: Period, by_hand: bool = True) -> Circular:
        """A new draft for the period, its figures frozen now. `by_hand=False`: the month's own draft
        (one per office and period: an existing one is answered instead)."""
        now = self.clock.now()
        async with self.store.write() as tx:
            office = await self._office(tx, who)
            if not by_hand and (found := await tx.circulars.monthly(office.id, period.since, period.until)):
                return await self._view(tx, found)
            title = default_title(period.first, period.last, period.month)
            by = who.user_id if by_hand and isinstance(who, Actor) else None
            circular_id = await tx.circulars.add(office.id, period.since, period.until, title, "",
                                                 await self._freeze(tx, office.id, period), now, by)
            assert circular_id is not None
            await audit.record(tx, now, who, "circular.generate", f"circular:{circular_id}",
                               since=period.first.isoformat(), last=period.last.isoformat(), monthly=not by_hand)
            row = await tx.circulars.get(circular_id)
            assert row is not None
            return await self._view(tx, row)

    async def ensure_monthly(self, office_id: int | None = None) -> Circular:
        """The previous calendar month's draft (Beijing time), made once: idempotent."""
        period = period_of(*last_month(self.clock.now()))
        if office_id is not None:
            async with self.store.read() as tx:
                found = await tx.circulars.monthly(office_id, period.since, period.until)
                if found is not None:
                    return await self._view(tx, found)
        return await self.generate(SystemActor(login="circular.monthly"), period, by_hand=False)

    async def edit(self, actor: Actor, circular_id: int, title: str, intro: str) -> Circular:
        title, intro = title.strip(), intro.strip()
        now = self.clock.now()
        async with self.store.write() as tx:
            row = await self._row(tx, actor, circular_id)     # who may, before what they sent
            if not 1 <= len(title) <= 200:
                raise XietongError("circular.bad_title")
            if len(intro) > INTRO_LIMIT:
                raise XietongError("circular.intro_too_long", limit=INTRO_LIMIT)
            if not await tx.circulars.edit(row.id, title, intro):
                raise XietongError("circular.published")
            await audit.record(tx, now, actor, "circular.edit", f"circular:{row.id}", title=title)
            fresh = await tx.circulars.get(row.id)
            assert fresh is not None
            return await self._view(tx, fresh)

    async def regenerate(self, actor: Actor, circular_id: int) -> Circular:
        """The draft's figures computed again from the store as it is now."""
        now = self.clock.now()
        async with self.store.write() as tx:
            row = await self._row(tx, actor, circular_id)
            figures = await self._freeze(tx, row.unit_id, period_of(row.period_from, row.period_until))
            if not await tx.circulars.refigure(row.id, figures):
                raise XietongError("circular.published")
            await audit.record(tx, now, actor, "circular.regenerate", f"circular:{row.id}")
            fresh = await tx.circulars.get(row.id)
            assert fresh is not None
            return await self._view(tx, fresh)

    async def publish(self, actor: Actor, circular_id: int) -> tuple[Circular, Item]:
        """One transaction: the document (文种 通报) to every unit with clerks but the office, the
        table attached as .xlsx, the circular marked published with its item. Once only."""
        now = self.clock.now()
        async with self.store.write() as tx:
            row = await self._row(tx, actor, circular_id)
            if row.state != "draft":
                raise XietongError("circular.published")
            if not can(actor, Action.ISSUE_ITEM, row.unit_id):
                raise XietongError("circular.publish_by_clerk")
            recipients = sorted(await tx.usage.clerk_units() - {row.unit_id})
            if not recipients:
                raise XietongError("circular.no_recipients")
            view = await self._view(tx, row)
            office = await tx.units.get(row.unit_id)
            item = await self.items.issue_in(tx, actor, ItemDraft(
                kind=ItemKind.DOCUMENT, urgency=Urgency.ORDINARY, title=row.title, body=view.text,
                main_units=tuple(recipients), doc_kind="通报", issuing_office=office.name if office else "",
                doc_date=now.astimezone(CST).date().isoformat(),
                attachments=(Attachment("通报统计表.xlsx", circular_xlsx(row.title, view.frozen), XLSX_TYPE),)))
            if not await tx.circulars.mark_published(row.id, now, actor.user_id, item.id):
                raise XietongError("circular.published")
            await audit.record(tx, now, actor, "circular.publish", f"circular:{row.id}", item_id=item.id,
                               units=len(recipients))
            fresh = await tx.circulars.get(row.id)
            assert fresh is not None
            done = await self._view(tx, fresh)
        self.items.issued(item)
        return done, item

