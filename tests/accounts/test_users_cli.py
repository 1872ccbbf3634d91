"""`paidpdf users ...` through the real CLI (the `cli` fixture runs it in-process on a tmp data folder)."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from paidpdf.accounts import sessions, users
from paidpdf.clock import now_iso
from paidpdf.ownership import library
from paidpdf.store import Doc, Store
from tests.accounts.readers import PASSWORD
from tests.data_files import written

BOTH_BACKENDS = True  # tests/conftest.py: each test runs on the data folder and on PostgreSQL

ROOT = Path(__file__).resolve().parents[2]

Cli = Callable[..., Result]


def _item(store: Store, content_id: str, title: str, price: int = 1999, status: str = "active") -> Doc:
    stamp = now_iso()
    doc: Doc = {
        "id": content_id, "title": title, "description": "d", "price": price, "currency": "usd",
        "filename": f"{content_id}.pdf", "sha256": "0" * 64, "size": 10, "pages": 1, "cover": None,
        "status": status, "version": 1, "created_at": stamp, "updated_at": stamp,
    }
    with store.unit("catalog") as unit:
        unit.put("content", doc)
    return doc


def _one_line_error(result: Result, code: int, text: str) -> None:
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ") and text in lines[0]
    assert "Traceback" not in result.stderr


def test_add_from_stdin_then_list_and_show_as_json(cli: Cli, store: Store) -> None:
    added = cli("users", "add", "Ada@Example.com", "--password-stdin", input=PASSWORD + "\n")
    assert added.exit_code == 0, added.stderr
    assert "ada@example.com" in added.stdout
    user = users.authenticate(store, "ada@example.com", PASSWORD, "127.0.0.1")
    assert user["password_hash"].startswith("$argon2id$")

    listed = cli("users", "list", "--json")
    assert listed.exit_code == 0
    rows = json.loads(listed.stdout)
    assert rows == [
        {"id": user["id"], "email": "ada@example.com", "disabled": False, "created_at": user["created_at"],
         "updated_at": user["updated_at"], "items": 0}
    ]
    shown = json.loads(cli("users", "show", "ADA@example.com", "--json").stdout)
    assert shown["user"]["id"] == user["id"] and shown["library"] == [] and shown["active_sessions"] == 0
    for output in (listed.stdout, cli("users", "show", "ada@example.com", "--json").stdout):
        assert "argon2" not in output and "password" not in output


def _run_on_a_terminal(
    args: list[str], answers: list[str], env: dict[str, str], timeout: float = 60.0
) -> tuple[int, str]:
    """Run the real CLI (with `env` added to its environment) with a pseudo-terminal as its
    controlling terminal; answer each prompt."""
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.execve(sys.executable, [sys.executable, str(ROOT / "cli.py"), *args], {**os.environ, **env})  # noqa: S606
    screen = b""
    deadline = time.monotonic() + timeout
    pending = list(answers)
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            screen += chunk
            if pending and screen.endswith(b": "):
                time.sleep(0.3)  # let getpass switch echo off before typing
                os.write(fd, pending.pop(0).encode() + b"\n")
                screen += b"\n"
    done, status = os.waitpid(pid, os.WNOHANG)
    for _ in range(100):  # the child closes the terminal a moment before it is reaped
        if done:
            break
        time.sleep(0.05)
        done, status = os.waitpid(pid, os.WNOHANG)
    if done == 0:  # still waiting for input: the test fails below instead of hanging
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), screen.decode(errors="replace")


def test_add_with_a_hidden_prompt_and_confirmation(
    data_dir: Path, store: Store, backend_env: dict[str, str]
) -> None:
    code, screen = _run_on_a_terminal(
        ["--data", str(data_dir), "users", "add", "bob@example.com"], [PASSWORD, PASSWORD], backend_env
    )
    assert code == 0, screen
    assert "Repeat" in screen  # asked twice
    assert PASSWORD not in screen  # hidden input is not echoed
    assert users.authenticate(store, "bob@example.com", PASSWORD, "127.0.0.1")


def test_add_without_a_terminal_asks_for_password_stdin(cli: Cli, store: Store) -> None:
    result = cli("users", "add", "bob@example.com", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code != 0
    assert "--password-stdin" in result.stderr
    assert users.find_user(store, "bob@example.com") is None


def test_grant_show_and_revoke_say_what_is_owned_and_why(cli: Cli, store: Store) -> None:
    user = users.sign_up(store, "reader@example.com", PASSWORD)
    _item(store, "field-guide", "The Field Guide")
    _item(store, "atlas", "The Atlas")
    with store.unit("sales") as unit:  # a purchase, as fulfilment.fulfil records it
        library.add(unit, user["id"], "atlas", "bought", order_id="ord_0123456789abcdef")

    granted = cli("users", "grant", "Reader@example.com", "field-guide")
    assert granted.exit_code == 0, granted.stderr
    assert "Granted field-guide" in granted.stdout
    again = cli("users", "grant", "reader@example.com", "field-guide")
    assert again.exit_code == 0 and "already owns" in again.stdout

    shown = json.loads(cli("users", "show", "reader@example.com", "--json").stdout)
    by_id = {row["content_id"]: row for row in shown["library"]}
    assert by_id["atlas"]["source"] == "bought" and by_id["atlas"]["order_id"] == "ord_0123456789abcdef"
    assert by_id["atlas"]["title"] == "The Atlas"
    assert by_id["field-guide"]["source"] == "granted" and by_id["field-guide"]["order_id"] is None
    assert all(row["revoked"] is False and row["acquired_at"] for row in shown["library"])
    assert json.loads(cli("users", "list", "--json").stdout)[0]["items"] == 2

    revoked = cli("users", "revoke", "reader@example.com", "field-guide")
    assert revoked.exit_code == 0, revoked.stderr
    assert not library.owns(store.view("sales"), user["id"], "field-guide")
    shown = json.loads(cli("users", "show", "reader@example.com", "--json").stdout)
    gift = next(r for r in shown["library"] if r["content_id"] == "field-guide")
    assert gift["revoked"] is True and gift["revoked_at"] and gift["revoked_reason"]

    table = cli("users", "show", "reader@example.com")
    assert table.exit_code == 0
    assert "The Atlas" in table.stdout and "bought" in table.stdout and "revoked" in table.stdout


def test_disable_ends_sessions_and_enable_allows_login_again(cli: Cli, store: Store) -> None:
    user = users.sign_up(store, "reader@example.com", PASSWORD)
    token = sessions.open_session(store, user["id"])
    result = cli("users", "disable", "READER@example.com")
    assert result.exit_code == 0, result.stderr
    assert sessions.session_user(store, token) is None
    assert json.loads(cli("users", "show", "reader@example.com", "--json").stdout)["user"]["disabled"] is True
    assert cli("users", "enable", "reader@example.com").exit_code == 0
    assert users.authenticate(store, "reader@example.com", PASSWORD, "127.0.0.1")["id"] == user["id"]


@pytest.mark.parametrize(
    ("args", "stdin", "code", "text"),
    [
        (("users", "show", "ghost@example.com"), None, 3, "no user 'ghost@example.com'"),
        (("users", "show", "ghost@example.com", "--json"), None, 3, "no user"),
        (("users", "grant", "ghost@example.com", "atlas"), None, 3, "no user"),
        (("users", "grant", "reader@example.com", "no-such-item"), None, 3, "no item 'no-such-item'"),
        (("users", "revoke", "reader@example.com", "no-such-item"), None, 3, "no item 'no-such-item'"),
        (("users", "revoke", "reader@example.com", "atlas"), None, 3, "does not own 'atlas'"),
        (("users", "disable", "ghost@example.com"), None, 3, "no user"),
        (("users", "enable", "ghost@example.com"), None, 3, "no user"),
        (("users", "add", "READER@example.com", "--password-stdin"), PASSWORD + "\n", 4, "already exists"),
        (("users", "add", "not-an-email", "--password-stdin"), PASSWORD + "\n", 2, "not a valid email"),
        (("users", "add", "new@example.com", "--password-stdin"), "short\n", 2, "too short"),
        (("users", "add", "new@example.com", "--password-stdin"), "", 2, "too short"),
        (("users", "add", "new@example.com", "--password-stdin"), "12345678\n", 2, "most common"),
        (("users", "add", "new@example.com", "--password-stdin"), "qwertyuiop\n", 2, "most common"),
        (("users", "add", "new@example.com", "--password-stdin"), "new@example.com\n", 2, "your email"),
        (("users", "add", "new@example.com", "--password-stdin"), " " * 8 + "\n", 2, "blank"),
    ],
)
def test_errors_are_one_line_with_a_non_zero_exit_and_change_nothing(
    cli: Cli, store: Store, data_dir: Path, args: tuple[str, ...], stdin: str | None, code: int, text: str
) -> None:
    users.sign_up(store, "reader@example.com", PASSWORD)
    _item(store, "atlas", "The Atlas")
    before = written(store)
    result = cli(*args, input=stdin)
    _one_line_error(result, code, text)
    assert written(store) == before


def test_every_users_command_has_an_example(cli: Cli) -> None:
    for command in ("list", "show", "add", "grant", "revoke", "disable", "enable"):
        result = cli("users", command, "--help")
        assert result.exit_code == 0
        assert "Example: paidpdf users " + command in result.stdout


def test_mismatched_prompt_confirmation_creates_nobody(cli: Cli, store: Store) -> None:
    result = cli("users", "add", "bob@example.com", input=f"{PASSWORD}\nsomething else\n")
    assert result.exit_code != 0
    assert "Traceback" not in result.stdout + result.stderr
    assert users.find_user(store, "bob@example.com") is None
