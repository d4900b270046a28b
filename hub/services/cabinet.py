"""文件柜: drawers, folders and the documents filed in them; uploads; the recycle bin.

Every use-case checks the cabinet's rule (hub/domain/cabinet.may_open / may_keep): a drawer, folder
or place of a cabinet the actor may not open does not exist for them (404), so a private cabinet is
invisible to everyone but its owner, administrators included. Every change is in the audit log; so
is every pass of a process over private cabinets (the purge), as the system.

An uploaded file is searchable (hub/services/search.py) while it is filed somewhere out of the bin:
its search entry follows its places (`_sync_files`), and goes when the file is purged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from hub.clock import Clock
from hub.config import Config
from hub.domain.cabinet import (
    CabinetFile,
    Node,
    Owner,
    Place,
    Source,
    check_name,
    check_new_node,
    check_title,
    may_keep,
    may_open,
    owner_for,
    purge_before,
)
from hub.domain.identity import Actor, SystemActor
from hub.domain.items import check_attachment_name, find_classification_mark
from hub.domain.permissions import Action, can
from hub.errors import XietongError
from hub.services import audit
from hub.services.incoming import visible_record
from hub.services.search import sync_file_in
from hub.services.search_text import attachment_text
from hub.store import Store, Tx


@dataclass(frozen=True)
class Drawer:
    node: Node
    folders: list[tuple[Node, int]]      # each folder and how many documents it holds


@dataclass(frozen=True)
class CabinetView:
    owner: Owner
    drawers: list[Drawer]
    may_keep: bool


@dataclass(frozen=True)
class FolderView:
    folder: Node
    drawer: Node
    places: list[Place]
    may_keep: bool


@dataclass(frozen=True)
class Filed:
    """One place of a document, as the item page lists "filed in": the folder, its drawer."""
    place: Place
    folder: Node
    drawer_name: str


@dataclass(frozen=True)
class BinView:
    owner: Owner
    nodes: list[Node]
    places: list[tuple[Place, Node]]
    may_keep: bool


class CabinetService:
    def __init__(self, store: Store, clock: Clock, config: Config) -> None:
        self.store, self.clock = store, clock
        self.limit = config.items.attachment_limit_kib * 1024

    # --- looking -------------------------------------------------------------------------------

    async def cabinet(self, actor: Actor, key: str) -> CabinetView:
        """One's unit's cabinet ("unit") or one's own ("mine"): drawers, folders and their counts."""
        owner = owner_for(actor, key)
        if not may_open(actor, owner):
            raise XietongError("perm.denied")
        async with self.store.read() as tx:
            nodes = await tx.cabinet.nodes(owner)
            counts = await tx.cabinet.counts(owner)
        drawers = [Drawer(d, [(f, counts.get(f.id, 0)) for f in nodes if f.parent_id == d.id])
                   for d in nodes if d.is_drawer]
        return CabinetView(owner, drawers, may_keep(actor, owner))

    async def folder(self, actor: Actor, folder_id: int) -> FolderView:
        async with self.store.read() as tx:
            folder, drawer = await _folder(tx, actor, folder_id)
            places = await tx.cabinet.places(folder_id)
        return FolderView(folder, drawer, places, may_keep(actor, folder.owner))

    async def folders_to_file(self, actor: Actor) -> list[tuple[Owner, Node, Node]]:
        """Every live folder the actor may file into, with its drawer: their unit's cabinet, then their own."""
        out = []
        async with self.store.read() as tx:
            for key in ("unit", "mine"):
                owner = owner_for(actor, key)
                if not may_keep(actor, owner):
                    continue
                nodes = await tx.cabinet.nodes(owner)
                drawers = {n.id: n for n in nodes if n.is_drawer}
                out += [(owner, drawers[n.parent_id], n) for n in nodes if n.parent_id in drawers]
        return out

    async def filed_in(self, actor: Actor, source: Source, source_id: int) -> list[Filed]:
        """Where a document is filed, in the cabinets the actor may open."""
        async with self.store.read() as tx:
            out = []
            for place, folder in await tx.cabinet.live_places_of(source, source_id):
                if may_open(actor, folder.owner):
                    drawer = await tx.cabinet.node(folder.parent_id or 0)
                    out.append(Filed(place, folder, drawer.name if drawer else ""))
        return out

    async def file_info(self, actor: Actor, file_id: int) -> tuple[CabinetFile, list[Filed], bool]:
        """An uploaded file (not its content), where it is filed, and whether the actor may retitle it."""
        async with self.store.read() as tx:
            f = await tx.cabinet.file(file_id)
        if f is None or not may_open(actor, f.owner):
            raise XietongError("cabinet.not_found")
        return f, await self.filed_in(actor, Source.FILE, file_id), may_keep(actor, f.owner)

    async def download(self, actor: Actor, file_id: int) -> tuple[CabinetFile, bytes]:
        async with self.store.read() as tx:
            f = await tx.cabinet.file(file_id)
            if f is None or not may_open(actor, f.owner):
                raise XietongError("cabinet.not_found")
            return f, await tx.cabinet.content(file_id)

    # --- drawers and folders -------------------------------------------------------------------

    async def new_node(self, actor: Actor, key: str, parent_id: int | None, name: str) -> Node:
        """A new drawer in one's unit's or own cabinet (parent None), or a new folder in a drawer."""
        now = self.clock.now()
        async with self.store.write() as tx:
            parent = await _node(tx, actor, parent_id, keep=True) if parent_id is not None else None
            owner = parent.owner if parent else owner_for(actor, key)
            if not may_keep(actor, owner):
                raise XietongError("perm.denied")
            siblings = await tx.cabinet.children(owner, parent_id)
            check_new_node(parent, len(siblings))
            name = check_name(name, [s.name for s in siblings])
            node_id = await tx.cabinet.add_node(owner, parent_id, name, now, actor.user_id)
            await audit.record(tx, now, actor, "cabinet.new_drawer" if parent is None else "cabinet.new_folder",
                               f"cabinet_node:{node_id}", name=name, cabinet=owner.target)
            node = await tx.cabinet.node(node_id)
        assert node is not None
        return node

    async def rename(self, actor: Actor, node_id: int, name: str) -> Node:
        now = self.clock.now()
        async with self.store.write() as tx:
            node = await _node(tx, actor, node_id, keep=True)
            siblings = [s.name for s in await tx.cabinet.children(node.owner, node.parent_id) if s.id != node_id]
            name = check_name(name, siblings)
            await tx.cabinet.rename(node_id, name)
            await audit.record(tx, now, actor, "cabinet.rename", f"cabinet_node:{node_id}", name=name, was=node.name)
        return Node(node.id, node.owner, node.parent_id, name, node.created_at)

    async def move_folder(self, actor: Actor, folder_id: int, drawer_id: int) -> Node:
        """A folder into another drawer of the same cabinet."""
        now = self.clock.now()
        async with self.store.write() as tx:
            folder = await _node(tx, actor, folder_id, keep=True)
            drawer = await _node(tx, actor, drawer_id, keep=True)
            if folder.is_drawer or not drawer.is_drawer:
                raise XietongError("cabinet.folder_in_folder")
            if drawer.owner != folder.owner:
                raise XietongError("cabinet.other_cabinet")
            siblings = await tx.cabinet.children(drawer.owner, drawer.id)
            check_new_node(drawer, len(siblings))
            check_name(folder.name, [s.name for s in siblings if s.id != folder_id])
            await tx.cabinet.move_node(folder_id, drawer_id)
            await audit.record(tx, now, actor, "cabinet.move", f"cabinet_node:{folder_id}", to=f"cabinet_node:{drawer_id}")
        return Node(folder.id, folder.owner, drawer_id, folder.name, folder.created_at)

    async def delete_node(self, actor: Actor, node_id: int) -> Node:
        """A drawer or folder into the recycle bin, with everything in it."""
        now = self.clock.now()
        async with self.store.write() as tx:
            node = await _node(tx, actor, node_id, keep=True)
            await tx.cabinet.bin_node(node_id, now, actor.user_id)
            await _sync_files(tx, await tx.cabinet.files_under(node_id))
            await audit.record(tx, now, actor, "cabinet.delete", f"cabinet_node:{node_id}", name=node.name)
        return node

    # --- documents in folders ------------------------------------------------------------------

    async def file(self, actor: Actor, folder_id: int, source: Source, source_id: int) -> Place:
        """File a document (an item, a registered incoming document, an uploaded file) in a folder: one
        more place of the same document (归档 / 复制到)."""
        now = self.clock.now()
        async with self.store.write() as tx:
            folder, _ = await _folder(tx, actor, folder_id, keep=True)
            title = await _title(tx, actor, folder.owner, source, source_id)
            old = await tx.cabinet.place_in(folder_id, source, source_id)
            if old is not None and old.deleted_at is None:
                raise XietongError("cabinet.already_filed")
            if old is not None:                 # it was in the bin: filed again, where it was
                await tx.cabinet.drop_place(old.id)
            place_id = await tx.cabinet.add_place(folder_id, source, source_id, title, now, actor.user_id)
            if source is Source.FILE:
                await _sync_files(tx, [source_id])
            await audit.record(tx, now, actor, "cabinet.file", f"cabinet_node:{folder_id}",
                               document=f"{source.value}:{source_id}")
            place = await tx.cabinet.place(place_id)
        assert place is not None
        return place

    async def move_place(self, actor: Actor, place_id: int, folder_id: int) -> Place:
        now = self.clock.now()
        async with self.store.write() as tx:
            place, folder = await _place(tx, actor, place_id, keep=True)
            target, _ = await _folder(tx, actor, folder_id, keep=True)
            if place.source is Source.FILE and target.owner != folder.owner:
                raise XietongError("cabinet.other_cabinet")
            if target.id != folder.id and await tx.cabinet.place_in(target.id, place.source, place.source_id):
                raise XietongError("cabinet.already_filed")
            await tx.cabinet.move_place(place_id, target.id)
            await audit.record(tx, now, actor, "cabinet.move", f"cabinet_place:{place_id}",
                               to=f"cabinet_node:{target.id}", document=f"{place.source.value}:{place.source_id}")
        return Place(place.id, target.id, place.source, place.source_id, place.title, place.filed_at, place.filed_by)

    async def copy_place(self, actor: Actor, place_id: int, folder_id: int) -> Place:
        """The same document filed in another folder as well (not a second copy of it)."""
        async with self.store.read() as tx:
            place, _ = await _place(tx, actor, place_id)
        return await self.file(actor, folder_id, place.source, place.source_id)   # a file: its own cabinet only

    async def remove_place(self, actor: Actor, place_id: int) -> Place:
        """Take a document out of a folder, into the recycle bin (the document itself stays)."""
        now = self.clock.now()
        async with self.store.write() as tx:
            place, _ = await _place(tx, actor, place_id, keep=True)
            await tx.cabinet.bin_place(place_id, now, actor.user_id)
            if place.source is Source.FILE:
                await _sync_files(tx, [place.source_id])
            await audit.record(tx, now, actor, "cabinet.delete", f"cabinet_place:{place_id}",
                               document=f"{place.source.value}:{place.source_id}")
        return place

    async def upload(self, actor: Actor, folder_id: int, name: str, content: bytes, content_type: str,
                     title: str = "") -> tuple[CabinetFile, Place]:
        """A file into a folder: kept whatever it is (within the size limit), its text extracted for search
        where it can be ("text not extracted" otherwise), searchable once this returns."""
        if not content:
            raise XietongError("cabinet.empty_file")
        if len(content) > self.limit:
            raise XietongError("cabinet.file_too_large", limit_mb=round(self.limit / 2**20, 1),
                               size_mb=round(len(content) / 2**20, 1))
        check_attachment_name(name)
        title = check_title(title or name.rsplit(".", 1)[0] or name)
        mark = find_classification_mark(title, name)
        if mark:                      # nothing classified on this network (as for items)
            raise XietongError("item.classified", mark=mark)
        async with self.store.read() as tx:
            await _folder(tx, actor, folder_id, keep=True)       # refused before the text is extracted
        text = await asyncio.to_thread(attachment_text, name, content)
        now = self.clock.now()
        async with self.store.write() as tx:
            folder, _ = await _folder(tx, actor, folder_id, keep=True)
            file_id = await tx.cabinet.add_file(folder.owner, name, title, content_type, content, text, now,
                                                actor.user_id)
            place_id = await tx.cabinet.add_place(folder_id, Source.FILE, file_id, title, now, actor.user_id)
            await _sync_files(tx, [file_id])
            await audit.record(tx, now, actor, "cabinet.upload", f"cabinet_file:{file_id}", name=name,
                               size=len(content), folder=f"cabinet_node:{folder_id}", text=text is not None)
            f, place = await tx.cabinet.file(file_id), await tx.cabinet.place(place_id)
        assert f is not None and place is not None
        return f, place

    async def retitle(self, actor: Actor, file_id: int, title: str) -> CabinetFile:
        now = self.clock.now()
        title = check_title(title)
        async with self.store.write() as tx:
            f = await tx.cabinet.file(file_id)
            if f is None or not may_open(actor, f.owner):
                raise XietongError("cabinet.not_found")
            if not may_keep(actor, f.owner):
                raise XietongError("perm.denied")
            await tx.cabinet.retitle(file_id, title)
            await _sync_files(tx, [file_id])
            await audit.record(tx, now, actor, "cabinet.retitle", f"cabinet_file:{file_id}", title=title, was=f.title)
            f = await tx.cabinet.file(file_id)
        assert f is not None
        return f

    # --- the recycle bin -----------------------------------------------------------------------

    async def bin(self, actor: Actor, key: str) -> BinView:
        """What was deleted from a cabinet in the last 30 days (what is older is purged first)."""
        owner = owner_for(actor, key)
        if not may_open(actor, owner):
            raise XietongError("perm.denied")
        await self.purge()
        async with self.store.read() as tx:
            nodes, places = await tx.cabinet.binned(owner)
        return BinView(owner, nodes, places, may_keep(actor, owner))

    async def restore(self, actor: Actor, kind: str, target_id: int) -> Node | Place:
        """Take a drawer, folder ("node") or place ("place") out of the bin, back where it was."""
        now = self.clock.now()
        async with self.store.write() as tx:
            if kind == "node":
                node = await tx.cabinet.node(target_id)
                if node is None or node.deleted_at is None or not may_open(actor, node.owner):
                    raise XietongError("cabinet.not_found")
                if not may_keep(actor, node.owner):
                    raise XietongError("perm.denied")
                _unexpired(node.deleted_at, now)
                if node.parent_id is not None:
                    await _live(tx, node.parent_id)
                check_name(node.name, [s.name for s in await tx.cabinet.children(node.owner, node.parent_id)])
                await tx.cabinet.bin_node(target_id, None, None)
                await _sync_files(tx, await tx.cabinet.files_under(target_id))
                restored: Node | Place = node
            else:
                place = await tx.cabinet.place(target_id)
                folder = await tx.cabinet.node(place.folder_id) if place else None
                if place is None or folder is None or place.deleted_at is None or not may_open(actor, folder.owner):
                    raise XietongError("cabinet.not_found")
                if not may_keep(actor, folder.owner):
                    raise XietongError("perm.denied")
                _unexpired(place.deleted_at, now)
                await _live(tx, folder.id)
                await tx.cabinet.bin_place(target_id, None, None)
                if place.source is Source.FILE:
                    await _sync_files(tx, [place.source_id])
                restored = place
            await audit.record(tx, now, actor, "cabinet.restore", f"cabinet_{kind}:{target_id}")
        return restored

    async def purge(self) -> int:
        """Delete for good what has been in any bin for 30 days; a pass over people's private cabinets
        too, so it is in the audit log, naming each cabinet touched."""
        now = self.clock.now()
        async with self.store.read() as tx:
            due = await tx.cabinet.purge_due(purge_before(now))
        if not due:
            return 0
        async with self.store.write() as tx:
            gone, files, owners = await tx.cabinet.purge(purge_before(now))
            for file_id in files:
                await tx.search.remove(Source.FILE.value, file_id)
            await audit.record(tx, now, SystemActor(), "cabinet.purge", "cabinet",
                               removed=gone, files=len(files), cabinets=sorted(o.target for o in owners))
        return gone


