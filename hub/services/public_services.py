"""公共服务: everyone reads the page; the government office's clerks (and the super admin) keep it,
each change in the audit log."""

from __future__ import annotations

from hub.clock import Clock
from hub.config import Config
from hub.domain.identity import Actor, Role, UnitKind
from hub.domain.items import check_attachment_name
from hub.domain.permissions import Action, can, require
from hub.domain.public_services import Resource, check_resource
from hub.errors import XietongError
from hub.services import audit
from hub.store import Store


class PublicServices:
    def __init__(self, store: Store, clock: Clock, config: Config) -> None:
        self.store, self.clock = store, clock
        self.limit = config.items.attachment_limit_kib * 1024

    async def all(self, actor: Actor) -> list[Resource]:
        require(actor, Action.VIEW_HOME)
        async with self.store.read() as tx:
            return await tx.public_services.all()

    async def may_keep(self, actor: Actor) -> bool:
        """The super admin, or a clerk of the government office (办公室)."""
        if not can(actor, Action.KEEP_SERVICES):
            return False
        if actor.has(Role.SUPER_ADMIN):
            return True
        async with self.store.read() as tx:
            unit = await tx.units.get(actor.unit_id)
        return unit is not None and unit.kind is UnitKind.OFFICE

    async def _require_keeper(self, actor: Actor) -> None:
        require(actor, Action.KEEP_SERVICES)
        if not await self.may_keep(actor):
            raise XietongError("services.office_only")

    async def add(self, actor: Actor, kind: str, title: str, url: str = "", body: str = "",
                  file_name: str = "", content: bytes | None = None, position: int = 100) -> Resource:
        await self._require_keeper(actor)
        k, title, url, body = check_resource(kind, title, url, body, bool(content))
        if k.value == "form":
            check_attachment_name(file_name)
            if content is not None and len(content) > self.limit:
                raise XietongError("cabinet.file_too_large", limit_mb=round(self.limit / 2**20, 1),
                                   size_mb=round(len(content) / 2**20, 1))
        else:
            file_name, content = "", None
        if not 0 <= position <= 9999:
            raise XietongError("input.invalid", field="position")
        now = self.clock.now()
        async with self.store.write() as tx:
            rid = await tx.public_services.add(k, title, url, body, file_name, content, position, now, actor.user_id)
            await audit.record(tx, now, actor, "services.add", f"public_service:{rid}", kind=k.value, title=title,
                               url=url, file=file_name)
            resource = await tx.public_services.get(rid)
        assert resource is not None
        return resource

    async def delete(self, actor: Actor, resource_id: int) -> Resource:
        """The office's entry: another unit's clerk may not touch it (403)."""
        if not await self.may_keep(actor):
            raise XietongError("perm.denied")
        now = self.clock.now()
        async with self.store.write() as tx:
            resource = await tx.public_services.get(resource_id)
            if resource is None:
                raise XietongError("services.not_found")
            await tx.public_services.delete(resource_id)
            await audit.record(tx, now, actor, "services.delete", f"public_service:{resource_id}",
                               kind=resource.kind.value, title=resource.title)
        return resource

    async def download(self, actor: Actor, resource_id: int) -> tuple[Resource, bytes]:
        require(actor, Action.VIEW_HOME)
        async with self.store.read() as tx:
            resource = await tx.public_services.get(resource_id)
            if resource is None or not resource.file_name:
                raise XietongError("services.not_found")
            return resource, await tx.public_services.content(resource_id)
