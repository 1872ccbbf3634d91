"""Whether an email has an account must not show in how long the shop takes to answer: logins, sign-ups
and reset requests for existing and unknown addresses, with production argon2, through the real app."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from webtest import TestApp

from paidpdf.accounts import users
from tests.forms import form_for
from tests.web.site import Site, copy_seed, make_site

pytestmark = [pytest.mark.slow, pytest.mark.solo]  # timings: alone, even under xdist

TRIES = 15  #: logins: each one costs a real argon2 check
RESET_TRIES = 41  #: resets cost milliseconds: more tries steady the median on a noisy machine
#: A measurement that shows a gap is taken again, up to this many times, each from fresh addresses
#: and clients: a burst of load from elsewhere (another engineer's build, a cron job) skews one
#: measurement, while a real difference between existing and unknown emails shows in every one.
MEASUREMENTS = 3
LIMIT = 1.3  #: the largest allowed ratio of the two medians
EXISTING = [f"member{i}@example.com" for i in range(RESET_TRIES * MEASUREMENTS)]
UNKNOWN = [f"stranger{i}@example.com" for i in range(RESET_TRIES * MEASUREMENTS)]


def _medians(
    one: Callable[[str, int], None], tries: int, first: int, settle: Callable[[], object] = lambda: None
) -> tuple[float, float]:
    """Alternate existing / unknown as A B B A ... (a noisy machine, or the mail queue's disk writes
    after an existing one, slow whichever comes next alike); each try from its own address, the
    addresses from `first` on."""
    times: dict[bool, list[float]] = {True: [], False: []}
    for i in range(first, first + tries):
        pair = [(True, EXISTING[i]), (False, UNKNOWN[i])]
        for exists, email in pair if i % 2 == 0 else pair[::-1]:
            settle()
            began = time.perf_counter()
            one(email, 2 * (i - first) + int(exists))
            times[exists].append(time.perf_counter() - began)
    return statistics.median(times[True]), statistics.median(times[False])


def _client(site_app: object, n: int) -> TestApp:
    return TestApp(site_app, extra_environ={"REMOTE_ADDR": f"198.51.{n // 200}.{n % 200 + 1}"})


def _ratios(
    site: Site, path: str, tries: int, submit: Callable[[Any, str], None], settle: Callable[[], object]
) -> list[float]:
    """Measure existing against unknown emails on the form at `path` until the two medians are within
    `LIMIT` (at most `MEASUREMENTS` times, each with fresh accounts, addresses and clients); the
    ratio of each measurement, the last one deciding."""
    ratios: list[float] = []
    for measurement in range(MEASUREMENTS):
        first = measurement * tries
        for email in EXISTING[first : first + tries]:
            users.sign_up(site.store, email, "the right password")
        base = 2 * first  # fresh clients (their own addresses) for each measurement
        clients = {n: _client(site.app.app, base + n) for n in range(2 * tries)}
        forms = {n: form_for(c.get(path), path) for n, c in clients.items()}

        def attempt(email: str, n: int, forms: dict[int, Any] = forms) -> None:
            submit(forms[n], email)

        existing, unknown = _medians(attempt, tries, first, settle=settle)
        print(f"{path} median: existing {existing * 1000:.2f} ms, unknown {unknown * 1000:.2f} ms")
        ratios.append(max(existing, unknown) / min(existing, unknown))
        if ratios[-1] <= LIMIT:
            break
    return ratios


def test_login_costs_the_same_for_existing_and_unknown_emails(
    seeded_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = copy_seed(seeded_template, tmp_path / "data")
    monkeypatch.setenv("PAIDPDF_ARGON2_PROFILE", "production")
    site = make_site(data)
    spent: list[float] = []

    def submit(form: Any, email: str) -> None:
        form["email"], form["password"] = email, "a wrong password"
        began = time.perf_counter()
        form.submit(status=400)
        spent.append(time.perf_counter() - began)

    ratios = _ratios(site, "/login", TRIES, submit, settle=lambda: None)
    assert statistics.median(spent) > 0.02  # the real argon2 check ran (tens of milliseconds)
    assert ratios[-1] <= LIMIT, ratios


def test_reset_requests_cost_the_same_for_existing_and_unknown_emails(
    seeded_template: Path, tmp_path: Path
) -> None:
    data = copy_seed(seeded_template, tmp_path / "data")
    site = make_site(data)

    def submit(form: Any, email: str) -> None:
        form["email"] = email
        form.submit(status=303)

    # Each answer is timed on its own: the previous request's queued mail is written first (an
    # attacker's timing sees that write land on whatever request comes next, whichever the email).
    ratios = _ratios(site, "/forgot", RESET_TRIES, submit, settle=lambda: site.app.app.web.mailer.drain(30))
    assert ratios[-1] <= LIMIT, ratios
    assert site.app.app.web.mailer.drain(30)
    sent = RESET_TRIES * len(ratios)
    assert len(list((data / "outbox").glob("*.eml"))) == sent  # the mails did go, from the queue


def test_sign_ups_cost_the_same_for_existing_and_unknown_emails(
    seeded_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sign-up answers every address with the same "check your mail" (review issue 20): an address
    with an account gets a sign-in link, a new one a confirmation link, after the same argon2 hash."""
    data = copy_seed(seeded_template, tmp_path / "data")
    monkeypatch.setenv("PAIDPDF_ARGON2_PROFILE", "production")
    site = make_site(data)
    spent: list[float] = []

    def submit(form: Any, email: str) -> None:
        form["email"], form["password"] = email, "a long enough password"
        began = time.perf_counter()
        assert form.submit(status=303).location == "/signup/sent"
        spent.append(time.perf_counter() - began)

    ratios = _ratios(site, "/signup", TRIES, submit, settle=lambda: site.app.app.web.mailer.drain(30))
    assert statistics.median(spent) > 0.02  # the real argon2 hash ran either way
    assert ratios[-1] <= LIMIT, ratios
    assert site.app.app.web.mailer.drain(30)
    sent = 2 * TRIES * len(ratios)
    assert len(list((data / "outbox").glob("*.eml"))) == sent  # one mail each, from the queue
