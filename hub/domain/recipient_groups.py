"""Recipient groups (常用收件单位组) on the issue form: the built-in "all townships" / "all
departments" from the unit tree's kinds, and the groups each sender saved for themselves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from hub.domain.identity import Unit, UnitKind
from hub.errors import XietongError

MAX_GROUPS = 30            # saved groups per person
MAX_NAME = 40

# built-in groups: key -> the unit kind it selects
BUILTIN_KINDS = {"townships": UnitKind.TOWNSHIP, "departments": UnitKind.DEPARTMENT}


@dataclass(frozen=True)
class RecipientGroup:
    id: int
    owner_id: int
    name: str
    unit_ids: tuple[int, ...]
    created_at: datetime


@dataclass(frozen=True)
class GroupChoice:
    """A group as the issue form offers it: its key ("townships", "departments", or "saved-<id>"),
    name (empty for a built-in one: the page names it), and the units it selects."""
    key: str
    name: str
    unit_ids: tuple[int, ...]
    saved_id: int | None = None


def builtin_groups(units: Sequence[Unit], sender_unit_id: int) -> list[GroupChoice]:
    """Every township / every department, except the sender itself; a kind with no unit is left out."""
    out = []
    for key, kind in BUILTIN_KINDS.items():
        ids = tuple(u.id for u in units if u.kind is kind and u.id != sender_unit_id)
        if ids:
            out.append(GroupChoice(key, "", ids))
    return out


def saved_choice(group: RecipientGroup, units: Sequence[Unit], sender_unit_id: int) -> GroupChoice:
    """A saved group with the units that still exist (a unit removed later simply drops out)."""
    known = {u.id for u in units} - {sender_unit_id}
    return GroupChoice(f"saved-{group.id}", group.name, tuple(u for u in group.unit_ids if u in known), group.id)


def check_new_group(name: str, unit_ids: Sequence[int], taken_names: Sequence[str]) -> tuple[str, tuple[int, ...]]:
    """The name (trimmed) and units (once each, in order) of a group to save; refuses a blank or
    long name, no units, a name already used by this person, or one group too many."""
    name = " ".join(name.split())
    if not 1 <= len(name) <= MAX_NAME:
        raise XietongError("group.bad_name")
    ids = tuple(dict.fromkeys(unit_ids))
    if not ids:
        raise XietongError("group.no_units")
    if name in taken_names:
        raise XietongError("group.exists")
    if len(taken_names) >= MAX_GROUPS:
        raise XietongError("group.too_many", max=MAX_GROUPS)
    return name, ids


def apply_pick(selected: Sequence[int], pick: str, choices: Sequence[GroupChoice],
               all_ids: Sequence[int]) -> tuple[tuple[int, ...], GroupChoice | None]:
    """The main recipients after a quick-select button: "all", "none", or a group's key (its units
    are added to those already ticked). Unknown keys change nothing."""
    if pick == "all":
        return tuple(all_ids), None
    if pick == "none":
        return (), None
    choice = next((c for c in choices if c.key == pick), None)
    if choice is None:
        return tuple(selected), None
    return tuple(dict.fromkeys([*selected, *choice.unit_ids])), choice
