"""The phone book (通讯录): every unit with its duty phone, its document clerks and its leaders with
their phones. Read-only; everyone may see it (`Action.VIEW_UNITS`)."""

from __future__ import annotations

from dataclasses import dataclass

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
