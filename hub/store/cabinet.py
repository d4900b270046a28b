"""SQL of the file cabinet (hub/domain/cabinet.py): drawers and folders, the places that file a
document in a folder, the files uploaded into a cabinet, and the recycle bin."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from hub.clock import parse_utc, utc_iso
from hub.domain.cabinet import CabinetFile, Node, Owner, Place, Source
from hub.store.connection import Connection


def _owner(r: sqlite3.Row) -> Owner:
    return Owner(unit_id=r["unit_id"], user_id=r["owner_id"])


def _when(text: str | None) -> datetime | None:
    return parse_utc(text) if text else None


def _node(r: sqlite3.Row) -> Node:
    return Node(r["id"], _owner(r), r["parent_id"], r["name"], parse_utc(r["created_at"]), _when(r["deleted_at"]))


def _place(r: sqlite3.Row) -> Place:
    return Place(r["id"], r["folder_id"], Source(r["source"]), r["source_id"], r["title"], parse_utc(r["filed_at"]),
                 r["filed_by"], _when(r["deleted_at"]))


_FILE_COLS = "id, unit_id, owner_id, name, title, content_type, size, text, created_at, created_by"


def _file(r: sqlite3.Row) -> CabinetFile:
    return CabinetFile(r["id"], _owner(r), r["name"], r["title"], r["content_type"], r["size"], r["text"],
                       parse_utc(r["created_at"]), r["created_by"])


def _of(owner: Owner) -> tuple[str, int]:
    """The WHERE clause naming a cabinet, and its argument."""
    if owner.private:
        assert owner.user_id is not None
        return "owner_id = ?", owner.user_id
    assert owner.unit_id is not None
    return "unit_id = ?", owner.unit_id


# a place is live when it, its folder and the folder's drawer are all out of the bin
_LIVE = ("p.deleted_at IS NULL AND f.deleted_at IS NULL AND d.deleted_at IS NULL")
_PLACE_JOIN = ("FROM cabinet_places p JOIN cabinet_nodes f ON f.id = p.folder_id"
               " JOIN cabinet_nodes d ON d.id = f.parent_id")


class CabinetQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # drawers and folders

    async def nodes(self, owner: Owner) -> list[Node]:
        """Every drawer and folder of a cabinet out of the bin, by name (a folder in a deleted drawer too)."""
        where, arg = _of(owner)
        async with self.conn.execute(f"SELECT * FROM cabinet_nodes WHERE {where} AND deleted_at IS NULL"
                                     " ORDER BY name, id", (arg,)) as cur:
            return [_node(r) for r in await cur.fetchall()]

    async def node(self, node_id: int) -> Node | None:
        async with self.conn.execute("SELECT * FROM cabinet_nodes WHERE id = ?", (node_id,)) as cur:
            row = await cur.fetchone()
        return _node(row) if row else None

    async def children(self, owner: Owner, parent_id: int | None) -> list[Node]:
        """The live drawers of a cabinet (parent None) or the live folders of a drawer."""
        where, arg = _of(owner)
        parent = "parent_id IS NULL" if parent_id is None else "parent_id = ?"
        args = (arg,) if parent_id is None else (arg, parent_id)
        async with self.conn.execute(f"SELECT * FROM cabinet_nodes WHERE {where} AND {parent}"
                                     " AND deleted_at IS NULL ORDER BY name, id", args) as cur:
            return [_node(r) for r in await cur.fetchall()]

    async def add_node(self, owner: Owner, parent_id: int | None, name: str, at: datetime, by: int | None) -> int:
        cur = await self.conn.execute(
            "INSERT INTO cabinet_nodes (unit_id, owner_id, parent_id, name, created_at, created_by)"
            " VALUES (?, ?, ?, ?, ?, ?)", (owner.unit_id, owner.user_id, parent_id, name, utc_iso(at), by))
        assert cur.lastrowid is not None
        return int(cur.lastrowid)

    async def rename(self, node_id: int, name: str) -> None:
        await self.conn.execute("UPDATE cabinet_nodes SET name = ? WHERE id = ?", (name, node_id))

    async def move_node(self, node_id: int, parent_id: int) -> None:
        await self.conn.execute("UPDATE cabinet_nodes SET parent_id = ? WHERE id = ?", (parent_id, node_id))

    async def bin_node(self, node_id: int, at: datetime | None, by: int | None) -> None:
        """Into the recycle bin (at), or out of it (None)."""
        await self.conn.execute("UPDATE cabinet_nodes SET deleted_at = ?, deleted_by = ? WHERE id = ?",
                                (utc_iso(at) if at else None, by if at else None, node_id))

    async def counts(self, owner: Owner) -> dict[int, int]:
        """How many live places each folder of a cabinet holds."""
        where, arg = _of(owner)
        async with self.conn.execute(
                f"SELECT p.folder_id, count(*) FROM cabinet_places p JOIN cabinet_nodes f ON f.id = p.folder_id"
                f" WHERE f.{where} AND p.deleted_at IS NULL GROUP BY p.folder_id", (arg,)) as cur:
            return {int(r[0]): int(r[1]) for r in await cur.fetchall()}

    # places

    async def places(self, folder_id: int) -> list[Place]:
        async with self.conn.execute("SELECT * FROM cabinet_places WHERE folder_id = ? AND deleted_at IS NULL"
                                     " ORDER BY filed_at DESC, id DESC", (folder_id,)) as cur:
            return [_place(r) for r in await cur.fetchall()]

    async def place(self, place_id: int) -> Place | None:
        async with self.conn.execute("SELECT * FROM cabinet_places WHERE id = ?", (place_id,)) as cur:
            row = await cur.fetchone()
        return _place(row) if row else None

    async def place_in(self, folder_id: int, source: Source, source_id: int) -> Place | None:
        """The place of a document in a folder, in the bin or not."""
        async with self.conn.execute("SELECT * FROM cabinet_places WHERE folder_id = ? AND source = ?"
                                     " AND source_id = ?", (folder_id, source.value, source_id)) as cur:
            row = await cur.fetchone()
        return _place(row) if row else None

    async def add_place(self, folder_id: int, source: Source, source_id: int, title: str, at: datetime,
                        by: int | None) -> int:
        cur = await self.conn.execute(
            "INSERT INTO cabinet_places (folder_id, source, source_id, title, filed_at, filed_by)"
            " VALUES (?, ?, ?, ?, ?, ?)", (folder_id, source.value, source_id, title, utc_iso(at), by))
        assert cur.lastrowid is not None
        return int(cur.lastrowid)

    async def move_place(self, place_id: int, folder_id: int) -> None:
        await self.conn.execute("UPDATE cabinet_places SET folder_id = ? WHERE id = ?", (folder_id, place_id))

    async def bin_place(self, place_id: int, at: datetime | None, by: int | None) -> None:
        await self.conn.execute("UPDATE cabinet_places SET deleted_at = ?, deleted_by = ? WHERE id = ?",
                                (utc_iso(at) if at else None, by if at else None, place_id))

    async def drop_place(self, place_id: int) -> None:
        await self.conn.execute("DELETE FROM cabinet_places WHERE id = ?", (place_id,))

    async def live_places_of(self, source: Source, source_id: int) -> list[tuple[Place, Node]]:
        """Where a document is filed (out of the bin), with each folder."""
        async with self.conn.execute(
                f"SELECT p.*, f.id AS f_id, f.unit_id AS f_unit, f.owner_id AS f_owner, f.parent_id AS f_parent,"
                f" f.name AS f_name, f.created_at AS f_created {_PLACE_JOIN} WHERE p.source = ? AND p.source_id = ?"
                f" AND {_LIVE} ORDER BY p.id", (source.value, source_id)) as cur:
            rows = await cur.fetchall()
        return [(_place(r), Node(r["f_id"], Owner(r["f_unit"], r["f_owner"]), r["f_parent"], r["f_name"],
                                 parse_utc(r["f_created"]))) for r in rows]

    async def files_under(self, node_id: int) -> list[int]:
        """The uploaded files filed in a folder, or in any folder of a drawer."""
        async with self.conn.execute(
                "SELECT DISTINCT p.source_id FROM cabinet_places p JOIN cabinet_nodes f ON f.id = p.folder_id"
                " WHERE p.source = 'file' AND (f.id = ? OR f.parent_id = ?)", (node_id, node_id)) as cur:
            return [int(r[0]) for r in await cur.fetchall()]

    # the recycle bin

    async def binned(self, owner: Owner) -> tuple[list[Node], list[tuple[Place, Node]]]:
        """What was put in a cabinet's bin itself (not what went with its drawer or folder), latest first."""
        where, arg = _of(owner)
        async with self.conn.execute(f"SELECT * FROM cabinet_nodes WHERE {where} AND deleted_at IS NOT NULL"
                                     " ORDER BY deleted_at DESC, id DESC", (arg,)) as cur:
            nodes = [_node(r) for r in await cur.fetchall()]
        async with self.conn.execute(
                f"SELECT p.* FROM cabinet_places p JOIN cabinet_nodes f ON f.id = p.folder_id WHERE f.{where}"
                " AND p.deleted_at IS NOT NULL ORDER BY p.deleted_at DESC, p.id DESC", (arg,)) as cur:
            places = [_place(r) for r in await cur.fetchall()]
        folders = {n.id: n for n in await self.all_nodes(owner)}
        return nodes, [(p, folders[p.folder_id]) for p in places if p.folder_id in folders]

    async def all_nodes(self, owner: Owner) -> list[Node]:
        where, arg = _of(owner)
        async with self.conn.execute(f"SELECT * FROM cabinet_nodes WHERE {where}", (arg,)) as cur:
            return [_node(r) for r in await cur.fetchall()]

    async def purge_due(self, before: datetime) -> bool:
        """Whether anything went in a bin before `before`."""
        stamp = utc_iso(before)
        async with self.conn.execute(
                "SELECT EXISTS (SELECT 1 FROM cabinet_nodes WHERE deleted_at < ?)"
                " OR EXISTS (SELECT 1 FROM cabinet_places WHERE deleted_at < ?)", (stamp, stamp)) as cur:
            row = await cur.fetchone()
        return bool(row and row[0])

    async def purge(self, before: datetime) -> tuple[int, list[int], list[Owner]]:
        """Delete for good what went in the bin before `before` (with what it holds): how many nodes and
        places, the uploaded files now filed nowhere (deleted too), and the cabinets touched."""
        stamp = utc_iso(before)
        async with self.conn.execute(
                "SELECT DISTINCT unit_id, owner_id FROM cabinet_nodes WHERE deleted_at < ? OR id IN"
                " (SELECT folder_id FROM cabinet_places WHERE deleted_at < ?)", (stamp, stamp)) as cur:
            owners = [_owner(r) for r in await cur.fetchall()]
        cur = await self.conn.execute("DELETE FROM cabinet_places WHERE deleted_at < ?", (stamp,))
        places = max(cur.rowcount, 0)
        cur = await self.conn.execute("DELETE FROM cabinet_nodes WHERE deleted_at < ?", (stamp,))
        nodes = max(cur.rowcount, 0)
        async with self.conn.execute(
                "SELECT id FROM cabinet_files c WHERE NOT EXISTS (SELECT 1 FROM cabinet_places p"
                " WHERE p.source = 'file' AND p.source_id = c.id)") as cur:
            orphans = [int(r[0]) for r in await cur.fetchall()]
        for file_id in orphans:
            await self.conn.execute("DELETE FROM cabinet_files WHERE id = ?", (file_id,))
        return nodes + places, orphans, owners

    # uploaded files

    async def add_file(self, owner: Owner, name: str, title: str, content_type: str, content: bytes,
                       text: str | None, at: datetime, by: int | None) -> int:
        cur = await self.conn.execute(
            "INSERT INTO cabinet_files (unit_id, owner_id, name, title, content_type, content, size, text,"
            " created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (owner.unit_id, owner.user_id, name, title, content_type, content, len(content), text, utc_iso(at), by))
        assert cur.lastrowid is not None
        return int(cur.lastrowid)

    async def file(self, file_id: int) -> CabinetFile | None:
        async with self.conn.execute(f"SELECT {_FILE_COLS} FROM cabinet_files WHERE id = ?", (file_id,)) as cur:
            row = await cur.fetchone()
        return _file(row) if row else None

    async def content(self, file_id: int) -> bytes:
        async with self.conn.execute("SELECT content FROM cabinet_files WHERE id = ?", (file_id,)) as cur:
            row = await cur.fetchone()
        return bytes(row[0]) if row else b""

    async def retitle(self, file_id: int, title: str) -> None:
        await self.conn.execute("UPDATE cabinet_files SET title = ? WHERE id = ?", (title, file_id))
        await self.conn.execute("UPDATE cabinet_places SET title = ? WHERE source = 'file' AND source_id = ?",
                                (title, file_id))

    async def file_ids(self) -> list[int]:
        async with self.conn.execute("SELECT id FROM cabinet_files ORDER BY id") as cur:
            return [int(r[0]) for r in await cur.fetchall()]
