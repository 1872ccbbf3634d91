"""Security headers on every response, the secret-key rules, and `paidpdf serve` refusing to run
exposed without a key."""

from __future__ import annotations

import re
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from paidpdf.accounts import throttle
from paidpdf.config import Settings
from paidpdf.web import security
from tests.data_files import on_disk
from tests.web.site import BIG, FREE, PAID, Site, copy_seed, logged_in, login, make_site

BOTH_BACKENDS = True  # tests/conftest.py: each test with a `site` runs on the data folder and on PostgreSQL

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _check(res: object) -> None:
    headers = res.headers  # type: ignore[attr-defined]
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    for name, value in EXPECTED.items():
        assert headers[name] == value


def test_security_headers_on_every_response(site: Site) -> None:
    app = site.app
    cover = site.item(PAID)["cover"]
    responses = [
        app.get("/"),
        app.get(f"/content/{PAID}"),
        app.get("/login"),
        app.get("/signup"),
        app.get("/forgot"),
        app.get("/reset/bogus", status=400),
        app.get("/healthz"),
        app.get(app.get("/").html.find("link", attrs={"rel": "stylesheet"})["href"]),
        app.get(f"/covers/{cover}"),
        app.get(f"/content/{PAID}/download", status=302),
        app.get("/nope", status=404),
        app.post("/", status=405),
        app.post("/login", {"email": "x"}, status=403),
        app.post("/login", {"email": "x" * (2 << 20)}, status=413),
    ]
    for _ in range(throttle.FREE_FAILURES):
        login(app, "owner@example.com", "wrong password", status=400)
    responses.append(login(app, "owner@example.com", "wrong password", status=429))
    logged_in(site, "reader")
    responses += [
        app.get("/library"),
        app.get("/account/password"),
        app.get(f"/content/{FREE}/download"),
        app.head(f"/content/{FREE}/download"),
        app.get(f"/content/{BIG}/download", headers={"Range": "bytes=0-9"}, status=206),
        app.get(f"/content/{BIG}/download", headers={"Range": f"bytes={10**12}-"}, status=416),
        app.get(f"/content/{PAID}/download", status=403),
    ]
    etag = app.head(f"/content/{FREE}/download").headers["ETag"]
    responses.append(app.get(f"/content/{FREE}/download", headers={"If-None-Match": etag}, status=304))
    for res in responses:
        _check(res)


@pytest.mark.embedded_only(reason="a damaged data file (PostgreSQL's outage: test_postgres_shop.py)")
def test_security_headers_on_an_error_page(site: Site) -> None:
    site.store.path("catalog").write_bytes(b"{broken")
    _check(site.app.get("/", status=500))


@pytest.mark.embedded_only(reason="a key generated into the data folder (PostgreSQL requires one)")
def test_generated_secret_key_is_kept_private_and_reused(site_dir: Path) -> None:
    settings = Settings.from_env({}, data_dir=site_dir)
    (site_dir / security.SECRET_FILE).unlink(missing_ok=True)
    first = security.load_secret_key(settings, "127.0.0.1")
    path = site_dir / security.SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert security.load_secret_key(settings, "::1") == first
    # a form rendered by one process is accepted by another (same key from the file)
    one, two = make_site(site_dir), make_site(site_dir)
    page = one.app.get("/login")
    token = page.html.find("input", attrs={"name": "csrf_token"})["value"]
    two.app.set_cookie("paidpdf_csrf", one.app.cookies["paidpdf_csrf"])
    res = two.app.post(
        "/login", {"csrf_token": token, "email": "reader@example.com", "password": "x" * 9}, status=400
    )
    assert "wrong email or password" in res.text


@pytest.mark.embedded_only(reason="the data folder's generated key (PostgreSQL requires one)")
def test_serve_refuses_public_address_without_key(
    cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAIDPDF_SECRET_KEY", raising=False)
    monkeypatch.delenv("PAIDPDF_BASE_URL", raising=False)
    result = cli("serve", "--host", "0.0.0.0", "--port", "0")
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("Error: PAIDPDF_SECRET_KEY must be set")
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.embedded_only(reason="the hard-linked copy of the seeded data folder")
def test_seed_copy_is_independent(seeded_template: Path, tmp_path: Path) -> None:
    """The hard-linked copies really are independent shops (data files are replaced, not rewritten)."""
    a = make_site(copy_seed(seeded_template, tmp_path / "a"))
    b = make_site(copy_seed(seeded_template, tmp_path / "b"))
    login(a.app, "reader@example.com")
    assert b.store.view("accounts").count("sessions") < a.store.view("accounts").count("sessions")


def test_every_post_route_checks_csrf(site: Site) -> None:
    """Walks the app's route table, so a POST route added later without a CSRF check fails here.
    Only the routes that read no cookie are exempt (`routes.COOKIELESS`): the Stripe webhook (Stripe
    signs it; browsers cannot forge the signature) and the license API (no session, so nothing to
    forge; tests/payments/test_licenses.py proves it ignores cookies); the one-click unsubscribe
    carries its own keyed token instead, and a forged one is a 403 like CSRF."""
    from paidpdf.web.routes import COOKIELESS, cookieless

    assert {"/stripe/webhook", "/v2/licenses/verify", "/v1/licenses/activate",
                          "/v1/licenses/validate", "/v1/licenses/deactivate"} == COOKIELESS
    app = logged_in(site, "reader")
    api = [r for r in site.app.app.routes if r.method == "POST" and r.rule.startswith("/api/v1/")]
    assert len(api) >= 5 and all(cookieless(r.rule) for r in api)
    # the creator API: a session cookie is no authority there, only a bearer key (the catch-all: 404)
    for route in api[:-1] if api[-1].rule == "/api/v1/<rest:path>" else api:
        res = app.post_json(re.sub(r"<[^>]+>", PAID, route.rule), {"email": "x@example.com"}, status="*")
        assert res.status_int == 401, (route.rule, res.status)
        assert res.json["error"]["type"] == "auth_required"
    routes = [r for r in site.app.app.routes if r.method == "POST" and not cookieless(r.rule)]
    assert {"/login", "/signup", "/logout", "/forgot", "/account/password"} <= {r.rule for r in routes}
    before = {name: on_disk(site.data_dir, name) for name in ("accounts", "sales", "catalog")}
    for route in routes:
        path = re.sub(r"<[^>]+>", PAID, route.rule)
        res = app.post(path, {"csrf_token": "forged", "email": "x@example.com"}, status="*")
        assert res.status_int == 403, (route.rule, res.status)
    assert before == {name: on_disk(site.data_dir, name) for name in before}


