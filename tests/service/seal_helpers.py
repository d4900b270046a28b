"""Helpers for tests that need the seal authority, a unit's seal, or a stamped document."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hub.domain.documents import DocOp, DocState
from hub.domain.identity import SystemActor
from hub.store.seals import Seal, Stamping
from tests.service.test_urgent_items import actor, unit_ids

PASSPHRASE = "authority passphrase 2026"
KEEPER_PASSWORD = "Keeper@2026"
AUTHORITY = "示范区电子印章制作中心"


async def with_authority(hub: Any) -> bytes:
    return await hub.seals.init_authority(SystemActor(login="test"), PASSPHRASE, AUTHORITY)


async def made_seal(hub: Any, code: str = "BGS", kind: str = "official", name: str = "", days: int = 365) -> Seal:
    """A new seal of the unit, made by the super admin (state made)."""
    (unit_id,) = await unit_ids(hub, code)
    unit = next(u for u in await hub.identity.units() if u.id == unit_id)
    return await hub.seals.make_seal(await actor(hub, "admin"), unit_id, kind, name or unit.name, days)


async def active_seal(hub: Any, code: str = "BGS", keeper_login: str | None = "bgs.seal", **kw: Any) -> Seal:
    """A seal whose keeper has set the seal password KEEPER_PASSWORD."""
    seal = await made_seal(hub, code, **kw)
    keeper = await actor(hub, keeper_login) if keeper_login else SystemActor(login="test")
    return await hub.seals.set_seal_password(keeper, seal.id, KEEPER_PASSWORD)


async def registered_document(hub: Any, **kw: Any) -> tuple[Any, Any, Any, Any]:
    """A BGS document signed off and numbered: (document, office clerk, leader, leader's TOTP)."""
    from tests.service.test_documents import enrolled_leader, to_signoff
    doc, office = await to_signoff(hub, **kw)
    leader, totp = await enrolled_leader(hub)
    await hub.documents.act(leader, doc.id, DocOp.SIGN, "同意", totp.at(hub.clock.now()))
    doc = await hub.documents.act(office, doc.id, DocOp.REGISTER)
    assert doc.state is DocState.REGISTERED
    return doc, office, leader, totp


async def approved_request(hub: Any, doc: Any, seal: Seal, leader: Any, totp: Any,
                           requester_login: str = "bgs.clerk2") -> Any:
    request = await hub.seals.request_use(await actor(hub, requester_login), doc.id, seal.id)
    hub.clock.advance(timedelta(seconds=30))           # a fresh one-time code step for the approval
    return await hub.seals.approve_use(leader, request.id, totp.at(hub.clock.now()))


async def stamp(hub: Any, doc: Any, seal: Seal, leader: Any, totp: Any, keeper_login: str = "bgs.seal",
                password: str = KEEPER_PASSWORD) -> Stamping:
    """Request (by the keeper), approval (by the leader, with a code) and stamping."""
    request = await approved_request(hub, doc, seal, leader, totp, keeper_login)
    return await hub.seals.stamp(await actor(hub, keeper_login), request.id, password)
