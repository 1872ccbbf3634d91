"""Web rules that need no shop: safe redirects, query and range parsing, download headers, the CSP, the
route table's login rules, when a secret key is required (so they run once, outside the BOTH_BACKENDS
modules that hold the site tests)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from paidpdf.config import Secret, Settings
from paidpdf.content import browse
from paidpdf.errors import ConfigError, InvalidInput
from paidpdf.web import ranges, security
from paidpdf.web.guards import needs_login
from paidpdf.web.routes import ROUTES
from tests.web.site import make_site
from tests.web.test_routes import LOGIN_ONLY


@pytest.mark.parametrize(
    ("base_url", "bind"),
    [
        ("https://shop.example.com", None),
        ("http://127.0.0.1:8080", "0.0.0.0"),
        ("http://10.0.0.5", "10.0.0.5"),
    ],
)
def test_secret_key_required_when_reachable(site_dir: Path, base_url: str, bind: str | None) -> None:
    settings = Settings.from_env({"PAIDPDF_BASE_URL": base_url}, data_dir=site_dir)
    with pytest.raises(ConfigError, match="PAIDPDF_SECRET_KEY must be set"):
        security.load_secret_key(settings, bind)
    keyed = settings.replace(secret_key=Secret("s" * 40))
    assert security.load_secret_key(keyed, bind) == b"s" * 40
    with pytest.raises(ConfigError, match="too short"):
        security.load_secret_key(settings.replace(secret_key=Secret("short")), bind)


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        ("/library", "/library"),
        ("/content/x?y=1", "/content/x?y=1"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/a\nb", "/"),
        ("", "/"),
        (None, "/"),
        ("/é", "/"),
    ],
)
def test_safe_next(candidate: str | None, expected: str) -> None:
    assert security.safe_next(candidate, "/") == expected


@given(st.text(max_size=60))
def test_safe_next_never_leaves_the_site(candidate: str) -> None:
    target = security.safe_next(candidate, "/home")
    assert target == "/home" or (
        target == candidate and target.startswith("/") and target[1:2] not in ("/", "\\") and target.isascii()
    )
    assert "\\" not in target and "\n" not in target and "\r" not in target


def test_safe_next_matches_the_whole_path() -> None:
    for bad in ("/library\n", "/library\r\n", "/\n", "/library\nSet-Cookie: x=1"):
        assert security.safe_next(bad, "/fallback") == "/fallback"
    assert security.safe_next("/library?x=1", "/fallback") == "/library?x=1"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=12), st.text(max_size=120), st.text(max_size=12), st.text(max_size=50))
@example("", "", "", "0" * 39 + " 0")  # cut at 40 characters after a space: the tag kept a trailing space
@example("", "q" * 99 + " b", "", "")  # the same for a search cut at MAX_SEARCH
def test_parse_query_accepts_or_explains_any_input(page: str, q: str, sort: str, tag: str) -> None:
    try:
        parsed = browse.parse_query(page, q, sort, tag)
    except InvalidInput as exc:
        assert exc.message
        return
    assert parsed.page >= 1 and parsed.sort in browse.SORTS and len(parsed.q) <= browse.MAX_SEARCH
    assert browse.parse_query(str(parsed.page), parsed.q, parsed.sort, parsed.tag) == parsed


@given(size=st.integers(0, 10_000), start=st.integers(0, 12_000), length=st.integers(1, 12_000))
def test_parse_range_model(size: int, start: int, length: int) -> None:
    end = start + length - 1
    header = f"bytes={start}-{end}"
    if start >= size:
        try:
            ranges.parse_range(header, size)
        except ranges.Unsatisfiable:
            return
        raise AssertionError("expected 416")
    got = ranges.parse_range(header, size)
    assert got == ranges.ByteRange(start, min(end, size - 1))


@given(st.text(max_size=40))
def test_parse_range_never_crashes(header: str) -> None:
    try:
        got = ranges.parse_range(header, 1000)
    except ranges.Unsatisfiable:
        return
    assert got is None or 0 <= got.start <= got.end < 1000


@given(st.text(min_size=1, max_size=60))
def test_content_disposition_is_always_a_safe_header(name: str) -> None:
    header = ranges.content_disposition(name)
    header.encode("latin-1")
    assert "\r" not in header and "\n" not in header
    plain = re.match(r'attachment; filename="([^"]*)"', header)
    assert plain is not None and plain.group(1).isascii() and "\\" not in plain.group(1)


def test_the_csp_only_lets_forms_post_here_and_to_checkout(site_dir: Path) -> None:
    """Checkout's origin for Buy and Join, the customer portal's for "Manage membership" (a POST
    answered by a redirect there: browsers apply form-action to it), nothing else."""
    plain = make_site(site_dir).app.get("/").headers["Content-Security-Policy"]
    assert "form-action 'self' https://checkout.stripe.com https://billing.stripe.com;" in plain + ";"
    wired = Settings.from_env({"STRIPE_API_BASE": "http://127.0.0.1:12111/"}, data_dir=site_dir)
    csp = make_site(site_dir, wired).app.get("/").headers["Content-Security-Policy"]
    stripe = "https://checkout.stripe.com https://billing.stripe.com"
    assert f"form-action 'self' {stripe} http://127.0.0.1:12111" in csp


def test_login_rules_are_on_the_handlers_the_table_names() -> None:
    guarded = {(m, r.path) for r in ROUTES for m in r.methods if needs_login(r.handler)}
    assert guarded == LOGIN_ONLY
