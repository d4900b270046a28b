"""The OpenAPI document describes exactly the JSON API the server really has, truthfully."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import pytest
from aiohttp.test_utils import TestClient

import webapp.app  # noqa: F401  (importing the app registers every route)
from hub.services.demo import DEMO_PASSWORD
from tests.web.conftest import api_login
from tests.web.test_permission_matrix import EXPECTED, ROLE_ACCOUNTS
from webapp.routing import ROUTES

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
# JSON routes deliberately served outside /api/ (each listed here on purpose)
JSON_OUTSIDE_API = {("GET", "/healthz"), ("POST", "/_test/clock"), ("POST", "/_test/drop-sockets")}
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
                found.append((f"{where} {status}", r["content"]["application/json"]["schema"]))
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
    assert doc["components"]["securitySchemes"]["session"] == {
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
    declared = {(s.method, s.path) for s in ROUTES if s.json}
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
        if not spec.json:
            continue
        op = doc["paths"][spec.path][spec.method.lower()]
        if spec.public:
            assert "security" not in op, spec.path
        else:
            assert op["security"] == [{"session": []}], spec.path
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
