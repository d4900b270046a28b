"""The phone book (通讯录): every unit with its duty phone, the entries its administrator keeps (name,
job, office phone, mobile), and its document clerks and leaders with their phones. Everyone may see
it (`Action.VIEW_UNITS`); a unit admin keeps their unit's entries and duty phone (KEEP_PHONEBOOK),
each change in the audit log with what it was.

It is searched by a unit's or a person's name, a job, or the pinyin of a name, whole or by initials
(`dhz` and `donghu` find 东湖镇; pypinyin, the kept Chinese-to-pinyin library, with its phrase
dictionary for the readings of 重, 长 and the like)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from hub.clock import Clock
from hub.domain.identity import Actor, Role, Unit, User
from hub.domain.permissions import Action, can, require
from hub.domain.phonebook import MAX_ENTRIES, Entry, check_entry, check_phone
from hub.errors import XietongError
from hub.services import audit
from hub.store import Store, Tx


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str
    role: Role          # clerk (公文收发员) or leader (领导)


@dataclass(frozen=True)
class UnitContacts:
    unit: Unit
    people: list[Contact]      # clerks first, then leaders (those not also among the entries)
    entries: list[Entry]       # kept by the unit admin, in their order


def _contact(u: User, role: Role) -> Contact:
    return Contact(u.name, u.phone, role)


async def phone_book(store: Store, actor: Actor) -> list[UnitContacts]:
    """Units in the tree's order, the actor's own unit first."""
    require(actor, Action.VIEW_UNITS)
    async with store.read() as tx:
        units = await tx.units.all()
        clerks = await tx.users.with_role(Role.CLERK)
        leaders = await tx.users.with_role(Role.LEADER)
        entries = await tx.phonebook.all()
    kept: dict[int, list[Entry]] = {}
    for e in entries:
        kept.setdefault(e.unit_id, []).append(e)
    people: dict[int, list[Contact]] = {u.id: [] for u in units}
    for role, found in ((Role.CLERK, clerks), (Role.LEADER, leaders)):
        for u in found:
            if u.name not in {e.name for e in kept.get(u.unit_id, [])}:     # the entry says more
                people.setdefault(u.unit_id, []).append(_contact(u, role))
    ordered = sorted(units, key=lambda u: u.id != actor.unit_id)     # stable: the tree order otherwise
    return [UnitContacts(u, people.get(u.id, []), kept.get(u.id, [])) for u in ordered]


@functools.lru_cache(maxsize=8192)
def spellings(name: str) -> tuple[str, ...]:
    """What finds a name: the name itself, its pinyin run together, and its pinyin initials."""
    from pypinyin import (  # its phrase dictionary takes 0.35 s to load: when first searched
        Style,
        lazy_pinyin,
    )
    syllables = lazy_pinyin(name, errors="ignore")
    return (name.casefold(), "".join(syllables).casefold(),
            "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")).casefold())


def _finds(q: str, name: str) -> bool:
    return any(q in s for s in spellings(name))


def search_book(book: list[UnitContacts], q: str) -> list[UnitContacts]:
    """The units whose name matches (with all their people), and of the others the people and entries
    whose name or job matches."""
    q = "".join(q.split()).casefold()[:40]
    if not q:
        return book
    found = []
    for e in book:
        if _finds(q, e.unit.name) or _finds(q, e.unit.code):
            found.append(e)
            continue
        people = [p for p in e.people if _finds(q, p.name)]
        entries = [x for x in e.entries if _finds(q, x.name) or (x.job and _finds(q, x.job))]
        if people or entries:
            found.append(UnitContacts(e.unit, people, entries))
    return found


class PhonebookService:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store, self.clock = store, clock

    def may_keep(self, actor: Actor, unit_id: int) -> bool:
        return can(actor, Action.KEEP_PHONEBOOK, unit_id)

    async def add(self, actor: Actor, unit_id: int, name: str, job: str, office: str, mobile: str,
                  position: int = 100) -> Entry:
        require(actor, Action.KEEP_PHONEBOOK, unit_id)
        fields = check_entry(name, job, office, mobile, position)
        now = self.clock.now()
        async with self.store.write() as tx:
            if await tx.units.get(unit_id) is None:
                raise XietongError("unit.not_found")
            if len(await tx.phonebook.of_unit(unit_id)) >= MAX_ENTRIES:
                raise XietongError("phonebook.too_many", max=MAX_ENTRIES)
            entry_id = await tx.phonebook.add(unit_id, *fields, now, actor.user_id)
            await audit.record(tx, now, actor, "phonebook.add", f"phonebook:{entry_id}", unit=unit_id,
                               entry=dict(zip(("name", "job", "office_phone", "mobile", "position"), fields,
                                              strict=True)))
            entry = await tx.phonebook.get(entry_id)
        assert entry is not None
        return entry

    async def update(self, actor: Actor, entry_id: int, name: str, job: str, office: str, mobile: str,
                     position: int = 100, unit_id: int | None = None) -> Entry:
        fields = check_entry(name, job, office, mobile, position)
        now = self.clock.now()
        async with self.store.write() as tx:
            old = await self._kept(tx, actor, entry_id, unit_id)
            await tx.phonebook.update(entry_id, *fields, now, actor.user_id)
            was = {"name": old.name, "job": old.job, "office_phone": old.office_phone, "mobile": old.mobile,
                   "position": old.position}
            now_is = dict(zip(was, fields, strict=True))
            await audit.record(tx, now, actor, "phonebook.update", f"phonebook:{entry_id}", unit=old.unit_id,
                               changed={k: [was[k], v] for k, v in now_is.items() if was[k] != v})
            entry = await tx.phonebook.get(entry_id)
        assert entry is not None
        return entry

    async def delete(self, actor: Actor, entry_id: int, unit_id: int | None = None) -> Entry:
        now = self.clock.now()
        async with self.store.write() as tx:
            old = await self._kept(tx, actor, entry_id, unit_id)
            await tx.phonebook.delete(entry_id)
            await audit.record(tx, now, actor, "phonebook.delete", f"phonebook:{entry_id}", unit=old.unit_id,
                               name=old.name, job=old.job, office_phone=old.office_phone, mobile=old.mobile)
        return old

    async def set_duty_phone(self, actor: Actor, unit_id: int, phone: str) -> str:
        """The unit's 值班电话 (empty: none)."""
        require(actor, Action.KEEP_PHONEBOOK, unit_id)
        phone = check_phone(phone, "duty_phone")
        now = self.clock.now()
        async with self.store.write() as tx:
            unit = await tx.units.get(unit_id)
            if unit is None:
                raise XietongError("unit.not_found")
            await tx.phonebook.set_duty_phone(unit_id, phone)
            await audit.record(tx, now, actor, "phonebook.duty_phone", f"unit:{unit_id}", phone=phone,
                               was=unit.duty_phone)
        return phone

    async def _kept(self, tx: Tx, actor: Actor, entry_id: int, unit_id: int | None) -> Entry:
        """The entry one may keep (of `unit_id`, when the caller names the unit it came from)."""
        entry = await tx.phonebook.get(entry_id)
        if entry is None or (unit_id is not None and entry.unit_id != unit_id) or not can(actor, Action.VIEW_UNITS):
            raise XietongError("phonebook.not_found")
        require(actor, Action.KEEP_PHONEBOOK, entry.unit_id)
        return entry
