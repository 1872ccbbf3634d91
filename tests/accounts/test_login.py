"""Login: right and wrong passwords, disabled accounts, growing delays per account, limits per address."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from paidpdf import clock
from paidpdf.accounts import records, throttle, users
from paidpdf.clock import iso
from paidpdf.errors import AccessDenied, InvalidInput, TooManyAttempts
from paidpdf.store import Doc, Store
from tests.accounts.readers import PASSWORD
from tests.data_files import documents, written

BOTH_BACKENDS = True  # tests/conftest.py: each test runs on the data folder and on PostgreSQL

EMAIL = "reader@example.com"


def _fail(store: Store, email: str = EMAIL, addr: str = "203.0.113.5", **kw: object) -> None:
    with pytest.raises(InvalidInput, match=r"^wrong email or password$"):
        users.authenticate(store, email, "not the password", addr, **kw)  # type: ignore[arg-type]


def test_right_password_logs_in_whatever_the_case(store: Store, reader: Doc) -> None:
    user = users.authenticate(store, " READER@example.com ", PASSWORD, "203.0.113.5")
    assert user["id"] == reader["id"]


def test_wrong_password_and_unknown_email_look_the_same(store: Store, reader: Doc) -> None:
    with pytest.raises(InvalidInput) as wrong:
        users.authenticate(store, EMAIL, "nope nope nope", "203.0.113.5")
    with pytest.raises(InvalidInput) as unknown:
        users.authenticate(store, "ghost@example.com", PASSWORD, "203.0.113.5")
    assert str(wrong.value) == str(unknown.value) == "wrong email or password"
    assert wrong.value.http_status == unknown.value.http_status == 400


def test_disabled_account_is_refused_only_with_the_right_password(store: Store, reader: Doc) -> None:
    users.set_disabled(store, EMAIL, True)
    with pytest.raises(AccessDenied, match="this account is disabled"):
        users.authenticate(store, EMAIL, PASSWORD, "203.0.113.5")
    _fail(store)  # a wrong password does not reveal that the account is disabled
    users.set_disabled(store, EMAIL, False)
    assert users.authenticate(store, EMAIL, PASSWORD, "203.0.113.5")["id"] == reader["id"]


def test_failures_on_an_account_cost_growing_delays_from_every_address(store: Store, reader: Doc) -> None:
    start = clock.now()
    for i in range(throttle.FREE_FAILURES):  # the first few failures cost nothing
        _fail(store, addr=f"198.51.100.{i}", now=start)
    with pytest.raises(TooManyAttempts, match=r"too many failed logins; try again in 2 seconds") as caught:
        users.authenticate(store, EMAIL, PASSWORD, "192.0.2.99", now=start)  # even the right password
    assert caught.value.http_status == 429
    assert isinstance(caught.value, throttle.Throttled) and caught.value.retry_after == 2
    rules = throttle.login_rules(EMAIL, "192.0.2.99")
    waits, moment = [], start
    for i in range(8):  # keep failing as soon as allowed: the delay doubles, up to MAX_DELAY
        wait = throttle.retry_after(store.view("accounts"), rules, moment)
        waits.append(wait)
        moment += timedelta(seconds=wait)
        _fail(store, addr=f"198.51.100.{50 + i}", now=moment)
    assert waits == [2, 4, 8, 16, 30, 30, 30, 30]
    other = users.sign_up(store, "other@example.com", PASSWORD)
    elsewhere = users.authenticate(store, "other@example.com", PASSWORD, "198.5.1.1", now=moment)
    assert elsewhere["id"] == other["id"]


def test_nobody_can_lock_a_reader_out(store: Store, reader: Doc) -> None:
    """However many failures an attacker spreads over addresses, the owner waits at most MAX_DELAY."""
    start = clock.now()
    for i in range(40):
        with contextlib.suppress(TooManyAttempts):
            _fail(store, addr=f"198.51.{i}.1", now=start + timedelta(seconds=i))
    later = start + timedelta(seconds=40) + throttle.MAX_DELAY
    assert users.authenticate(store, EMAIL, PASSWORD, "192.0.2.1", now=later)["id"] == reader["id"]


def test_old_failures_written_into_the_file_do_not_count(store: Store, reader: Doc) -> None:
    old = iso(clock.now() - throttle.WINDOW - timedelta(minutes=1))
    key = throttle.account_key(EMAIL)
    with store.unit("accounts") as unit:
        unit.put("throttle", {"id": key, "attempts": [[old, f"n{i}"] for i in range(50)], "updated_at": old})
    assert users.authenticate(store, EMAIL, PASSWORD, "203.0.113.5")["id"] == reader["id"]
    later = clock.now() + records.PRUNE_EVERY  # the next sweep rides along with the next write after it
    assert users.authenticate(store, EMAIL, PASSWORD, "203.0.113.5", now=later)["id"] == reader["id"]
    rows = documents(store, "accounts").get("throttle", {})
    assert key not in rows  # stale rows are swept


def test_a_success_clears_the_account_counter(store: Store, reader: Doc) -> None:
    start = clock.now()
    for _ in range(throttle.FREE_FAILURES):
        _fail(store, now=start)
    with pytest.raises(TooManyAttempts):
        users.authenticate(store, EMAIL, PASSWORD, "203.0.113.5", now=start)
    later = start + timedelta(seconds=2)
    users.authenticate(store, EMAIL, PASSWORD, "203.0.113.5", now=later)
    for _ in range(throttle.FREE_FAILURES):
        _fail(store, now=later)
    again = users.authenticate(store, EMAIL, PASSWORD, "203.0.113.5", now=later + timedelta(seconds=2))
    assert again["id"] == reader["id"]


def test_twenty_failures_from_one_address_lock_that_address_only(store: Store, reader: Doc) -> None:
    for i in range(throttle.ADDRESS_LIMIT):  # spread over many accounts: no account hits its limit
        _fail(store, email=f"guess{i}@example.com", addr="203.0.113.7")
    with pytest.raises(TooManyAttempts):
        users.authenticate(store, EMAIL, PASSWORD, "203.0.113.7")
    assert users.authenticate(store, EMAIL, PASSWORD, "203.0.113.8")["id"] == reader["id"]


def test_ipv6_addresses_are_throttled_per_64_network(store: Store, reader: Doc) -> None:
    for i in range(throttle.ADDRESS_LIMIT):
        _fail(store, email=f"guess{i}@example.com", addr=f"2001:db8:1:2::{i + 1:x}")
    with pytest.raises(TooManyAttempts):
        users.authenticate(store, EMAIL, PASSWORD, "2001:db8:1:2:ffff::1")
    assert users.authenticate(store, EMAIL, PASSWORD, "2001:db8:1:3::1")["id"] == reader["id"]
    assert throttle.address_key("::ffff:192.0.2.1") == throttle.address_key("192.0.2.1")


def test_parallel_guesses_cannot_slip_past_the_limit(store: Store, reader: Doc) -> None:
    outcomes: list[str] = []
    lock = threading.Lock()

    def guess() -> None:
        try:
            users.authenticate(store, EMAIL, "not the password", "203.0.113.5")
        except TooManyAttempts:
            result = "throttled"
        except InvalidInput:
            result = "checked"
        else:  # pragma: no cover - would be a real bug
            result = "logged in"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=guess) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("checked") == throttle.FREE_FAILURES
    assert outcomes.count("throttled") == 16 - throttle.FREE_FAILURES


def test_throttled_attempts_write_nothing(store: Store, reader: Doc) -> None:
    for _ in range(throttle.FREE_FAILURES):
        _fail(store)
    before = written(store)
    for _ in range(3):
        with pytest.raises(TooManyAttempts):
            users.authenticate(store, EMAIL, "not the password", "203.0.113.5")
    assert written(store) == before


def test_failures_counted_in_another_process_throttle_this_one(
    store: Store, reader: Doc, backend_env: dict[str, str]
) -> None:
    script = (
        "import sys\n"
        "from paidpdf.accounts import users\n"
        "from paidpdf.errors import InvalidInput\n"
        "from pathlib import Path\n"
        "from paidpdf.config import Settings\n"
        "store = Settings.from_env(data_dir=Path(sys.argv[1])).open_store()\n"
        "for _ in range(3):\n"
        "    try:\n"
        "        users.authenticate(store, 'reader@example.com', 'not the password', '198.51.100.9')\n"
        "    except InvalidInput:\n"
        "        pass\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, **backend_env, "PYTHONPATH": str(root)}
    subprocess.run([sys.executable, "-c", script, str(store.root)], check=True, env=env, cwd=root, timeout=60)
    with pytest.raises(TooManyAttempts):
        users.authenticate(store, EMAIL, PASSWORD, "203.0.113.5")