# --- the checks every use-case makes ----------------------------------------------------------

async def _node(tx: Tx, actor: Actor, node_id: int | None, keep: bool = False) -> Node:
    """A live drawer or folder of a cabinet the actor may open (else not found), and keep if asked."""
    node = await tx.cabinet.node(node_id) if node_id is not None else None
    if node is None or node.deleted_at is not None or not may_open(actor, node.owner):
        raise XietongError("cabinet.not_found")
    if node.parent_id is not None:
        parent = await tx.cabinet.node(node.parent_id)
        if parent is None or parent.deleted_at is not None:
            raise XietongError("cabinet.not_found")
    if keep and not may_keep(actor, node.owner):
        raise XietongError("perm.denied")
    return node


async def _folder(tx: Tx, actor: Actor, folder_id: int, keep: bool = False) -> tuple[Node, Node]:
    folder = await _node(tx, actor, folder_id, keep)
    if folder.is_drawer:
        raise XietongError("cabinet.not_found")
    drawer = await tx.cabinet.node(folder.parent_id or 0)
    assert drawer is not None
    return folder, drawer


async def _place(tx: Tx, actor: Actor, place_id: int, keep: bool = False) -> tuple[Place, Node]:
    place = await tx.cabinet.place(place_id)
    if place is None or place.deleted_at is not None:
        raise XietongError("cabinet.not_found")
    folder, _ = await _folder(tx, actor, place.folder_id, keep)
    return place, folder


