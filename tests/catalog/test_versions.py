"""File versions and update notices through the real CLI, a real SMTP server and real processes.

The notifier's promise is checked the hard way: 200 owners, the `paidpdf content notify` process
killed with SIGKILL at random moments three times, then run to the end; every owner who should get
the mail holds exactly one distinct message, unsubscribed, revoked and disabled owners none.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from paidpdf.accounts import users
from paidpdf.content import catalog, versions
from paidpdf.ownership import library, update_notices
from paidpdf.store import Doc, Store
from tests.catalog.files import write_pdf
from tests.data_files import written
from tests.smtp import SmtpServer, smtp_catcher

BOTH_BACKENDS = True  # tests/conftest.py: each test runs on the data folder and on PostgreSQL
PASSWORD = "correct horse 1"
Cli = Callable[..., Result]


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


def test_update_keeps_every_version_with_notes(
    cli: Cli, store: Store, data_dir: Path, item: Doc, files: Path
) -> None:
    first_sha = item["sha256"]
    v2 = write_pdf(files / "guide-v2.pdf", pages=4, title="The Guide, revised")
    shown = ok(cli("content", "update", item["id"], str(v2), "--notes", "A new chapter"))
    assert "version 2" in shown.stdout
    rows = json.loads(ok(cli("content", "versions", item["id"], "--json")).stdout)
    assert [r["version"] for r in rows] == [1, 2]
    assert rows[0]["sha256"] == first_sha and rows[0]["notes"] == ""
    assert (
        rows[1]["notes"] == "A new chapter"
        and rows[1]["pages"] == 4
        and rows[1]["filename"] == "guide-v2.pdf"
    )
    now = catalog.get_item(store, item["id"])
    assert now["version"] == 2 and now["sha256"] == rows[1]["sha256"] and now["pages"] == 4
    assert (data_dir / "content" / first_sha).is_file()  # the first file stays for its owners
    table = ok(cli("content", "versions", item["id"])).stdout
    assert "A new chapter" in table


def test_bad_update_changes_nothing(cli: Cli, store: Store, item: Doc, files: Path) -> None:
    before = written(store)
    not_pdf = files / "fake.pdf"
    not_pdf.write_text("<html>not a pdf</html>")
    failed = cli("content", "update", item["id"], str(not_pdf), "--notes", "x")
    assert failed.exit_code != 0 and "Traceback" not in failed.stderr and failed.stderr.count("\n") == 1
    too_long = cli(
        "content", "update", item["id"], str(write_pdf(files / "v2.pdf")), "--notes", "x" * 5000
    )
    assert too_long.exit_code == 2 and "notes are too long" in too_long.stderr
    bad_rate = cli(
        "content", "update", item["id"], str(files / "v2.pdf"), "--notify", "--rate", "fast"
    )
    assert bad_rate.exit_code == 2 and "--rate" in bad_rate.stderr
    assert written(store) == before
    with pytest.raises(Exception, match="no version 7"):
        versions.get(item, 7)


def _owners(store: Store, item_id: str, count: int) -> list[Doc]:
    people = []
    for n in range(count):
        user = users.sign_up(store, f"owner{n:03d}@example.com", PASSWORD)
        library.grant(store, user["id"], item_id)
        people.append(user)
    return people


def _smtp_env(server: SmtpServer) -> dict[str, str]:
    return {
        "PAIDPDF_SMTP_URL": f"smtp://127.0.0.1:{server.port}",
        "PAIDPDF_BASE_URL": "http://127.0.0.1:8080",
    }


def test_notify_mails_current_owners_once_with_one_click_unsubscribe(
    cli: Cli, store: Store, item: Doc, files: Path
) -> None:
    people = _owners(store, item["id"], 5)
    update_notices.set_update_mails(store, people[1]["id"], False)
    library.revoke(store, people[2]["id"], item["id"], "refunded")
    users.set_disabled(store, people[3]["email"], True)
    v2 = write_pdf(files / "v2.pdf", pages=2)
    with smtp_catcher() as server:
        env = _smtp_env(server)
        out = ok(
            cli(
                "content",
                "update",
                item["id"],
                str(v2),
                "--notes",
                "Typos fixed",
                "--notify",
                env=env,
            )
        )
        assert "1 sent now" in out.stdout.replace("\n", " ") or "sent now" in out.stdout
        told = sorted(m["To"] for m in server.messages)
        assert told == [people[0]["email"], people[4]["email"]]
        message = server.messages[0]
        assert "Typos fixed" in message.get_content()
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        link = message["List-Unsubscribe"].strip("<>")
        assert link.startswith("http://127.0.0.1:8080/updates/unsubscribe?u=")
        again = json.loads(ok(cli("content", "notify", item["id"], "--json", env=env)).stdout)
        assert again == {
            "item": item["id"],
            "version": 2,
            "owners": 2,
            "sent": 0,
            "already_sent": 2,
            "failed": [],
        }
        assert len(server.messages) == 2
    # the server is gone: the failures are named, the exit is non-zero, a rerun later sends them
    v3 = write_pdf(files / "v3.pdf", pages=3)
    failed = cli("content", "update", item["id"], str(v3), "--notify", env=env)
    assert failed.exit_code == 9 and "2 mail(s) failed" in failed.stderr and "Traceback" not in failed.stderr
    with smtp_catcher() as server:
        retried = json.loads(
            ok(cli("content", "notify", item["id"], "--json", env=_smtp_env(server))).stdout
        )
        assert retried["sent"] == 2 and retried["version"] == 3
        assert sorted(m["To"] for m in server.messages) == [people[0]["email"], people[4]["email"]]


NOTIFY_SCRIPT = """
import sys
from paidpdf.admin import build_app
sys.argv = ["paidpdf", *sys.argv[1:]]
build_app()()
"""


@pytest.mark.slow
def test_notifier_killed_three_times_sends_each_owner_one_mail(
    cli: Cli, store: Store, data_dir: Path, backend_env: dict[str, str], item: Doc, files: Path
) -> None:
    people = _owners(store, item["id"], 200)
    quiet = {p["id"] for p in people[::25]}  # 8 unsubscribed
    refunded = {p["id"] for p in people[7::40]}  # 5 refunded
    for user_id in quiet:
        update_notices.set_update_mails(store, user_id, False)
    for user_id in refunded:
        library.revoke(store, user_id, item["id"], "refunded")
    ok(
        cli(
            "content",
            "update",
            item["id"],
            str(write_pdf(files / "v2.pdf", pages=2)),
            "--notes",
            "v2",
        )
    )
    expected = {p["email"] for p in people if p["id"] not in quiet | refunded}
    rng = random.Random(20261203)
    with smtp_catcher() as server:
        env = {**os.environ, **backend_env, **_smtp_env(server), "PYTHONPATH": str(Path(__file__).parents[2])}
        command = [
            sys.executable,
            "-c",
            NOTIFY_SCRIPT,
            "--data",
            str(data_dir),
            "content",
            "notify",
            item["id"],
            "--rate",
            "3000/min",
            "--json",
        ]
        kills = 0
        for _ in range(3):
            process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            before = len(server.messages)
            deadline = time.monotonic() + 60
            wanted = before + rng.randint(10, 50)
            while len(server.messages) < wanted and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.002)
            time.sleep(rng.random() * 0.02)  # anywhere in the next mail's cycle
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                kills += 1
            process.wait()
            assert len(server.messages) > before  # each run got somewhere
        final = subprocess.run(command, env=env, capture_output=True, timeout=120, check=False)
        assert final.returncode == 0, final.stderr.decode()
        summary = json.loads(final.stdout)
        assert summary["owners"] == len(expected) and summary["failed"] == []
        assert kills == 3
        by_owner: dict[str, set[str]] = {}
        for message in server.messages:
            by_owner.setdefault(message["To"], set()).add(message["Message-ID"])
        assert set(by_owner) == expected  # nobody unsubscribed or refunded, nobody missing
        assert all(len(ids) == 1 for ids in by_owner.values())  # one distinct mail each
        raw = Counter(m["To"] for m in server.messages)
        # a kill between the server's "250" and the "sent" record resends that one message with the
        # same Message-ID (mail systems drop it); at most one such message per kill
        assert sum(raw.values()) - len(expected) <= kills
