"""The registers (登记簿) of a unit: its 收文登记簿 and 发文登记簿 of a year, a page at a time or whole.

Only the unit's own clerks and leaders read them (VIEW_INCOMING, own unit): a register is always
the reader's own unit's, so nobody can ask for another unit's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hub.clock import Clock
from hub.domain.calendar import CST
from hub.domain.identity import Actor
from hub.domain.permissions import Action, require
from hub.domain.registers import PAGE_SIZE, Book, RegisterQuery, page_count
from hub.store import Store
from hub.store.incoming import Incoming
from hub.store.registers import OutgoingEntry


@dataclass(frozen=True)
class Register:
    """A register as asked for: its rows (one page, or all for an export), how many match in all,
    and what the page's selectors offer (years, the units the register names)."""
    query: RegisterQuery
    unit_name: str
    total: int
    incoming: list[Incoming] = field(default_factory=list)
    outgoing: list[OutgoingEntry] = field(default_factory=list)
    unit_names: dict[int, str] = field(default_factory=dict)   # the units the rows and the filter name
    unit_choices: list[int] = field(default_factory=list)       # handler (incoming) / recipient (outgoing)
    years: list[int] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return page_count(self.total)

    @property
    def row_count(self) -> int:
        return len(self.incoming) + len(self.outgoing)


class RegisterService:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store, self.clock = store, clock

    def today_year(self) -> int:
        return self.clock.now().astimezone(CST).year

    async def register(self, actor: Actor, query: RegisterQuery, whole: bool = False) -> Register:
        """The actor's unit's register: one page of it, or (`whole`, the exports and the print) every
        row that matches the filters."""
        require(actor, Action.VIEW_INCOMING, actor.unit_id)
        unit_id = actor.unit_id
        limit, offset = (-1, 0) if whole else (PAGE_SIZE, query.offset)
        incoming: list[Incoming] = []
        outgoing: list[OutgoingEntry] = []
        async with self.store.read() as tx:
            if query.book is Book.INCOMING:
                incoming, total = await tx.incoming.register_page(
                    unit_id, query.year, urgency=query.urgency, state=query.state, from_unit=query.sender,
                    handler_unit_id=query.unit_id, date_from=query.date_from, date_to=query.date_to,
                    words=query.words, order=query.sort, descending=query.desc, limit=limit, offset=offset)
                choices = [] if whole else await tx.registers.incoming_lead_units(unit_id, query.year)
                named = {i.lead_unit_id for i in incoming if i.lead_unit_id is not None}
            else:
                outgoing, total = await tx.registers.outgoing_page(
                    unit_id, query.year, urgency=query.urgency, state=query.state, to_unit_id=query.unit_id,
                    words=query.words, date_from=query.date_from, date_to=query.date_to, order=query.sort,
                    descending=query.desc, limit=limit, offset=offset)
                choices = [] if whole else await tx.registers.outgoing_recipient_units(unit_id, query.year)
                named = {u for e in outgoing for u in (*e.main_units, *e.copy_units)}
            years = [] if whole else await tx.registers.years(unit_id)
            if query.unit_id is not None:
                named.add(query.unit_id)
            names = await tx.registers.unit_names(named | set(choices) | {unit_id})
        return Register(
            query=query, unit_name=names.get(unit_id, ""), total=total, incoming=incoming, outgoing=outgoing,
            unit_names={u: n for u, n in names.items() if u != unit_id or u in named or u in choices},
            unit_choices=sorted((u for u in choices if u in names), key=lambda u: names[u]),
            years=sorted(set(years) | {self.today_year(), query.year}, reverse=True))
