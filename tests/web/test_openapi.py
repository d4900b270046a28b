"""The OpenAPI document describes exactly the JSON API the server really has, truthfully."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from aiohttp.test_utils import TestClient

import webapp.app  # noqa: F401  (importing the app registers every route)
from hub.app import Hub
from hub.clock import FakeClock
from hub.domain.identity import SystemActor
from hub.domain.items import ItemDraft, ItemKind, Urgency
from hub.services.demo import DEMO_PASSWORD
from tests.conftest import START, csrf_from, make_config
from tests.web.conftest import NewClient, api_login
from tests.web.test_permission_matrix import EXPECTED, ROLE_ACCOUNTS
from webapp.routing import ROUTES

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
# JSON routes deliberately served outside /api/ (each listed here on purpose)
JSON_OUTSIDE_API = {("GET", "/healthz")}
# ... and on a server running on a fake clock only (tests, demos), the test-only routes
TEST_ONLY = {("POST", "/_test/clock"), ("POST", "/_test/drop-sockets")}
Validator = jsonschema.Draft202012Validator   # OpenAPI 3.1 schemas are JSON Schema 2020-12


async def fetch_doc(client: TestClient) -> dict[str, Any]:  # type: ignore[type-arg]
    resp = await client.get("/api/openapi.json")
    assert resp.status == 200
    assert resp.content_type == "application/json"
    doc: dict[str, Any] = await resp.json()
    return doc


def operations(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in doc["paths"].items() for method in item}


def schemas_in(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            where = f"{method.upper()} {path}"
            for status, r in op["responses"].items():
                for media, content in r["content"].items():     # JSON, or a file (a PDF)
                    found.append((f"{where} {status} {media}", content["schema"]))
            if "requestBody" in op:
                found.append((f"{where} body",
                              op["requestBody"]["content"]["application/json"]["schema"]))
            for p in op.get("parameters", []):
                found.append((f"{where} param {p['name']}", p["schema"]))
    return found


def uses_json_schema_only_features(schema: Any) -> bool:
    """`type: [..]` and `const` are JSON Schema 2020-12 (OpenAPI 3.1), not OpenAPI 3.0."""
    if isinstance(schema, dict):
        if isinstance(schema.get("type"), list) or "const" in schema:
            return True
        return any(uses_json_schema_only_features(v) for v in schema.values())
    if isinstance(schema, list):
        return any(uses_json_schema_only_features(v) for v in schema)
    return False


async def test_api_description_is_a_well_formed_openapi_3_document(client: TestClient) -> None:  # type: ignore[type-arg]
    doc = await fetch_doc(client)
    assert re.fullmatch(r"3\.[01]\.\d+", doc["openapi"])
    assert doc["info"]["title"] and doc["info"]["version"]
    schemes = doc["components"]["securitySchemes"]
    assert {k: v for k, v in schemes["session"].items() if k != "description"} == {
        "type": "apiKey", "in": "cookie", "name": "xt_session"}
    assert doc["paths"]
    op_ids = []
    for path, item in doc["paths"].items():
        assert path.startswith("/")
        assert set(item) <= HTTP_METHODS, path
        for method, op in item.items():
            where = f"{method.upper()} {path}"
            assert op["summary"], where
            op_ids.append(op["operationId"])
            assert {"200", "default"} <= set(op["responses"]), where
            for r in op["responses"].values():
                assert r["description"], where
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"{(\w+)}", path)), where
            for p in op.get("parameters", []):
                assert p["in"] in ("path", "query", "header", "cookie"), where
                if p["in"] == "path":
                    assert p["required"] is True, where
            for req in op.get("security", []):
                assert set(req) <= set(doc["components"]["securitySchemes"]), where
    assert len(op_ids) == len(set(op_ids)), "operationIds must be unique"

    for where, schema in schemas_in(doc):
        Validator.check_schema(schema)      # every schema is itself a valid schema
        if doc["openapi"].startswith("3.0."):
            assert not uses_json_schema_only_features(schema), \
                f"{where}: type lists and const need OpenAPI 3.1"


async def test_api_description_lists_exactly_the_json_routes_the_server_has(
        client: TestClient) -> None:  # type: ignore[type-arg]
    doc = await fetch_doc(client)
    documented = operations(doc)
    declared = {(s.method, s.path) for s in ROUTES if s.json} - TEST_ONLY
    app = client.server.app
    assert app is not None
    served = {(r.method, r.resource.canonical) for r in app.router.routes()
              if r.resource is not None}
    under_api = {(m, p) for m, p in served if p.startswith("/api/") or p == "/healthz"}
    assert documented == declared
    assert under_api <= documented, f"undocumented: {under_api - documented}"
    assert documented <= served, f"documented but not served: {documented - served}"
    assert documented - under_api <= JSON_OUTSIDE_API, \
        f"JSON routes outside /api/: {documented - under_api - JSON_OUTSIDE_API}"
    assert ("GET", "/healthz") in under_api


async def test_api_description_says_which_permission_each_call_needs(client: TestClient) -> None:  # type: ignore[type-arg]
    doc = await fetch_doc(client)
    for spec in ROUTES:
        if not spec.json or (spec.method, spec.path) in TEST_ONLY:
            continue
        op = doc["paths"][spec.path][spec.method.lower()]
        if spec.public:
            assert "security" not in op, spec.path
        elif spec.method == "GET" or not spec.csrf:
            assert op["security"] == [{"session": []}, {"bearer": []}], spec.path
        else:
            assert op["security"] == [{"session": [], "csrf": []}, {"bearer": []}], spec.path
            assert op.get("x-permission") == (spec.action.value if spec.action else None)


def account_for(permission: str | None) -> str:
    """The super admin, unless the hand-written policy gives that permission to others only."""
    if permission is None or EXPECTED[permission]["super_admin"][0]:
        return "admin"
    role = next(r for r, (own, _) in EXPECTED[permission].items() if own)
    return ROLE_ACCOUNTS[role]


async def test_every_plain_get_call_answers_as_documented(client: TestClient) -> None:  # type: ignore[type-arg]
    doc = await fetch_doc(client)
    checked = []
    for path, item in doc["paths"].items():
        if "get" not in item or "{" in path:
            continue
        account = account_for(item["get"].get("x-permission"))
        client.session.cookie_jar.clear()
        if account == "dhz.user":
            pytest.fail("no demo account for the plain user role here")
        assert (await api_login(client, account, DEMO_PASSWORD))[0] == 200
        resp = await client.get(path)
        assert resp.status == 200, f"GET {path} as {account}: {resp.status} {await resp.text()}"
        schema = item["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        Validator(schema).validate(await resp.json())
        checked.append(path)
    assert {"/healthz", "/api/openapi.json", "/api/me", "/api/units", "/api/users",
            "/api/audit", "/api/audit/verify"} <= set(checked)


async def test_login_and_adding_a_person_match_their_documented_shapes(
        client: TestClient, unit_ids: dict[str, int]) -> None:  # type: ignore[type-arg]
    doc = await fetch_doc(client)

    def op(path: str) -> dict[str, Any]:
        result: dict[str, Any] = doc["paths"][path]["post"]
        return result

    def ok_schema(o: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = o["responses"]["200"]["content"]["application/json"]["schema"]
        return result

    def body_schema(o: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = o["requestBody"]["content"]["application/json"]["schema"]
        return result

    creds = {"login": "dh.admin", "password": DEMO_PASSWORD}
    Validator(body_schema(op("/api/login"))).validate(creds)
    resp = await client.post("/api/login", json=creds)
    assert resp.status == 200
    logged_in = await resp.json()
    Validator(ok_schema(op("/api/login"))).validate(logged_in)

    person = {"login": "dhz.doc", "name": "文档", "unit_id": unit_ids["DHZ"],
              "password": "Passw0rd!x", "roles": ["clerk"], "phone": "13900139001"}
    Validator(body_schema(op("/api/users"))).validate(person)
    resp = await client.post("/api/users", json=person,
                             headers={"X-CSRF-Token": logged_in["csrf_token"]})
    assert resp.status == 200, await resp.text()
    added = await resp.json()
    Validator(ok_schema(op("/api/users"))).validate(added)
    assert added["user"]["phone"] == "+8613900139001"

    resp = await client.post(f"/api/users/{added['user']['id']}/disable",
                             headers={"X-CSRF-Token": logged_in["csrf_token"]})
    assert resp.status == 200
    Validator(ok_schema(op("/api/users/{user_id}/disable"))).validate(await resp.json())


@pytest.mark.parametrize("who, method, path, status, code", [
    (None, "GET", "/api/me", 401, "auth.required"),
    ("admin", "GET", "/api/users?unit=abc", 400, "input.invalid"),
    ("dhz.clerk1", "GET", "/api/audit", 403, "perm.denied"),
    ("admin", "GET", "/api/no-such-thing", 404, "not_found"),
    ("admin", "POST", "/api/users", 403, "auth.csrf"),
])
async def test_errors_come_back_in_the_documented_error_shape(
        client: TestClient, who: str | None, method: str, path: str, status: int,  # type: ignore[type-arg]
        code: str) -> None:
    doc = await fetch_doc(client)
    error_schema = doc["paths"]["/api/me"]["get"]["responses"]["default"]["content"][
        "application/json"]["schema"]
    if who:
        assert (await api_login(client, who, DEMO_PASSWORD))[0] == 200
    resp = await client.request(method, path, json={} if method == "POST" else None)
    assert resp.status == status
    body = await resp.json()
    Validator(error_schema).validate(body)
    assert body["error"]["code"] == code
    assert body["error"]["message"] == body["error"]["message_zh"]   # Chinese by default


# -- the document tells the truth -------------------------------------------------------------

async def test_a_bot_with_a_bearer_token_calls_the_api_as_the_document_says(
        client: TestClient, demo_hub: Hub, new_client: NewClient) -> None:  # type: ignore[type-arg]
    doc = await fetch_doc(client)
    assert doc["components"]["securitySchemes"]["bearer"]["type"] == "http"
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert doc["components"]["securitySchemes"]["csrf"] == {
        **doc["components"]["securitySchemes"]["csrf"], "type": "apiKey", "in": "header",
        "name": "X-CSRF-Token"}
    disable = doc["paths"]["/api/users/{user_id}/disable"]["post"]
    assert {"bearer": []} in disable["security"]       # a bot needs no cookie and no CSRF token

    _, token = await demo_hub.identity.create_token(SystemActor(), "admin", "ops-bot")
    bot = await new_client()
    auth = {"Authorization": f"Bearer {token}"}
    me = await bot.get("/api/me", headers=auth)
    assert me.status == 200 and (await me.json())["user"]["login"] == "admin"
    target = await demo_hub.identity.user_by_login("dhz.clerk2")
    resp = await bot.post(f"/api/users/{target.id}/disable", headers=auth)
    assert resp.status == 200, await resp.text()
    Validator(disable["responses"]["200"]["content"]["application/json"]["schema"]).validate(
        await resp.json())


async def test_test_only_routes_are_neither_documented_nor_served_on_a_real_server(
        client: TestClient) -> None:  # type: ignore[type-arg]
    doc = await fetch_doc(client)
    assert not [p for p in doc["paths"] if p.startswith("/_test/")]
    for path in ("/_test/clock", "/_test/drop-sockets"):
        resp = await client.post(path, json={"seconds": 60})
        assert resp.status == 404, path


async def test_a_fake_clock_server_serves_and_documents_its_test_routes(
        demo_template: Path, tmp_path: Path, aiohttp_client: Any) -> None:
    db = tmp_path / "fake.db"
    shutil.copy(demo_template, db)
    hub = await Hub.start(make_config(db, clock={"fake": True}), FakeClock(START))
    try:
        from webapp.app import make_app
        fake = await aiohttp_client(make_app(hub))
        doc = await fetch_doc(fake)
        assert TEST_ONLY <= operations(doc)
        resp = await fake.post("/_test/clock", json={"seconds": 60})
        assert resp.status == 200, await resp.text()
        assert (await resp.json())["now"] == (START + timedelta(seconds=60)).isoformat()
    finally:
        await hub.close()


@pytest.mark.parametrize("method, path, allowed", [
    ("DELETE", "/api/me", {"GET"}),
    ("PUT", "/api/users", {"GET", "POST"}),
    ("GET", "/api/login", {"POST"}),
    ("PATCH", "/login", {"GET", "POST"}),
])
async def test_a_method_the_address_does_not_take_is_405_with_allow(
        client: TestClient, method: str, path: str, allowed: set[str]) -> None:  # type: ignore[type-arg]
    assert (await api_login(client, "admin", DEMO_PASSWORD))[0] == 200
    resp = await client.request(method, path)
    assert resp.status == 405
    assert {m.strip() for m in resp.headers["Allow"].split(",")} == allowed


async def test_a_locked_account_is_told_when_to_try_again_in_seconds_and_words(
        client: TestClient, clock: FakeClock) -> None:  # type: ignore[type-arg]
    doc = await fetch_doc(client)
    documented = doc["paths"]["/api/login"]["post"]["responses"]["429"]
    assert "Retry-After" in documented["headers"]
    for _ in range(5):
        assert (await api_login(client, "dhz.clerk1", "wrong-password"))[0] == 401

    async def refused() -> tuple[str, dict[str, Any]]:
        resp = await client.post("/api/login", json={"login": "dhz.clerk1", "password": DEMO_PASSWORD})
        assert resp.status == 429
        body = await resp.json()
        Validator(documented["content"]["application/json"]["schema"]).validate(body)
        return resp.headers["Retry-After"], body["error"]

    retry, error = await refused()
    assert retry == "900"
    assert error["message_en"] == "Too many failed logins. Try again in 15 minutes."
    assert error["message_zh"] == "登录失败次数过多，请 15 分钟后再试。"
    clock.advance(minutes=13)
    retry, error = await refused()
    assert retry == "120"
    assert error["message_en"].endswith("Try again in 2 minutes.")
    clock.advance(seconds=90)
    retry, error = await refused()
    assert retry == "60"
    assert error["message_en"].endswith("Try again in 1 minute.")
    assert error["message_zh"] == "登录失败次数过多，请 1 分钟后再试。"

    form = await client.post("/login", data={"login": "dhz.clerk1", "password": DEMO_PASSWORD,
                                             "csrf_token": await csrf_from(client, "/login")},
                             allow_redirects=False)
    assert form.status == 429 and form.headers["Retry-After"] == "60"   # the login page, too


def body_schema(doc: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    schema: dict[str, Any] = doc["paths"][path][method]["requestBody"]["content"]["application/json"][
        "schema"]
    return schema


def person(unit: int, **changes: Any) -> dict[str, Any]:
    return {"login": "dhz.newbie", "name": "新同事", "unit_id": unit, "password": "Passw0rd!x",
            "roles": ["clerk"], "phone": "13900139000", **changes}


def notice(unit: int, **changes: Any) -> dict[str, Any]:
    return {"kind": "document", "urgency": "urgent", "title": "关于做好防汛工作的通知",
            "main_units": [unit], **changes}


async def test_a_body_valid_per_the_document_is_taken_and_one_it_forbids_is_refused(
        client: TestClient, demo_hub: Hub, unit_ids: dict[str, int]) -> None:  # type: ignore[type-arg]
    """Request schemas carry the constraints the server enforces on the shape of the input."""
    doc = await fetch_doc(client)
    dhz = unit_ids["DHZ"]
    cases: list[tuple[str, str, str, dict[str, Any], bool]] = [
        # (account, method, path, body, valid per the document)
        ("admin", "post", "/api/users", person(dhz, login="ab"), False),
        ("admin", "post", "/api/users", person(dhz, name="   "), False),
        ("admin", "post", "/api/users", person(dhz, password="short"), False),
        ("admin", "post", "/api/users", person(dhz, roles=[]), False),
        ("admin", "post", "/api/users", person(dhz, roles=["emperor"]), False),
        ("admin", "post", "/api/users", person(dhz, phone="12345"), False),
        ("admin", "post", "/api/users", person(dhz, allowed_ips="10.0.0.999"), False),
        ("admin", "post", "/api/users", person(dhz, unit_id=0), False),
        ("admin", "post", "/api/users", person(dhz, allowed_ips="10.1.0.0/16, 10.2.3.4"), True),
        ("dhz.clerk1", "post", "/api/items", notice(unit_ids["XSZ"], title=" "), False),
        ("dhz.clerk1", "post", "/api/items", notice(unit_ids["XSZ"], title="x" * 201), False),
        ("dhz.clerk1", "post", "/api/items", notice(unit_ids["XSZ"], title="秘密通知"), False),
        ("dhz.clerk1", "post", "/api/items", notice(unit_ids["XSZ"], main_units=[]), False),
        ("dhz.clerk1", "post", "/api/items", notice(unit_ids["XSZ"], main_units=[unit_ids["XSZ"]] * 2), False),
        ("dhz.clerk1", "post", "/api/items", notice(unit_ids["XSZ"], copy_units=[unit_ids["JYJ"]] * 2), False),
        ("dhz.clerk1", "post", "/api/items", notice(unit_ids["XSZ"], kind="memo"), False),
        ("dhz.clerk1", "post", "/api/items", notice(unit_ids["XSZ"], doc_kind="便条"), False),
        ("dhz.clerk1", "post", "/api/items", notice(unit_ids["XSZ"], doc_number="第56号"), False),
        ("dhz.clerk1", "post", "/api/items", notice(unit_ids["XSZ"], kind="meeting_notice"), False),
        ("dhz.clerk1", "post", "/api/items", notice(unit_ids["XSZ"], attachments=[
            {"name": "a/b.txt", "content_base64": "aGk="}]), False),
        ("dhz.clerk1", "post", "/api/items", notice(unit_ids["XSZ"], attachments=[
            {"name": "说明.txt", "content_base64": "aGk"}]), False),
        ("dhz.clerk1", "post", "/api/items", notice(unit_ids["XSZ"], doc_kind="通知",
                                                    doc_number="东政发〔2026〕3号", attachments=[
            {"name": "说明.txt", "content_base64": "aGk="}]), True),
    ]
    who = None
    for account, method, path, body, valid in cases:
        errors = list(Validator(body_schema(doc, method, path)).iter_errors(body))
        assert (not errors) is valid, f"{path} {body}: the document says {errors or 'valid'}"
        if account != who:
            client.session.cookie_jar.clear()
            who = account
            _, logged_in = await api_login(client, account, DEMO_PASSWORD)
            csrf = logged_in["csrf_token"]
        resp = await client.request(method, path, json=body, headers={"X-CSRF-Token": csrf})
        if valid:
            assert resp.status == 200, f"{path} {body}: {await resp.text()}"
        else:
            assert resp.status in (400, 404), f"{path} {body}: {resp.status} {await resp.text()}"

    item = await demo_hub.items.issue(
        await demo_hub.identity.actor((await demo_hub.identity.user_by_login("jyj.clerk1")).id, "127.0.0.1"),
        ItemDraft(kind=ItemKind.DOCUMENT, urgency=Urgency.URGENT, title="退回用", body="",
                  main_units=(dhz,)))
    async with demo_hub.store.read() as tx:
        (delivery,) = await tx.deliveries.for_item(item.id)
    path = "/api/deliveries/{delivery_id}/return"
    assert list(Validator(body_schema(doc, "post", path)).iter_errors({"reason": "  "}))
    client.session.cookie_jar.clear()
    _, logged_in = await api_login(client, "dhz.clerk1", DEMO_PASSWORD)
    resp = await client.post(f"/api/deliveries/{delivery.id}/return", json={"reason": "  "},
                             headers={"X-CSRF-Token": logged_in["csrf_token"]})
    assert resp.status == 400


async def test_ids_in_paths_and_queries_are_documented_as_the_server_takes_them(
        client: TestClient) -> None:  # type: ignore[type-arg]
    doc = await fetch_doc(client)
    for path, item in doc["paths"].items():
        for method, op in item.items():
            for p in op.get("parameters", []):
                if (p["in"] == "path" and p["name"].endswith("_id")) or p["name"] in ("unit", "before"):
                    assert p["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}, \
                        f"{method} {path} {p['name']}"
                elif p["in"] == "path":          # a path word that is not an id: one of a few names
                    assert list(p["schema"]) == ["enum"], f"{method} {path} {p['name']}"
