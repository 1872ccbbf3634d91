"""The CLI as people meet it, through the real entry point: a closed pipe ends quietly, `--data` works
after the subcommand, counts read like English, sizes are for people, a backup says what it holds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import typer
from typer.testing import CliRunner

from paidpdf.accounts import users
from paidpdf.admin import build_app
from paidpdf.admin.main import hoist_data_option
from paidpdf.store import Store
from tests.cli_app import paidpdf_app

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAIDPDF_", "STRIPE_"))}
    return subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={**env, "PAIDPDF_ARGON2_PROFILE": "test", "COLUMNS": "200"},
    )


def test_a_closed_stdout_ends_quietly_with_status_0() -> None:
    for args in (["demo", "--help"], ["--help"]):
        reader = subprocess.Popen(
            [sys.executable, str(ROOT / "cli.py"), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "COLUMNS": "200"},
        )
        assert reader.stdout is not None and reader.stderr is not None
        reader.stdout.readline()
        reader.stdout.close()  # what `| head -1` does
        err = reader.stderr.read()
        assert reader.wait(30) == 0, err
        assert b"Broken pipe" not in err and b"Traceback" not in err


def test_data_works_after_the_subcommand(tmp_path: Path) -> None:
    data = tmp_path / "shop"
    users.sign_up(Store(data), "one@example.com", "kx7-qpzv-long")
    listed = _run("users", "list", "--data", str(data))
    assert listed.returncode == 0 and "one@example.com" in listed.stdout
    assert "1 user\n" in listed.stdout or " 1 user " in listed.stdout  # not "1 users"
    as_equals = _run("users", "list", f"--data={data}", "--json")
    assert as_equals.returncode == 0 and "one@example.com" in as_equals.stdout
    assert hoist_data_option(["content", "add", "x.pdf", "--data", "D", "--", "--data"]) == [
        "--data", "D", "content", "add", "x.pdf", "--", "--data"
    ]


def test_db_info_and_backup_speak_in_sizes_for_people(tmp_path: Path) -> None:
    data = tmp_path / "shop"
    for i in range(20):
        users.sign_up(Store(data), f"reader{i}@example.com", "kx7-qpzv-long")
    size = sum(p.stat().st_size for p in (data / "accounts.json", data / "accounts.journal"))
    assert size > 2048
    info = _run("--data", str(data), "db", "info")
    assert info.returncode == 0 and f"{size / 1024:.1f} KB; " in info.stdout and "users: 20" in info.stdout
    assert str(size) not in info.stdout
    backup = _run("--data", str(data), "db", "backup")
    assert backup.returncode == 0
    assert Path(backup.stdout.strip()).is_dir()  # stdout: the path alone, for scripts
    assert "data file" in backup.stderr and "content/cover file" in backup.stderr
    assert backup.stderr.startswith("1 data file and 0 content/cover files") and "KB in all" in backup.stderr


def test_no_help_page_shows_a_bool_type_beside_a_flag() -> None:
    """A flag takes no value, so `--json <bool>` (typer's default) would tell people to type one."""
    app = paidpdf_app()  # its click command is made once, not once per help page (tests/cli_app.py)
    root = typer.main.get_command(app)
    ctx = root.make_context("paidpdf", ["--help"], resilient_parsing=True)
    pages = [("--help",)]
    for name in root.list_commands(ctx):  # type: ignore[attr-defined]
        command = root.get_command(ctx, name)  # type: ignore[attr-defined]
        pages.append((name, "--help"))
        for verb in getattr(command, "commands", {}):
            pages.append((name, verb, "--help"))
    runner = CliRunner()
    for args in pages:
        result = runner.invoke(app, list(args), env={"COLUMNS": "100"})
        assert result.exit_code == 0, args
        assert "<bool>" not in result.output, args
    assert len(pages) > 20


def test_tables_show_times_one_way(tmp_path: Path) -> None:
    """`users list`, `users show` and `orders list` print stored stamps as `YYYY-MM-DD HH:MM UTC`."""
    import re

    from paidpdf.sales import orders

    store = Store(tmp_path)
    reader = users.add_user(store, "reader@example.com", "a long enough password 7")
    orders.create_pending(
        store, user_id=reader["id"], buyer=reader["email"], content_id="guide", amount=500,
        currency="usd", livemode=False,
    )
    table_time = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? UTC")
    for args in (["users", "list"], ["orders", "list"], ["users", "show", "reader@example.com"]):
        out = _run("--data", str(tmp_path), *args)
        assert out.returncode == 0, out.stderr
        assert table_time.search(out.stdout), (args, out.stdout)
        assert "T" not in "".join(re.findall(r"\d{4}-\d\d-\d\dT\d\d", out.stdout)), out.stdout


def test_every_command_has_a_one_line_summary_and_an_example() -> None:
    """The root help lists each group with its own help (no copy to drift); every command under it says
    what it does in one line and shows an example."""
    import re

    import typer.main

    root = typer.main.get_command(build_app())
    assert root.list_commands(None)[:7] == ["orders", "users", "content", "bundles", "promos", "db", "shop"]
    missing = []
    for name, command in root.commands.items():
        leaves = command.commands.items() if hasattr(command, "commands") else [("", command)]
        if hasattr(command, "commands"):
            assert (command.help or "").strip(), name
        for verb, leaf in leaves:
            text = leaf.help or ""
            first = text.strip().split("\n\n")[0]
            if not first or "\n" in first.strip() or not re.search(r"Example: .*\bpaidpdf ", text):
                missing.append(f"{name} {verb}".strip())
    assert missing == []
