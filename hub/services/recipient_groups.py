"""Recipient groups on the issue form: the built-in ones and each sender's own saved groups."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hub.clock import Clock
from hub.domain.identity import Actor, Unit
from hub.domain.permissions import Action, require
from hub.domain.recipient_groups import (
    GroupChoice,
    RecipientGroup,
    builtin_groups,
    check_new_group,
    saved_choice,
)
from hub.errors import XietongError
from hub.services import audit
from hub.store import Store


@dataclass(frozen=True)
class GroupChoices:
    """What the issue form offers: the units one may send to, the built-in groups, one's own."""
    units: list[Unit]
    builtin: list[GroupChoice]
    saved: list[GroupChoice]

    @property
    def all(self) -> list[GroupChoice]:
        return [*self.builtin, *self.saved]


class RecipientGroupService:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store, self.clock = store, clock

    async def choices(self, actor: Actor) -> GroupChoices:
        require(actor, Action.ISSUE_ITEM, actor.unit_id)
        async with self.store.read() as tx:
            units = [u for u in await tx.units.all() if u.id != actor.unit_id]
            saved = await tx.recipient_groups.of_owner(actor.user_id)
        return GroupChoices(units, builtin_groups(units, actor.unit_id),
                            [saved_choice(g, units, actor.unit_id) for g in saved])

    async def save(self, actor: Actor, name: str, unit_ids: Sequence[int]) -> RecipientGroup:
        """存为单位组: the units chosen now, under a name of one's own."""
        require(actor, Action.ISSUE_ITEM, actor.unit_id)
        now = self.clock.now()
        async with self.store.write() as tx:
            taken = [g.name for g in await tx.recipient_groups.of_owner(actor.user_id)]
            name, ids = check_new_group(name, unit_ids, taken)
            if await tx.units.missing(list(ids)) or actor.unit_id in ids:
                raise XietongError("item.bad_recipient")
            group_id = await tx.recipient_groups.add(actor.user_id, name, ids, now)
            await audit.record(tx, now, actor, "recipient_group.save", f"recipient_group:{group_id}",
                               name=name, units=list(ids))
            group = await tx.recipient_groups.get(group_id)
        assert group is not None
        return group

    async def delete(self, actor: Actor, group_id: int) -> RecipientGroup:
        """Only one's own group; anyone else's does not exist for them."""
        require(actor, Action.ISSUE_ITEM, actor.unit_id)
        now = self.clock.now()
        async with self.store.write() as tx:
            group = await tx.recipient_groups.get(group_id)
            if group is None or group.owner_id != actor.user_id:
                raise XietongError("group.not_found")
            await tx.recipient_groups.delete(group_id)
            await audit.record(tx, now, actor, "recipient_group.delete", f"recipient_group:{group_id}",
                               name=group.name)
        return group
