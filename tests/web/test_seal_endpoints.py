"""The two public files an offline verifier of stamped documents needs."""

from cryptography import x509

from tests.service.seal_helpers import active_seal, with_authority
from tests.service.test_urgent_items import actor


async def test_anyone_fetches_the_authority_certificate_and_the_latest_revocation_list(client, demo_hub):
    resp = await client.get("/seals/authority.pem")
    assert resp.status == 409 and "init-authority" in await resp.text()      # not yet created
    pem = await with_authority(demo_hub)
    seal = await active_seal(demo_hub)
    await demo_hub.seals.revoke(await actor(demo_hub, "admin"), seal.id, "测试注销")
    resp = await client.get("/seals/authority.pem")                           # no login needed
    assert resp.status == 200 and resp.content_type == "application/x-pem-file"
    assert await resp.read() == pem
    resp = await client.get("/seals/crl.der")
    assert resp.status == 200 and resp.content_type == "application/pkix-crl"
    crl = x509.load_der_x509_crl(await resp.read())
    assert [e.serial_number for e in crl] == [int(seal.serial, 16)]
    assert crl.is_signature_valid(x509.load_pem_x509_certificate(pem).public_key())
