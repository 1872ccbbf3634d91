"""The route table is the site: every route Bottle answers is in it, and login rules hold per route."""

from __future__ import annotations

import pytest

from paidpdf.web.routes import ROUTES
from tests.web.site import Site

BOTH_BACKENDS = True  # tests/conftest.py: each test runs on the data folder and on PostgreSQL

LOGIN_ONLY = {
    ("GET", "/library"),
    ("GET", "/account/password"),
    ("POST", "/account/password"),
    ("POST", "/account/updates"),
    ("POST", "/membership/manage"),
    ("POST", "/library/feed-link"),
    ("GET", "/orders/<order_id>/invoice"),
}


def test_the_app_answers_exactly_the_table(site: Site) -> None:
    served = {(r.method, r.rule) for r in site.app.app.routes}
    listed = {(m, r.path) for r in ROUTES for m in r.methods}
    assert served == listed


@pytest.mark.parametrize("path", sorted(p for m, p in LOGIN_ONLY if m == "GET"))
def test_anonymous_get_of_a_guarded_page_goes_to_login(site: Site, path: str) -> None:
    path = path.replace("<order_id>", "ord_1")  # a route with an argument: any value is guarded
    answer = site.app.get(path, status=302)
    assert answer.headers["Location"].startswith("/login?next=" + path.split("?")[0])
