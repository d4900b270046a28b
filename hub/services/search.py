"""公文检索: one search box over titles, 文号, bodies, senders and attachments' text, answering
only what the searcher may see, best first, with the matches marked in a snippet.

Items (received and sent documents, notices, orders) are indexed in the transaction that issues
them, so they are searchable the moment they exist; their attachments' text is extracted before
that transaction (hub/services/search_text.py). Who may see a hit is the one permission rule's
answer for items: its sender and its recipient units (the duty desk sees all). `reindex` rebuilds
everything (`xietong search reindex`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from hub.clock import Clock, utc_iso
from hub.domain.cabinet import CabinetFile, Source, doc_url, may_open
from hub.domain.calendar import CST
from hub.domain.identity import Actor, SystemActor
from hub.domain.items import Attachment, Item
from hub.domain.permissions import Action, can, require
from hub.domain.search import Piece, Query, parse_query, snippet
from hub.errors import XietongError
from hub.services import audit
from hub.services.search_text import attachment_text
from hub.store import Store, Tx
from hub.store.search import Filters, SearchDoc

PER_PAGE = 20
NO_FILTERS = Filters()
REINDEX_BATCH = 500


@dataclass(frozen=True)
class Hit:
    doc: SearchDoc
    title: tuple[Piece, ...]
    snippet: tuple[Piece, ...]

    @property
    def url(self) -> str:
        return doc_url(Source(self.doc.source), self.doc.source_id)


@dataclass(frozen=True)
class SearchPage:
    q: str
    query: Query
    hits: list[Hit]
    total: int
    page: int
    pages: int


def attachments_text(attachments: Sequence[Attachment]) -> str:
    """The text of the attachments that have any (done before the issuing transaction: it may take a while)."""
    return "\n".join(t for a in attachments if (t := attachment_text(a.name, a.content)))


async def index_item_in(tx: Tx, item: Item, recipients: set[int], text: str) -> None:
    """Index an item in the caller's transaction (issuing it): seen by its sender and its recipients."""
    sender = await tx.units.get(item.sender_unit_id)
    await tx.search.put(SearchDoc(
        "item", item.id, item.title, item.doc_number or "", sender.name if sender else "", item.sender_unit_id,
        f"{item.body}\n{text}" if text else item.body, item.kind.value, item.doc_kind or "", item.urgency.value,
        item.issued_at.astimezone(CST).year, utc_iso(item.issued_at)), {item.sender_unit_id, *recipients})


async def index_file_in(tx: Tx, f: CabinetFile) -> None:
    """Index a file uploaded into a cabinet: seen by its unit, or found by its owner alone (private).
    Its "sender" is the cabinet's unit, or the owner's name."""
    if f.owner.private:
        user = await tx.users.get(f.owner.user_id or 0)
        who, units = (user.name if user else ""), set()
    else:
        unit = await tx.units.get(f.owner.unit_id or 0)
        who, units = (unit.name if unit else ""), {f.owner.unit_id or 0}
    ext = f.name.rsplit(".", 1)[-1].lower() if "." in f.name else ""
    await tx.search.put(SearchDoc(
        Source.FILE.value, f.id, f.title, "", who, f.owner.unit_id, f"{f.name}\n{f.text or ''}", "file", ext, "",
        f.created_at.astimezone(CST).year, utc_iso(f.created_at), owner_id=f.owner.user_id), units)


async def sync_file_in(tx: Tx, file_id: int) -> CabinetFile | None:
    """An uploaded file is in the index exactly while it is filed somewhere out of the bin: index it
    (returned) or take it out (None)."""
    f = await tx.cabinet.file(file_id)
    if f is not None and await tx.cabinet.live_places_of(Source.FILE, file_id):
        await index_file_in(tx, f)
        return f
    await tx.search.remove(Source.FILE.value, file_id)
    return None


class SearchService:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store, self.clock = store, clock

    async def search(self, actor: Actor, q: str, filters: Filters = NO_FILTERS, page: int = 1) -> SearchPage:
        require(actor, Action.VIEW_ITEM, actor.unit_id)
        query = parse_query(q)
        units = None if can(actor, Action.VIEW_ITEM, []) else [actor.unit_id]   # [] : only a grant of ANY
        person = actor.user_id if actor.by is None else None      # a delegate never finds the private files
        page = max(1, page)
        async with self.store.read() as tx:
            if filters.folder_id is not None:     # a folder of a cabinet one may open, or nothing
                folder = await tx.cabinet.node(filters.folder_id)
                if folder is None or folder.is_drawer or not may_open(actor, folder.owner):
                    raise XietongError("cabinet.not_found")
            filters = replace(filters, state_unit=actor.unit_id)     # the state of one's own unit's delivery
            docs, total = await tx.search.search(query, units, filters, PER_PAGE, (page - 1) * PER_PAGE, person)
        hits = [Hit(d, snippet(d.title, query, 200), snippet(d.body, query)) for d in docs]
        return SearchPage(q, query, hits, total, page, max(1, -(-total // PER_PAGE)))

    async def reindex(self, progress: Callable[[int, int], None] = lambda done, total: None) -> int:
        """Rebuild the whole index from the items (in batches, each its own transaction)."""
        async with self.store.read() as tx:
            ids = await tx.items.all_ids()
            file_ids = await tx.cabinet.file_ids()
        async with self.store.write() as tx:
            await tx.search.clear()
        progress(0, len(ids) + len(file_ids))
        for start in range(0, len(ids), REINDEX_BATCH):
            batch = ids[start:start + REINDEX_BATCH]
            async with self.store.read() as tx:
                rows = [(await tx.items.get(i), await tx.deliveries.for_item(i),
                         await tx.items.attachment_files(i)) for i in batch]
            texts = [attachments_text(files) for _, _, files in rows]
            async with self.store.write() as tx:
                for (item, deliveries, _), text in zip(rows, texts, strict=True):
                    if item is not None:
                        await index_item_in(tx, item, {d.unit_id for d in deliveries}, text)
            progress(min(start + REINDEX_BATCH, len(ids)), len(ids) + len(file_ids))
        await self._reindex_files(file_ids, lambda done: progress(len(ids) + done, len(ids) + len(file_ids)))
        async with self.store.write() as tx:
            await tx.search.optimize()
        return len(ids) + len(file_ids)

    async def _reindex_files(self, file_ids: list[int], progress: Callable[[int], None]) -> None:
        """The files uploaded into cabinets that are filed somewhere out of the bin; a pass over private
        cabinets, so the audit log records it (as the system), with how many it read."""
        private = 0
        for start in range(0, len(file_ids), REINDEX_BATCH):
            async with self.store.write() as tx:
                for file_id in file_ids[start:start + REINDEX_BATCH]:
                    f = await sync_file_in(tx, file_id)
                    private += f is not None and f.owner.private
            progress(min(start + REINDEX_BATCH, len(file_ids)))
        if file_ids:
            async with self.store.write() as tx:
                await audit.record(tx, self.clock.now(), SystemActor(), "search.reindex", "cabinet",
                                   files=len(file_ids), private_files=private)
