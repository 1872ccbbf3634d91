"""The proxy trap (security review, issue 20, item 13): behind a reverse proxy that `serve` was not told
about, every reader has the proxy's address. Forwarded headers from an untrusted peer are never
believed, but now warned about once and shown by `/healthz?format=json`; and each per-address limit is
a `PAIDPDF_*` setting, shown by `db info`. A real waitress server, on both backends."""

from __future__ import annotations

import json
import logging
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from webtest import TestApp

from paidpdf.accounts import throttle
from paidpdf.admin.site_server import build_server, server_url
from paidpdf.config import Settings
from paidpdf.errors import ConfigError
from paidpdf.limits import Limits
from paidpdf.web import create_app
from tests.forms import form_for
from tests.web.site import Site

BOTH_BACKENDS = True

FORWARDED = {"X-Forwarded-For": "203.0.113.7", "Forwarded": "for=203.0.113.7;proto=https"}


@contextmanager
def _serving(site: Site, **options: Any) -> Iterator[str]:
    server = build_server(site.settings, host="127.0.0.1", port=0, store=site.store, **options)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield server_url(server)
    finally:
        server.close()
        thread.join(5)


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.status, answer.read().decode()


def _trap_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "paidpdf.serve" and "--trusted-proxy" in r.getMessage()]


def test_untrusted_forwarded_headers_are_warned_about_once_and_shown_in_healthz(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO), _serving(site) as url:
        assert json.loads(_get(url + "/healthz?format=json")[1]) == {
            "status": "ok", "problem": None, "untrusted_forwarded_headers_seen": False,
        }
        assert not _trap_warnings(caplog)
        for path in ("/", "/login", "/healthz"):
            assert _get(url + path, FORWARDED)[0] == 200
        health = json.loads(_get(url + "/healthz?format=json")[1])
        assert _get(url + "/healthz") == (200, "ok\n")  # the load balancers' plain answer is unchanged
    (warning,) = _trap_warnings(caplog)  # once, not per request
    assert warning.levelno == logging.WARNING and "X-Forwarded-For" in warning.getMessage()
    assert health["untrusted_forwarded_headers_seen"] is True and "--trusted-proxy" in health["hint"]
    lines = [r.getMessage() for r in caplog.records if r.name == "paidpdf.access"]
    assert lines and not any("203.0.113.7" in line for line in lines)


def test_a_declared_proxys_headers_raise_no_warning(site: Site, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO), _serving(site, trusted_proxy="127.0.0.1") as url:
        assert _get(url + "/", FORWARDED)[0] == 200
        health = json.loads(_get(url + "/healthz?format=json")[1])
    assert health["untrusted_forwarded_headers_seen"] is False and not _trap_warnings(caplog)


def _settings(site: Site, **env: str) -> Settings:
    base = {"PAIDPDF_DATABASE_URL": site.settings.database_url.reveal()} if site.settings.database_url else {}
    if site.settings.secret_key:
        base["PAIDPDF_SECRET_KEY"] = site.settings.secret_key.reveal()
    return Settings.from_env({**base, **env}, data_dir=site.data_dir)


def test_the_per_address_limits_are_settings(site: Site) -> None:
    settings = _settings(
        site, PAIDPDF_SIGNUPS_PER_ADDRESS="2", PAIDPDF_RESETS_PER_ADDRESS="2",
        PAIDPDF_SIGN_IN_LINKS_PER_ADDRESS="2", PAIDPDF_LOGIN_FAILURES_PER_ADDRESS="2",
    )
    app = TestApp(create_app(settings, store=site.store), extra_environ={"REMOTE_ADDR": "192.0.2.50"})

    def post(page: str, action: str, status: int, **fields: str) -> Any:
        form = form_for(app.get(page), action)
        for name, value in fields.items():
            form[name] = value
        return form.submit(status=status)

    for n in range(2):
        post("/signup", "/signup", 303, email=f"s{n}@example.com", password="a long enough pw")
        app.reset()
    assert "too many sign-ups" in post("/signup", "/signup", 429, email="s9@example.com",
                                       password="a long enough pw").text
    for n in range(2):
        post("/forgot", "/forgot", 303, email=f"r{n}@example.com")
    assert "too many reset requests" in post("/forgot", "/forgot", 429, email="r9@example.com").text
    for n in range(2):
        post("/login", "/login/link", 303, email=f"l{n}@example.com")
    assert "too many sign-in link requests" in post("/login", "/login/link", 429, email="l9@example.com").text
    for n in range(2):  # a different account each time: only the per-address limit can refuse
        post("/login", "/login", 400, email=f"f{n}@example.com", password="wrong password")
    post("/login", "/login", 429, email="f9@example.com", password="wrong password")
    assert throttle.limits() == Limits()  # in force only during the app's requests: nothing leaks
    # the defaults, for a shop that sets nothing
    assert Settings.from_env({}).limits == Limits()
    assert Limits().signups_per_address == throttle.SIGNUPS_PER_ADDRESS


def test_db_info_shows_the_limits_and_bad_values_are_refused(cli: Any) -> None:
    shown = json.loads(cli("db", "info", "--json", env={"PAIDPDF_CODE_HOLD_MINUTES": "3"}).stdout)["settings"]
    assert shown["PAIDPDF_CODE_HOLD_MINUTES"] == "3"
    assert shown["PAIDPDF_CHECKOUTS_PER_ADDRESS"] == "30" and shown["PAIDPDF_SIGNUPS_PER_ADDRESS"] == "10"
    table = cli("db", "info", env={"PAIDPDF_CHECKOUTS_PER_BROWSER": "4"})
    assert table.exit_code == 0 and "PAIDPDF_CHECKOUTS_PER_BROWSER" in table.stdout
    for name, value in (
        ("PAIDPDF_CODE_HOLD_MINUTES", "0"), ("PAIDPDF_CODE_HOLD_MINUTES", "ten"),
        ("PAIDPDF_CODE_HOLD_MINUTES", "31"), ("PAIDPDF_CHECKOUTS_PER_ADDRESS", "-5"),
        ("PAIDPDF_SIGNUPS_PER_ADDRESS", "1.5"),
    ):
        refused = cli("db", "info", env={name: value})
        assert refused.exit_code == 2 and name in refused.stderr and "Traceback" not in refused.stderr, value
        assert len(refused.stderr.strip().splitlines()) == 1
        with pytest.raises(ConfigError):
            Settings.from_env({name: value})
