"""Sign-in links by mail (a real SMTP server): single use, 15 minutes, opened read-only, same answer
for any address."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest

from paidpdf import clock
from paidpdf.accounts import sign_in_links
from paidpdf.config import Secret
from paidpdf.errors import InvalidInput
from tests.forms import form_for
from tests.smtp import SmtpServer
from tests.web.site import Site

BOTH_BACKENDS = True  # every site test here also runs on a shop migrated to PostgreSQL


@pytest.fixture
def mailing_site(site_with: Callable[..., Site], smtp: SmtpServer) -> Site:
    """The seeded site on the test's backend, mailing through a real SMTP server."""
    return site_with(smtp_url=Secret(f"smtp://127.0.0.1:{smtp.port}"))


def _ask(site: Site, email: str) -> str:
    form = form_for(site.app.get("/login"), "/login/link")
    form["email"] = email
    answer = form.submit(status=303)
    return answer.follow().text


def test_a_link_by_mail_signs_in_once(mailing_site: Site, smtp: SmtpServer) -> None:
    site = mailing_site
    for address in ("nobody@example.com", "Reader@Example.com"):
        assert "a sign-in link is on its way" in _ask(site, address)  # the same answer for both
    assert site.app.app.web.mailer.drain(10)
    (message,) = smtp.inbox.messages
    assert message["To"] == "reader@example.com" and message["Subject"].startswith("Sign in to")
    path = re.search(r"http://127\.0\.0\.1:8080(/signin/[A-Za-z0-9_-]+)", message.get_content()).group(1)  # type: ignore[union-attr]

    for _ in range(2):  # opening the link (a mail scanner does) uses nothing up
        page = site.app.get(path)
        assert page.headers["Cache-Control"] == "no-store" and "Sign in" in page.text
    done = form_for(page, path).submit(status=303)
    assert done.location == "/library"
    assert "reader@example.com" in site.app.get("/library").text
    with pytest.raises(InvalidInput, match="already used"):  # the link is spent
        sign_in_links.sign_in(site.store, path.rsplit("/", 1)[1])
    spent = site.app.get(path, status=400)
    assert "already used" in spent.text and spent.html.find("a", href="/login") is not None


def test_a_link_expires_after_15_minutes(mailing_site: Site, smtp: SmtpServer) -> None:
    site = mailing_site
    _ask(site, "reader@example.com")
    assert site.app.app.web.mailer.drain(10)
    token = re.search(r"/signin/([A-Za-z0-9_-]+)", smtp.inbox.messages[0].get_content()).group(1)  # type: ignore[union-attr]
    later = clock.now() + sign_in_links.LIFETIME + timedelta(seconds=1)
    assert sign_in_links.link_valid(site.store, token)
    assert not sign_in_links.link_valid(site.store, token, now=later)
    with pytest.raises(InvalidInput, match="expired"):
        sign_in_links.sign_in(site.store, token, now=later)
    assert sign_in_links.sign_in(site.store, token)["email"] == "reader@example.com"  # still in time


def test_requests_are_throttled_like_resets(mailing_site: Site) -> None:
    site = mailing_site
    statuses = []
    for _ in range(5):
        form = form_for(site.app.get("/login"), "/login/link")
        form["email"] = "reader@example.com"
        statuses.append(form.submit(status="*").status_int)
    assert statuses[:3] == [303, 303, 303] and statuses[-1] == 429