async def _live(tx: Tx, node_id: int) -> None:
    """What is restored goes back into a drawer or folder out of the bin, or not at all."""
    node = await tx.cabinet.node(node_id)
    parent = await tx.cabinet.node(node.parent_id) if node and node.parent_id else None
    if node is None or node.deleted_at is not None or (parent is not None and parent.deleted_at is not None):
        raise XietongError("cabinet.parent_deleted")


def _unexpired(deleted_at: datetime, now: datetime) -> None:
    if deleted_at < purge_before(now):
        raise XietongError("cabinet.gone")


async def _title(tx: Tx, actor: Actor, owner: Owner, source: Source, source_id: int) -> str:
    """The title of a document the actor may see (else not found), to file it in `owner`'s cabinet."""
    if source is Source.ITEM:
        item = await tx.items.get(source_id)
        units = [item.sender_unit_id, *(d.unit_id for d in await tx.deliveries.for_item(source_id))] if item else []
        if item is None or not can(actor, Action.VIEW_ITEM, units):
            raise XietongError("item.not_found")
        return item.title
    if source is Source.INCOMING:
        record, _ = await visible_record(tx, actor, source_id)
        return record.title
    f = await tx.cabinet.file(source_id)
    if f is None or not may_open(actor, f.owner):
        raise XietongError("cabinet.not_found")
    if f.owner != owner:
        raise XietongError("cabinet.other_cabinet")
    return f.title


async def _sync_files(tx: Tx, file_ids: Sequence[int]) -> None:
    for file_id in file_ids:
        await sync_file_in(tx, file_id)
