"""SQL of full-text search (hub/domain/search.py): the searchable documents, who may see each,
and the index - SQLite's FTS5 table (BM25), or on PostgreSQL a tsvector under GIN (cover density,
ts_rank_cd, title weighted over body). The token streams are made in Python, the same for both.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, replace

from hub.domain.search import (
    Query,
    fts5_match,
    private_tokens,
    rank_tsquery,
    tokens,
    tsquery,
    unit_token,
)
from hub.store.connection import Connection
from hub.store.dialect import is_pg

# BM25 weights of FTS5's columns: a match in the title counts as much as four in the body (units: none)
_WEIGHTS = "4.0, 1.0, 0.0"
# ts_rank_cd's weights of D (the units' tokens), C, B (body), A (title)
_PG_WEIGHTS = "'{0, 0, 0.25, 1.0}'"
COUNT_CAP = 1000
# the state filter: the searcher's unit's delivery of the item in one of these states
STATES = {"open": ("pending", "read"), "acked": ("acked",), "returned": ("returned",)}
BROAD = 20_000        # a query matching more documents than this ranks them newest first (see search)


@dataclass(frozen=True)
class SearchDoc:
    source: str
    source_id: int
    title: str
    number: str
    sender: str
    sender_unit_id: int | None
    body: str
    kind: str
    doc_kind: str
    urgency: str
    year: int
    at: str
    id: int = 0
    owner_id: int | None = None      # a private cabinet's file: only this person may find it


@dataclass(frozen=True)
class Filters:
    year: int | None = None
    sender_unit_id: int | None = None
    kind: str = ""
    urgency: str = ""
    folder_id: int | None = None     # only what is filed in this cabinet folder
    state: str = ""                  # open (待签收) | acked (已签收) | returned (已退回): the unit's delivery
    state_unit: int | None = None    # whose delivery (the searcher's unit, set by the service)


def _doc(r: sqlite3.Row) -> SearchDoc:
    return SearchDoc(r["source"], r["source_id"], r["title"], r["number"], r["sender"], r["sender_unit_id"],
                     r["body"], r["kind"], r["doc_kind"], r["urgency"], r["year"], r["at"], r["id"], r["owner_id"])


def _streams(doc: SearchDoc) -> tuple[str, str]:
    return tokens(doc.title), tokens(f"{doc.number} {doc.sender} {doc.body}")


def _access(doc: SearchDoc, units: set[int]) -> str:
    """The access tokens: the units that may see it, or the one person who may find it."""
    if doc.owner_id is not None:
        return private_tokens(doc.owner_id)
    return " ".join(unit_token(u) for u in sorted(units))


_COLUMNS = ("source, source_id, title, number, sender, sender_unit_id, body, kind, doc_kind, urgency, year, at,"
            " owner_id")


class SearchQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def put(self, doc: SearchDoc, units: set[int]) -> int:
        """Index a document (again, if it was): its row, its index entry, the units that see it."""
        values = (doc.source, doc.source_id, doc.title, doc.number, doc.sender, doc.sender_unit_id, doc.body,
                  doc.kind, doc.doc_kind, doc.urgency, doc.year, doc.at, doc.owner_id)
        title, body = _streams(doc)
        if is_pg(self.conn):
            async with self.conn.execute(
                    f"INSERT INTO search_docs ({_COLUMNS}, tsv) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                    " setweight(to_tsvector('simple', ?), 'A') || setweight(to_tsvector('simple', ?), 'B')"
                    " || setweight(to_tsvector('simple', ?), 'D'))"
                    " ON CONFLICT (source, source_id) DO UPDATE SET title = excluded.title, number = excluded.number,"
                    " sender = excluded.sender, sender_unit_id = excluded.sender_unit_id, body = excluded.body,"
                    " kind = excluded.kind, doc_kind = excluded.doc_kind, urgency = excluded.urgency,"
                    " year = excluded.year, at = excluded.at, owner_id = excluded.owner_id, tsv = excluded.tsv"
                    " RETURNING id", (*values, title, body, _access(doc, units))) as cur:
                row = await cur.fetchone()
            assert row is not None
            doc_id = int(row[0])
        else:
            old = await self.get(doc.source, doc.source_id)
            if old is not None:
                await self._unindex(old, await self._units_of(old.id))
                await self.conn.execute(
                    "UPDATE search_docs SET title = ?, number = ?, sender = ?, sender_unit_id = ?, body = ?, kind = ?,"
                    " doc_kind = ?, urgency = ?, year = ?, at = ?, owner_id = ? WHERE id = ?", (*values[2:], old.id))
                doc_id = old.id
            else:
                cur = await self.conn.execute(
                    f"INSERT INTO search_docs ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
                assert cur.lastrowid is not None
                doc_id = cur.lastrowid
            await self.conn.execute("INSERT INTO search_fts (rowid, title, body, units) VALUES (?, ?, ?, ?)",
                                    (doc_id, title, body, _access(doc, units)))
            # FTS5's contentless delete needs the units' tokens again (PostgreSQL keeps them in tsv itself)
            await self.conn.execute("DELETE FROM search_access WHERE doc_id = ?", (doc_id,))
            if doc.owner_id is None:
                await self.conn.executemany("INSERT INTO search_access (unit_id, doc_id) VALUES (?, ?)",
                                            [(u, doc_id) for u in sorted(units)])
        return doc_id

    async def remove(self, source: str, source_id: int) -> None:
        """Take a document out of the index (a file purged, or filed nowhere any more)."""
        old = await self.get(source, source_id)
        if old is None:
            return
        if not is_pg(self.conn):
            await self._unindex(old, await self._units_of(old.id))
        await self.conn.execute("DELETE FROM search_access WHERE doc_id = ?", (old.id,))
        await self.conn.execute("DELETE FROM search_docs WHERE id = ?", (old.id,))

    async def _unindex(self, old: SearchDoc, units: set[int]) -> None:
        """FTS5's contentless delete: the entry's tokens, made again from the stored text and access."""
        title, body = _streams(old)
        await self.conn.execute("INSERT INTO search_fts (search_fts, rowid, title, body, units)"
                                " VALUES ('delete', ?, ?, ?, ?)", (old.id, title, body, _access(old, units)))

    async def _units_of(self, doc_id: int) -> set[int]:
        async with self.conn.execute("SELECT unit_id FROM search_access WHERE doc_id = ?", (doc_id,)) as cur:
            return {int(r[0]) for r in await cur.fetchall()}

    async def get(self, source: str, source_id: int) -> SearchDoc | None:
        async with self.conn.execute(f"SELECT id, {_COLUMNS} FROM search_docs WHERE source = ? AND source_id = ?",
                                     (source, source_id)) as cur:
            row = await cur.fetchone()
        return _doc(row) if row else None

    async def clear(self) -> None:
        """Empty the index (before a rebuild)."""
        await self.conn.execute("DELETE FROM search_access")
        await self.conn.execute("DELETE FROM search_docs")
        if not is_pg(self.conn):
            await self.conn.execute("INSERT INTO search_fts (search_fts) VALUES ('delete-all')")

    async def optimize(self) -> None:
        """After a bulk rebuild: SQLite merges the FTS5 index's segments into one (fewer b-trees for each
        query to read); PostgreSQL moves the GIN index's pending entries into the index proper."""
        if is_pg(self.conn):
            async with self.conn.execute("SELECT gin_clean_pending_list('search_docs_tsv'::regclass)") as cur:
                await cur.fetchall()
        else:
            await self.conn.execute("INSERT INTO search_fts (search_fts) VALUES ('optimize')")

    async def count(self) -> int:
        async with self.conn.execute("SELECT count(*) FROM search_docs") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def _broad(self, query: Query) -> bool:
        """Whether every token of the query is in more than BROAD documents (民政 is in every 人民政府): such
        words weigh next to nothing in BM25, so their hits are listed newest first, which the index gives
        without scoring every match. SQLite reads each token's document frequency from search_vocab;
        PostgreSQL counts, up to BROAD + 1, the documents holding all the tokens (its GIN index alone)."""
        toks = sorted({tok for t in query.terms for tok in t.tokens})
        if is_pg(self.conn):
            async with self.conn.execute(
                    f"SELECT count(*) FROM (SELECT 1 FROM search_docs WHERE tsv @@ to_tsquery('simple', ?)"
                    f" LIMIT {BROAD + 1}) AS m", (" & ".join(f"'{t}'" for t in toks),)) as cur:
                row = await cur.fetchone()
            return bool(row and row[0] > BROAD)
        async with self.conn.execute(f"SELECT count(*), min(doc) FROM search_vocab WHERE term IN"
                                     f" ({','.join('?' * len(toks))})", toks) as cur:
            row = await cur.fetchone()
        return bool(row and row[0] == len(toks) and row[1] > BROAD)

    async def _rare(self, words: tuple[str, ...]) -> tuple[str, ...]:
        """The query's words that rank (SQLite): those in at most BROAD documents; a word found nearly
        everywhere (工作) weighs nothing in BM25 and would only cost the reading of its doclist."""
        if not words:
            return ()
        async with self.conn.execute(f"SELECT term FROM search_vocab WHERE term IN ({','.join('?' * len(words))})"
                                     f" AND doc <= {BROAD}", words) as cur:
            rare = {r[0] for r in await cur.fetchall()}
        return tuple(w for w in words if w in rare)

    async def search(self, query: Query, units: list[int] | None, filters: Filters, limit: int,
                     offset: int = 0, person: int | None = None) -> tuple[list[SearchDoc], int]:
        """The best `limit` documents (after `offset`) matching every term that one of `units` may see
        (None: all but others' private ones) or `person` may find, and how many match in all
        (COUNT_CAP + 1 meaning more than COUNT_CAP)."""
        if query.empty:
            return [], 0
        where: list[str] = []
        args: list[int | str] = []
        for column, value in (("year", filters.year), ("sender_unit_id", filters.sender_unit_id),
                              ("kind", filters.kind or None), ("urgency", filters.urgency or None)):
            if value is not None:
                where.append(f"d.{column} = ?")
                args.append(value)
        if filters.state in STATES and filters.state_unit is not None:
            marks = ", ".join("?" * len(STATES[filters.state]))
            where.append("d.source = 'item' AND EXISTS (SELECT 1 FROM deliveries x WHERE x.item_id = d.source_id"
                         f" AND x.unit_id = ? AND x.state IN ({marks}))")
            args += [filters.state_unit, *STATES[filters.state]]
        if filters.folder_id is not None:
            where.append("EXISTS (SELECT 1 FROM cabinet_places p WHERE p.folder_id = ? AND p.deleted_at IS NULL"
                         " AND p.source = d.source AND p.source_id = d.source_id)")
            args.append(filters.folder_id)
        extra = "".join(f" AND {w}" for w in where)
        plain = replace(query, words=())          # what matches: the words only rank
        broad = await self._broad(query)
        if is_pg(self.conn):
            matching = "FROM search_docs d WHERE d.tsv @@ to_tsquery('simple', ?)"
            first = ranked = [tsquery(plain, units, person)]
            order = f"ts_rank_cd({_PG_WEIGHTS}, d.tsv, to_tsquery('simple', ?), 1) DESC, d.id DESC"
            newest = "d.id DESC"
            order_args = [rank_tsquery(query)]
        else:
            matching = "FROM search_fts f JOIN search_docs d ON d.id = f.rowid WHERE search_fts MATCH ?"
            first = [fts5_match(plain, units, person)]
            words = () if broad else await self._rare(query.words)
            ranked = [fts5_match(replace(query, words=words), units, person)] if words else first
            order, newest = f"bm25(search_fts, {_WEIGHTS}), d.id DESC", "f.rowid DESC"
            order_args = []
        base = matching + extra
        if broad:
            order, order_args, ranked = newest, [], first
        # counted up to COUNT_CAP + 1 ("1,000+"): a count over every match would cost as much as the ranking
        async with self.conn.execute(f"SELECT count(*) FROM (SELECT 1 {base} LIMIT {COUNT_CAP + 1}) AS m",
                                     (*first, *args)) as cur:
            row = await cur.fetchone()
        total = int(row[0]) if row else 0
        if not total:
            return [], 0
        async with self.conn.execute(f"SELECT d.id, {', '.join('d.' + c for c in _COLUMNS.split(', '))} {base}"
                                     f" ORDER BY {order} LIMIT ? OFFSET ?",
                                     (*ranked, *args, *order_args, limit, offset)) as cur:
            return [_doc(r) for r in await cur.fetchall()], total
