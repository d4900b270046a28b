"""The phone book (通讯录): every unit with its duty phone, its document clerks and its leaders with
their phones. Read-only; everyone may see it (`Action.VIEW_UNITS`).

It is searched by a unit's or a person's name, or by the pinyin of either, whole or by initials
(`dhz` and `donghu` find 东湖镇; pypinyin, the kept Chinese-to-pinyin library, with its phrase
dictionary for the readings of 重, 长 and the like)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from pypinyin import Style, lazy_pinyin

from hub.domain.identity import Actor, Role, Unit, User
from hub.domain.permissions import Action, require
from hub.store import Store


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str
    role: Role          # clerk (公文收发员) or leader (领导)


@dataclass(frozen=True)
class UnitContacts:
    unit: Unit
    people: list[Contact]      # clerks first, then leaders


def _contact(u: User, role: Role) -> Contact:
    return Contact(u.name, u.phone, role)


async def phone_book(store: Store, actor: Actor) -> list[UnitContacts]:
    """Units in the tree's order, the actor's own unit first."""
    require(actor, Action.VIEW_UNITS)
    async with store.read() as tx:
        units = await tx.units.all()
        clerks = await tx.users.with_role(Role.CLERK)
        leaders = await tx.users.with_role(Role.LEADER)
    people: dict[int, list[Contact]] = {u.id: [] for u in units}
    for role, found in ((Role.CLERK, clerks), (Role.LEADER, leaders)):
        for u in found:
            people.setdefault(u.unit_id, []).append(_contact(u, role))
    ordered = sorted(units, key=lambda u: u.id != actor.unit_id)     # stable: the tree order otherwise
    return [UnitContacts(u, people.get(u.id, [])) for u in ordered]


@functools.lru_cache(maxsize=8192)
def spellings(name: str) -> tuple[str, ...]:
    """What finds a name: the name itself, its pinyin run together, and its pinyin initials."""
    syllables = lazy_pinyin(name, errors="ignore")
    return (name.casefold(), "".join(syllables).casefold(),
            "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")).casefold())


def _finds(q: str, name: str) -> bool:
    return any(q in s for s in spellings(name))


def search_book(book: list[UnitContacts], q: str) -> list[UnitContacts]:
    """The units whose name matches (with all their people), and of the others the people who match."""
    q = "".join(q.split()).casefold()[:40]
    if not q:
        return book
    found = []
    for e in book:
        if _finds(q, e.unit.name) or _finds(q, e.unit.code):
            found.append(e)
        elif people := [p for p in e.people if _finds(q, p.name)]:
            found.append(UnitContacts(e.unit, people))
    return found
