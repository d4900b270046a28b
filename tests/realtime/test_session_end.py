"""Logging out ends everything at once: an open websocket of the session closes with 4001 (real client).

The close is awaited (bounded only by a network timeout); before this fix the socket stayed open and
kept receiving events until its 60-second re-check.
"""

import asyncio

import pytest
import websockets
from aiohttp import ClientSession

from hub.domain.identity import Role, SystemActor
from tests.realtime.conftest import cookie_login, recv_json, session_socket
from tests.service.test_urgent_items import issue_extra_urgent
from tests.web.conftest import audit_rows


async def closed_with(ws, timeout: float = 15) -> int:
    """The close code, once the server has closed the socket (frames before it are skipped)."""
    async def until_closed() -> int:
        try:
            while True:
                await ws.recv()
        except websockets.ConnectionClosed as e:
            assert e.rcvd is not None, "closed without a close frame"
            return e.rcvd.code
    return await asyncio.wait_for(until_closed(), timeout)


async def cookie_socket(live, login: str) -> tuple[ClientSession, str, websockets.ClientConnection]:
    session, csrf = await cookie_login(live.url, login)
    return session, csrf, await session_socket(live, session)


async def test_logging_out_closes_the_sessions_open_socket_at_once_and_not_the_others(live):
    session, csrf, ws = await cookie_socket(live, "dhz.clerk1")
    other_session, _, other_device = await cookie_socket(live, "dhz.clerk1")   # the same person's desktop
    try:
        resp = await session.post(live.url + "/api/logout", headers={"X-CSRF-Token": csrf})
        assert resp.status == 200
        assert await closed_with(ws) == 4001
        await issue_extra_urgent(live.hub, "DHZ")             # the other session still gets events
        assert (await recv_json(other_device))["type"] == "item.issued"
        await other_device.close()
    finally:
        await session.close()
        await other_session.close()


async def test_logging_out_from_the_page_closes_the_socket(live):
    session, csrf, ws = await cookie_socket(live, "xsz.clerk1")
    try:
        resp = await session.post(live.url + "/logout", data={"csrf_token": csrf}, allow_redirects=False)
        assert resp.status == 303
        assert await closed_with(ws) == 4001
    finally:
        await session.close()


async def test_bearer_logout_revokes_the_token_and_closes_its_socket(live):
    token = await live.token("dhz.clerk2")
    headers = {"Authorization": f"Bearer {token}"}
    ws = await websockets.connect(live.ws_url, additional_headers=headers)
    await recv_json(ws)
    async with ClientSession() as http:
        resp = await http.post(live.url + "/api/logout", headers=headers)
        assert resp.status == 200 and (await resp.json()) == {"ok": True}
        assert await closed_with(ws) == 4001
        resp = await http.get(live.url + "/api/me", headers=headers)
        assert resp.status == 401 and (await resp.json())["error"]["code"] == "auth.bad_token"
    with pytest.raises(websockets.InvalidStatus) as e:
        await websockets.connect(live.ws_url, additional_headers=headers)
    assert e.value.response.status_code == 401
    (row,) = [r for r in await audit_rows(live.hub, "auth.logout") if '"token_revoked"' in r.detail]
    assert row.actor_login == "dhz.clerk2"


@pytest.mark.parametrize("change", ["disable", "role", "password"])
async def test_disabling_a_user_changing_their_roles_or_resetting_their_password_closes_their_sockets(
        live, change):
    user = await live.hub.identity.user_by_login("nqz.clerk1")
    session, _, by_cookie = await cookie_socket(live, "nqz.clerk1")
    by_token = await live.connect("nqz.clerk1")
    bystander = await live.connect("nqz.clerk2")
    for ws in (by_token, bystander):
        await recv_json(ws)
    try:
        if change == "disable":
            await live.hub.identity.set_disabled(SystemActor(), user.id, True)
        elif change == "role":
            await live.hub.identity.update_user(SystemActor(), user.id, user.name, user.phone,
                                                frozenset({Role.CLERK, Role.LEADER}), "")
        else:
            await live.hub.identity.reset_password(SystemActor(), user.id, "Another@2026")
        assert await closed_with(by_cookie) == 4001
        assert await closed_with(by_token) == 4001
        await bystander.send('{"type": "ping"}')
        assert (await recv_json(bystander))["type"] == "pong"
        await bystander.close()
    finally:
        await session.close()
