"""Whether an email has an account must not show in how long the shop takes to answer: logins and
reset requests for existing and unknown addresses, with production argon2, through the real app."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from webtest import TestApp

from paidpdf.accounts import users
from tests.forms import form_for
from tests.web.site import copy_seed, make_site

pytestmark = [pytest.mark.slow, pytest.mark.solo]  # timings: alone, even under xdist

TRIES = 15  #: logins: each one costs a real argon2 check
RESET_TRIES = 41  #: resets cost milliseconds: more tries steady the median on a noisy machine
EXISTING = [f"member{i}@example.com" for i in range(RESET_TRIES)]
UNKNOWN = [f"stranger{i}@example.com" for i in range(RESET_TRIES)]


def _medians(
    one: Callable[[str, int], None], tries: int, settle: Callable[[], object] = lambda: None
) -> tuple[float, float]:
    """Alternate existing / unknown as A B B A ... (a noisy machine, or the mail queue's disk writes
    after an existing one, slow whichever comes next alike); each try from its own address."""
    times: dict[bool, list[float]] = {True: [], False: []}
    for i in range(tries):
        pair = [(True, EXISTING[i]), (False, UNKNOWN[i])]
        for exists, email in pair if i % 2 == 0 else pair[::-1]:
            settle()
            began = time.perf_counter()
            one(email, 2 * i + int(exists))
            times[exists].append(time.perf_counter() - began)
    return statistics.median(times[True]), statistics.median(times[False])


def _client(site_app: object, n: int) -> TestApp:
    return TestApp(site_app, extra_environ={"REMOTE_ADDR": f"198.51.{n // 200}.{n % 200 + 1}"})


def test_login_costs_the_same_for_existing_and_unknown_emails(
    seeded_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = copy_seed(seeded_template, tmp_path / "data")
    monkeypatch.setenv("PAIDPDF_ARGON2_PROFILE", "production")
    site = make_site(data)
    for email in EXISTING[:TRIES]:
        users.sign_up(site.store, email, "the right password")
    clients = {n: _client(site.app.app, n) for n in range(2 * TRIES)}
    forms = {n: form_for(c.get("/login"), "/login") for n, c in clients.items()}

    def attempt(email: str, n: int) -> None:
        form = forms[n]
        form["email"], form["password"] = email, "a wrong password"
        form.submit(status=400)

    existing, unknown = _medians(attempt, TRIES)
    print(f"login median: existing {existing * 1000:.1f} ms, unknown {unknown * 1000:.1f} ms")
    assert existing > 0.02  # the real argon2 check ran (tens of milliseconds)
    assert max(existing, unknown) / min(existing, unknown) <= 1.3


def test_reset_requests_cost_the_same_for_existing_and_unknown_emails(
    seeded_template: Path, tmp_path: Path
) -> None:
    data = copy_seed(seeded_template, tmp_path / "data")
    site = make_site(data)
    for email in EXISTING:
        users.sign_up(site.store, email, "the right password")
    clients = {n: _client(site.app.app, n) for n in range(2 * RESET_TRIES)}
    forms = {n: form_for(c.get("/forgot"), "/forgot") for n, c in clients.items()}

    def attempt(email: str, n: int) -> None:
        form = forms[n]
        form["email"] = email
        form.submit(status=303)

    # Each answer is timed on its own: the previous request's queued mail is written first (an
    # attacker's timing sees that write land on whatever request comes next, whichever the email).
    existing, unknown = _medians(attempt, RESET_TRIES, settle=lambda: site.app.app.web.mailer.drain(30))
    print(f"reset median: existing {existing * 1000:.2f} ms, unknown {unknown * 1000:.2f} ms")
    assert max(existing, unknown) / min(existing, unknown) <= 1.3
    assert site.app.app.web.mailer.drain(30)
    assert len(list((data / "outbox").glob("*.eml"))) == RESET_TRIES  # the mails did go, from the queue
