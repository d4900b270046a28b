"""Reports upward (信息报送), the use-cases so far: send a report to an upper unit with its receipt
number given in the same transaction (and an audit row). Still to come: the 请示's ANSWER step,
the 批复, adoption, events and the figures (see the brief)."""

from __future__ import annotations

from hub.clock import Clock
from hub.domain.calendar import CST
from hub.domain.identity import Actor, UnitKind
from hub.domain.permissions import Action, require
from hub.domain.reports import Report, clean_title, first_state, parse_kind
from hub.errors import XietongError
from hub.services import audit
from hub.store import Store, Tx


async def upper_units(tx: Tx, unit_id: int) -> list[int]:
    """The ancestors of a unit, nearest first."""
    out: list[int] = []
    unit = await tx.units.get(unit_id)
    while unit is not None and unit.parent_id is not None and unit.parent_id not in out:
        out.append(unit.parent_id)
        unit = await tx.units.get(unit.parent_id)
    return out


async def default_target(tx: Tx, unit_id: int) -> int:
    """The nearest ancestor of kind OFFICE (the demo's townships: BGS)."""
    for up in await upper_units(tx, unit_id):
        unit = await tx.units.get(up)
        if unit is not None and unit.kind is UnitKind.OFFICE:
            return up
    raise XietongError("report.no_upper_unit")


class ReportService:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def send(self, actor: Actor, kind: str, title: str, body: str = "",
                   to_unit_id: int | None = None) -> Report:
        k, t = parse_kind(kind), clean_title(title)
        require(actor, Action.SEND_REPORT, actor.unit_id)
        now = self.clock.now()
        async with self.store.write() as tx:
            target = to_unit_id if to_unit_id is not None else await default_target(tx, actor.unit_id)
            if target not in await upper_units(tx, actor.unit_id):
                raise XietongError("report.not_upper_unit")
            report = await tx.reports.add(actor.unit_id, target, k, t, body.strip(), actor.user_id, now,
                                          now.astimezone(CST).date(), first_state(k), None)
            await audit.record(tx, now, actor, "report.send", f"report:{report.id}",
                               receipt_no=report.receipt_no, kind=k.value, to_unit_id=target)
        return report

    async def adopt(self, actor: Actor, report_id: int, note: str) -> Report:
        """The receiving office adopts (采用) a report, saying where (e.g. 《示范区政务信息》第12期)."""
        now = self.clock.now()
        async with self.store.write() as tx:
            report = await tx.reports.get(report_id)
            if report is None:
                raise XietongError("report.not_found")
            require(actor, Action.RECEIVE_REPORTS, report.to_unit_id)
            if not await tx.reports.adopt(report_id, actor.user_id, " ".join(note.split()), now):
                raise XietongError("report.already_adopted")
            await audit.record(tx, now, actor, "report.adopt", f"report:{report_id}", note=note)
            got = await tx.reports.get(report_id)
            assert got is not None
        return got
