"""Free items reach the library: the first download records them (source "free"), exactly once, and
the reader keeps them when the item is later retired or given a price."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paidpdf.content import catalog
from paidpdf.ownership import library
from tests.web.site import FREE, PAID, Site, logged_in, login

BOTH_BACKENDS = True  # every site test here also runs on PostgreSQL


@pytest.fixture
def data_dir(site_dir: Path) -> Path:
    """The shared `cli` fixture runs against the seeded site's folder."""
    return site_dir


def _entries(site: Site, email: str) -> list[dict[str, object]]:
    view = site.store.view(library.SALES)
    return library.for_user(view, site.user(email)["id"], include_revoked=True)


def test_downloading_a_free_item_adds_it_to_the_library_once(site: Site) -> None:
    app = logged_in(site, "reader")
    assert FREE not in [e["content_id"] for e in _entries(site, "reader@example.com")]
    assert FREE not in app.get("/library").text
    for _ in range(3):
        assert app.get(f"/content/{FREE}/download").body == site.content_bytes(FREE)
    rows = [e for e in _entries(site, "reader@example.com") if e["content_id"] == FREE]
    assert len(rows) == 1
    assert rows[0]["source"] == "free" and rows[0]["order_id"] is None
    assert f'href="/content/{FREE}"' in app.get("/library").text


def test_a_free_item_taken_is_kept_after_it_is_priced_or_retired(site: Site) -> None:
    app = logged_in(site, "reader")
    app.get(f"/content/{FREE}/download", status=200)
    catalog.set_price(site.store, FREE, "3.00", "usd")
    assert app.get(f"/content/{FREE}/download").body == site.content_bytes(FREE)
    catalog.retire(site.store, FREE)
    assert app.get(f"/content/{FREE}/download").body == site.content_bytes(FREE)
    assert f'href="/content/{FREE}"' in app.get("/library").text
    # a reader who never took it gets nothing once it is paid and retired
    other = site.app
    other.reset()
    login(other, "owner@example.com")
    other.get(f"/content/{FREE}/download", status=404)


def test_a_paid_download_by_its_owner_does_not_change_its_source(site: Site) -> None:
    app = logged_in(site, "owner")
    app.get(f"/content/{PAID}/download", status=200)
    rows = [e for e in _entries(site, "owner@example.com") if e["content_id"] == PAID]
    assert [r["source"] for r in rows] == ["granted"]


def test_users_show_says_the_item_was_free(site: Site) -> None:
    logged_in(site, "reader").get(f"/content/{FREE}/download", status=200)
    result = site.cli("users", "show", "reader@example.com", "--json")
    assert result.exit_code == 0, result.stderr
    shown = json.loads(result.stdout)
    text = json.dumps(shown)
    assert FREE in text
    owned = [r for r in _walk(shown) if r.get("content_id") == FREE]
    assert owned and owned[0]["source"] == "free"


def _walk(value: object) -> list[dict[str, object]]:
    """Every dict inside the JSON (the shape of `users show --json` belongs to the accounts area)."""
    found: list[dict[str, object]] = []
    if isinstance(value, dict):
        found.append(value)
        for inner in value.values():
            found.extend(_walk(inner))
    elif isinstance(value, list):
        for inner in value:
            found.extend(_walk(inner))
    return found
