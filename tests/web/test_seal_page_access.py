"""A seal's page, with its usage register (使用登记), is for the seal registry and the keeper of the seal's
own unit only: a clerk, a leader or an admin of that unit gets 404, as anyone of another unit does."""

import pytest

from hub.domain.identity import Role, SystemActor
from hub.services.demo import DEMO_PASSWORD
from tests.conftest import login
from tests.service.seal_helpers import made_seal, with_authority
from webapp.context import HUB


@pytest.fixture
async def dhz_seal(client):
    hub = client.server.app[HUB]
    dhz = next(u.id for u in await hub.identity.units() if u.code == "DHZ")
    await hub.identity.add_user(SystemActor(), "dhz.seal", "东湖镇印章管理员", dhz, DEMO_PASSWORD,
                                frozenset({Role.SEAL_KEEPER}))
    await with_authority(hub)
    return await made_seal(hub, "DHZ")


@pytest.mark.parametrize("account", ["dhz.clerk1", "dhz.leader", "dh.admin", "bgs.seal", "xsz.clerk1", "duty"])
async def test_only_the_registry_and_the_units_keeper_see_a_seals_page_and_usage_register(client, dhz_seal,
                                                                                          account):
    await login(client, account)
    resp = await client.get(f"/seals/{dhz_seal.id}")
    body = await resp.text()
    assert resp.status == 404, body[:300]
    assert 'data-code="seal.not_found"' in body and "usage-register" not in body


@pytest.mark.parametrize("account", ["admin", "dhz.seal"])
async def test_the_registry_and_the_keeper_of_the_seals_unit_see_it(client, dhz_seal, account):
    await login(client, account)
    resp = await client.get(f"/seals/{dhz_seal.id}")
    assert resp.status == 200
    assert dhz_seal.name in await resp.text()


async def test_a_clerk_cannot_reach_the_page_by_posting_a_bad_change_either(client, dhz_seal):
    csrf = await login(client, "dhz.clerk1")
    resp = await client.post(f"/seals/{dhz_seal.id}", data={"csrf_token": csrf, "op": "dance"})
    assert resp.status in (403, 404) and "usage-register" not in await resp.text()
