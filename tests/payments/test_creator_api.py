"""The creator API (`/api/v1/`, docs/api.md) end to end: keys made by the real CLI, every endpoint
called with a read-only and a full key over the real app, every answer checked against the OpenAPI
document the app serves (itself validated), writes through the same domain as the CLI, pagination
over 10,000 orders, on the data folder and on PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import pytest
from openapi_spec_validator import validate
from typer.testing import CliRunner
from webtest import TestApp, TestResponse

from tests.cli_app import paidpdf_app
from tests.payments.shop import BUYER, OTHER, PAID, Shop

BOTH_BACKENDS = True


def _cli(shop: Shop, *args: str) -> Any:
    return CliRunner().invoke(paidpdf_app(), ["--data", str(shop.data_dir), *args], env=shop.cli_env())


def _key(shop: Shop, *extra: str) -> str:
    made = _cli(shop, "api-keys", "add", "tests", *extra)
    assert made.exit_code == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("ppk_")
    return token


class Api:
    """Calls with a key, each answer checked against the served OpenAPI document."""

    def __init__(self, app: TestApp, token: str, spec: dict[str, Any]) -> None:
        self.app, self.token, self.spec = app, token, spec
        self.called: set[tuple[str, str]] = set()  # (method, path template) answered

    def call(self, method: str, path: str, body: Any = None, expect: int = 200, **query: Any) -> TestResponse:
        headers = {"Authorization": f"Bearer {self.token}"}
        url = "/api/v1" + path
        if method == "GET":
            res = self.app.get(url, params=query, headers=headers, status="*")
        else:
            res = self.app.post_json(url, body or {}, headers=headers, status="*")
        assert res.status_int == expect, (path, res.status, res.text)
        check_against(self.spec, method, path, res)
        self.called.add((method, _template(self.spec, path)))
        return res


def check_against(spec: dict[str, Any], method: str, path: str, res: TestResponse) -> None:
    template = _template(spec, path)
    answer = spec["paths"][template][method.lower()]["responses"][str(res.status_int)]
    schema = {**answer["content"]["application/json"]["schema"], "components": spec["components"]}
    jsonschema.Draft202012Validator(schema).validate(res.json)


def _template(spec: dict[str, Any], path: str) -> str:
    for template in spec["paths"]:
        if re.fullmatch(re.sub(r"\{\w+\}", "[^/]+", template.removeprefix("/api/v1")), path):
            return template
    raise AssertionError(f"{path} is not in the OpenAPI document")


@pytest.fixture
def spec(shop: Shop) -> dict[str, Any]:
    doc = shop.app.get("/api/v1/openapi.json").json
    validate(doc)  # a valid OpenAPI 3.1 document
    assert doc["openapi"] == "3.1.0"
    return doc


def _paid_order(shop: Shop) -> dict[str, Any]:
    shop.login()
    order, session_id = shop.buy()
    shop.sl.pay(session_id)
    shop.app.get(f"/checkout/success?session_id={session_id}")
    return shop.order(order["id"])


def test_every_endpoint_with_a_read_only_and_a_full_key(shop: Shop, spec: dict[str, Any]) -> None:
    assert _cli(shop, "content", "edit", PAID, "--license-keys").exit_code == 0
    order = _paid_order(shop)
    full = Api(shop.app, _key(shop), spec)
    reader = Api(shop.app, _key(shop, "--read-only"), spec)
    buyer = shop.user(BUYER)
    for api in (reader, full):
        items = api.call("GET", "/items").json["data"]
        assert PAID in {i["id"] for i in items} and all(isinstance(i["price"], int) for i in items)
        assert api.call("GET", f"/items/{PAID}").json["id"] == PAID
        api.call("GET", "/items/no-such-item", expect=404)
        listed = api.call("GET", "/orders").json
        assert [o["id"] for o in listed["data"]] == [order["id"]] and listed["next_cursor"] is None
        assert api.call("GET", f"/orders/{order['id']}").json["status"] == "paid"
        api.call("GET", "/orders/ord_missing", expect=404)
        assert api.call("GET", "/orders", expect=400, status="x").json["error"]["type"] == "invalid_input"
        assert {c["email"] for c in api.call("GET", "/customers").json["data"]} >= {BUYER, OTHER}
        detail = api.call("GET", f"/customers/{buyer['id']}").json
        assert [h["content_id"] for h in detail["items"] if not h["revoked"]] == [PAID]
        assert api.call("GET", f"/customers/{BUYER}").json["id"] == buyer["id"]
        keys = api.call("GET", "/license-keys").json["data"]
        assert len(keys) == 1 and keys[0]["item"] == PAID and keys[0]["email"] == BUYER
        assert api.call("GET", f"/license-keys/{keys[0]['id']}").json["state"] == "active"
    key_id = keys[0]["id"]

    writes = [
        ("/grants", {"email": OTHER, "item_id": PAID}),
        ("/revocations", {"email": OTHER, "item_id": PAID}),
        (f"/license-keys/{key_id}/disable", None),
        (f"/license-keys/{key_id}/enable", None),
        (f"/orders/{order['id']}/refund", None),
    ]
    before = shop.written("sales")
    for path, body in writes:
        refused = reader.call("POST", path, body, expect=403).json
        assert refused["error"] == {"type": "access_denied", "message": "this API key is read-only"}
    assert shop.written("sales") == before

    granted = full.call("POST", "/grants", {"email": OTHER, "item_id": PAID}).json
    assert granted == {"email": OTHER, "item_id": PAID, "changed": True} and shop.owns(PAID, OTHER)
    assert full.call("POST", "/grants", {"email": OTHER, "item_id": PAID}).json["changed"] is False
    full.call("POST", "/revocations", {"email": OTHER, "item_id": PAID})
    assert not shop.owns(PAID, OTHER)
    full.call("POST", "/revocations", {"email": OTHER, "item_id": PAID}, expect=404)
    assert full.call("POST", f"/license-keys/{key_id}/disable").json["state"] == "disabled"
    assert full.call("POST", f"/license-keys/{key_id}/enable").json["state"] == "active"
    full.call("POST", "/grants", {"email": OTHER}, expect=400)
    full.call("POST", "/grants", {"email": OTHER, "item_id": 5}, expect=400)
    full.call("POST", "/grants", {"email": "nobody@example.com", "item_id": PAID}, expect=404)
    refunded = full.call("POST", f"/orders/{order['id']}/refund").json
    assert refunded["status"] == "refunded" and refunded["refunded_amount"] == order["amount"]
    assert not shop.owns(PAID, BUYER)
    assert full.call("POST", f"/orders/{order['id']}/refund", expect=409).json["error"]["type"] == "conflict"
    every = {
        (m.upper(), p) for p, ops in spec["paths"].items() for m in ops if not p.endswith("openapi.json")
    }
    assert len(every) == 13 and full.called == every and reader.called == every


def test_no_key_a_wrong_key_and_a_revoked_key_get_401_and_cookies_are_no_authority(
    shop: Shop, spec: dict[str, Any]
) -> None:
    token = _key(shop)
    app = shop.login()  # a signed-in browser: its cookie must count for nothing here
    for headers in (
        {},
        {"Authorization": "Bearer ppk_nope_nope"},
        {"Authorization": f"Basic {token}"},
        {"Authorization": f"Bearer {token[:-2]}xx"},
    ):
        res = app.get("/api/v1/orders", headers=headers, status=401)
        assert res.json["error"]["type"] == "auth_required"
        check_against(spec, "GET", "/orders", res)
    assert app.get("/api/v1/orders", headers={"Authorization": f"Bearer {token}"}).status_int == 200
    key_id = token.split("_")[1]
    listed = _cli(shop, "api-keys", "list", "--json")
    assert key_id in listed.stdout and token not in listed.stdout and "hash" not in listed.stdout
    assert _cli(shop, "api-keys", "revoke", key_id).exit_code == 0
    app.get("/api/v1/orders", headers={"Authorization": f"Bearer {token}"}, status=401)
    assert _cli(shop, "api-keys", "revoke", "nope").exit_code == 3
    missing = app.get("/api/v1/nothing-here", headers={"Authorization": f"Bearer {token}"}, status=404)
    assert missing.json["error"]["type"] == "not_found"
    assert token not in str(shop.store.export("accounts"))  # only its keyed hash is kept


def test_a_key_over_its_rate_gets_429(shop: Shop) -> None:
    token = _key(shop)
    shop.app.app.web.api_rate.per_minute = 3
    headers = {"Authorization": f"Bearer {token}"}
    codes = [shop.app.get("/api/v1/items", headers=headers, status="*").status_int for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and 429 in codes[3:]
    limited = shop.app.get("/api/v1/items", headers=headers, status=429)
    assert int(limited.headers["Retry-After"]) >= 1


def test_pagination_over_ten_thousand_orders(shop: Shop, spec: dict[str, Any]) -> None:
    with shop.store.unit("sales") as unit:
        for n in range(10_000):
            unit.put(
                "orders",
                {
                    "id": f"ord_{n:06d}",
                    "status": "paid" if n % 4 else "refunded",
                    "content_id": PAID,
                    "user_id": None,
                    "buyer": f"b{n % 7}@example.com",
                    "amount": 500,
                    "currency": "usd",
                    "created_at": f"2026-01-{1 + n % 28:02d}T00:00:00Z",
                    "paid_at": None,
                    "updated_at": None,
                    "history": [],
                },
            )
    api = Api(shop.app, _key(shop, "--read-only"), spec)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = {"limit": 500, **({"cursor": cursor} if cursor else {})}
        page = api.call("GET", "/orders", **query).json
        seen += [o["id"] for o in page["data"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 20 and len(seen) == len(set(seen)) == 10_000
    filtered: list[str] = []
    cursor = None
    while True:
        query = {
            "limit": 300,
            "status": "refunded",
            "email": "b3@example.com",
            "created_gte": "2026-01-05",
            "created_lt": "2026-01-26",
            **({"cursor": cursor} if cursor else {}),
        }
        page = api.call("GET", "/orders", **query).json
        filtered += [o["id"] for o in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    expected = {f"ord_{n:06d}" for n in range(10_000) if n % 4 == 0 and n % 7 == 3 and 5 <= 1 + n % 28 < 26}
    assert set(filtered) == expected and len(filtered) == len(expected) > 0
    api.call("GET", "/orders", expect=400, cursor="garbage!")
    api.call("GET", "/orders", expect=400, limit=0)
