"""文件柜: each unit's cabinet and each person's private one, as pure rules (no store, no I/O).

A cabinet holds drawers (抽屉), a drawer holds folders (公文夹), a folder holds places: a place says
"this document is filed here" - a received or sent item, a registered incoming document (收文), or a
file uploaded into the cabinet. The same document in two folders is one document with two places.
Deleting a drawer, a folder or a place puts it in the recycle bin (回收站): it can be restored for
RETENTION, then it is gone (what is inside a deleted drawer or folder goes and comes back with it).

A unit's cabinet follows the unit's permissions (VIEW_CABINET to browse, KEEP_CABINET to change it);
a private cabinet is its owner's alone - not a delegate's, not an administrator's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from hub.domain.identity import Actor
from hub.domain.permissions import Action, can
from hub.errors import XietongError

RETENTION = timedelta(days=30)     # in the recycle bin this long, then purged
MAX_NAME = 40
MAX_TITLE = 200
MAX_DRAWERS = 100                  # per cabinet
MAX_FOLDERS = 300                  # per drawer


class Source(StrEnum):
    """What a place files: an item (received or sent), a registered incoming document, an uploaded file."""
    ITEM = "item"
    INCOMING = "incoming"
    FILE = "file"


@dataclass(frozen=True)
class Owner:
    """Whose cabinet: a unit's (unit_id) or a person's own (user_id), exactly one of them."""
    unit_id: int | None = None
    user_id: int | None = None

    @property
    def private(self) -> bool:
        return self.user_id is not None

    @property
    def key(self) -> str:
        """How pages name it: "unit" (one's unit's) or "mine" (one's own)."""
        return "mine" if self.private else "unit"

    @property
    def target(self) -> str:
        """The audit log's target."""
        return f"cabinet:user:{self.user_id}" if self.private else f"cabinet:unit:{self.unit_id}"


def unit_cabinet(unit_id: int) -> Owner:
    return Owner(unit_id=unit_id)


def private_cabinet(user_id: int) -> Owner:
    return Owner(user_id=user_id)


def owner_for(actor: Actor, key: str) -> Owner:
    """The cabinet a page's ?c= names for this person: "mine", or (anything else) their unit's."""
    return private_cabinet(actor.user_id) if key == "mine" else unit_cabinet(actor.unit_id)


@dataclass(frozen=True)
class Node:
    """A drawer (no parent) or a folder (in a drawer)."""
    id: int
    owner: Owner
    parent_id: int | None
    name: str
    created_at: datetime
    deleted_at: datetime | None = None

    @property
    def is_drawer(self) -> bool:
        return self.parent_id is None


@dataclass(frozen=True)
class Place:
    id: int
    folder_id: int
    source: Source
    source_id: int
    title: str                     # the document's title when filed (a file's when retitled)
    filed_at: datetime
    filed_by: int | None
    deleted_at: datetime | None = None

    @property
    def url(self) -> str:
        return doc_url(self.source, self.source_id)


@dataclass(frozen=True)
class CabinetFile:
    """A file uploaded into a cabinet; `text` is None when no text could be extracted from it."""
    id: int
    owner: Owner
    name: str
    title: str
    content_type: str
    size: int
    text: str | None
    created_at: datetime
    created_by: int | None


def doc_url(source: Source, source_id: int) -> str:
    return {Source.ITEM: f"/items/{source_id}", Source.INCOMING: f"/incoming/{source_id}",
            Source.FILE: f"/cabinet/files/{source_id}"}[source]


def may_open(actor: Actor, owner: Owner) -> bool:
    """A private cabinet: its owner in person only (not a delegate acting for them); a unit's: VIEW_CABINET."""
    if owner.private:
        return actor.by is None and actor.user_id == owner.user_id
    return can(actor, Action.VIEW_CABINET, owner.unit_id)


def may_keep(actor: Actor, owner: Owner) -> bool:
    """May change the cabinet: new, rename, move, file, delete, restore."""
    if owner.private:
        return may_open(actor, owner)
    return can(actor, Action.KEEP_CABINET, owner.unit_id)


def check_name(name: str, siblings: Sequence[str]) -> str:
    """A drawer's or folder's name, trimmed: 1-40 characters, not one its siblings already have."""
    name = " ".join(name.split())
    if not 1 <= len(name) <= MAX_NAME:
        raise XietongError("cabinet.bad_name", max=MAX_NAME)
    if name in siblings:
        raise XietongError("cabinet.name_taken", name=name)
    return name


def check_title(title: str) -> str:
    title = " ".join(title.split())
    if not 1 <= len(title) <= MAX_TITLE:
        raise XietongError("cabinet.bad_title", max=MAX_TITLE)
    return title


def check_new_node(parent: Node | None, siblings: int) -> None:
    """A drawer goes in the cabinet, a folder in a drawer (not in a folder), each up to its limit."""
    if parent is not None and not parent.is_drawer:
        raise XietongError("cabinet.folder_in_folder")
    if parent is None and siblings >= MAX_DRAWERS:
        raise XietongError("cabinet.too_many", max=MAX_DRAWERS)
    if parent is not None and siblings >= MAX_FOLDERS:
        raise XietongError("cabinet.too_many", max=MAX_FOLDERS)


def restorable_until(deleted_at: datetime) -> datetime:
    return deleted_at + RETENTION


def purge_before(now: datetime) -> datetime:
    """What was deleted before this instant is gone for good."""
    return now - RETENTION
