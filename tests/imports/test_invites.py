"""`paidpdf users invite --imported` with a real SMTP server: each imported buyer gets one invitation,
even when the inviting process is killed with SIGKILL three times, and its link signs them in."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from paidpdf.accounts import sign_in_links, users
from paidpdf.store import Doc, Store
from paidpdf.testing import platform_exports as exports
from paidpdf.testing.platform_exports import Sale
from tests.imports.test_import import IMPORT_SCRIPT, MAPS, ok
from tests.smtp import SmtpServer, smtp_catcher

BOTH_BACKENDS = True  # tests/conftest.py: each test runs on the data folder and on PostgreSQL
Cli = Callable[..., Result]
PASSWORD = "correct horse 1"


def _env(server: SmtpServer) -> dict[str, str]:
    return {
        "PAIDPDF_SMTP_URL": f"smtp://127.0.0.1:{server.port}",
        "PAIDPDF_BASE_URL": "http://127.0.0.1:8080",
    }


def _import(cli: Cli, store: Store, folder: Path, count: int) -> set[str]:
    users.sign_up(store, "old@example.com", PASSWORD)  # an account of the shop's own: not invited
    sales = [Sale(f"P{n:04d}==", f"buyer{n:03d}@example.com", "qmgy", "The Guide", 999) for n in range(count)]
    sales.append(Sale("Old1==", "old@example.com", "qmgy", "The Guide", 999))
    sales.append(Sale("Ref1==", "refunded@example.com", "qmgy", "The Guide", 999, state="refunded"))
    ok(cli("import", "gumroad", str(exports.gumroad(folder / "Sales.csv", sales)), *MAPS))
    return {s.email for s in sales[:count]}


def test_invite_once_each_with_a_working_link(
    cli: Cli, store: Store, items: tuple[Doc, Doc], exports_dir: Path
) -> None:
    expected = _import(cli, store, exports_dir, 3)
    with smtp_catcher() as server:
        summary = json.loads(ok(cli("users", "invite", "--imported", "--json", env=_env(server))).stdout)
        assert summary == {"buyers": 3, "sent": 3, "already_sent": 0, "failed": []}
        again = json.loads(ok(cli("users", "invite", "--imported", "--json", env=_env(server))).stdout)
        assert again["sent"] == 0 and again["already_sent"] == 3
        assert {m["To"] for m in server.messages} == expected and len(server.messages) == 3
        message = server.messages[0]
        assert message["Subject"].startswith("Your purchases from Gumroad have moved to ")
        body = message.get_content()
        token = re.search(r"http://127\.0\.0\.1:8080/signin/(\S+)", body)
        assert token is not None and "/library" in body
    user = sign_in_links.sign_in(store, token.group(1))
    assert user["email"] == message["To"]
    with pytest.raises(Exception, match="invalid, already used"):
        sign_in_links.sign_in(store, token.group(1))  # works once
    missing = cli("users", "invite")
    assert missing.exit_code == 2 and missing.stderr.count("\n") == 1 and "--imported" in missing.stderr


@pytest.mark.slow
def test_inviter_killed_three_times_mails_each_buyer_once(
    cli: Cli,
    store: Store,
    items: tuple[Doc, Doc],
    exports_dir: Path,
    data_dir: Path,
    backend_env: dict[str, str],
) -> None:
    expected = _import(cli, store, exports_dir, 150)
    rng = random.Random(20261207)
    with smtp_catcher() as server:
        env = {**os.environ, **backend_env, **_env(server), "PYTHONPATH": str(Path(__file__).parents[2])}
        command = [
            sys.executable,
            "-c",
            IMPORT_SCRIPT,
            "--data",
            str(data_dir),
            "users",
            "invite",
            "--imported",
            "--rate",
            "3000/min",
            "--json",
        ]
        kills = 0
        for _ in range(3):
            process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            before = len(server.messages)
            wanted = before + rng.randint(10, 30)
            deadline = time.monotonic() + 60
            while len(server.messages) < wanted and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.002)
            time.sleep(rng.random() * 0.02)  # anywhere in the next mail's cycle
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                kills += 1
            process.wait()
            assert len(server.messages) > before
        final = subprocess.run(command, env=env, capture_output=True, timeout=120, check=False)
        assert final.returncode == 0, final.stderr.decode()
        summary = json.loads(final.stdout)
        assert summary["buyers"] == len(expected) and summary["failed"] == [] and kills == 3
        by_buyer: dict[str, set[str]] = {}
        for message in server.messages:
            by_buyer.setdefault(message["To"], set()).add(message["Message-ID"])
        assert set(by_buyer) == expected  # the shop's own account and the refunded buyer get none
        assert all(len(ids) == 1 for ids in by_buyer.values())  # one distinct mail each
        raw = Counter(m["To"] for m in server.messages)
        assert sum(raw.values()) - len(expected) <= kills  # a kill after "250" resends that one, same id
