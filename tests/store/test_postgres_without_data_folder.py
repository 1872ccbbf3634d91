"""A PostgreSQL shop keeps its documents in the database: the `db` commands (and the others) work on
a server whose local data folder does not exist yet, as a new operator meets it right after
`paidpdf db init` (docs/scale-out.md). The read-only ones do not create the folder either."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner, Result

from tests.cli_app import paidpdf_app

SECRET = "a-test-secret-key-that-is-long-enough-0123456789"


def _cli(data_dir: Path, url: str, *args: str) -> Result:
    env = {"PAIDPDF_DATABASE_URL": url, "PAIDPDF_SECRET_KEY": SECRET}
    return CliRunner().invoke(paidpdf_app(), ["--data", str(data_dir), *args], env=env)


def _ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert "no data folder" not in result.stderr
    return result


def test_db_commands_on_postgresql_need_no_local_data_folder(tmp_path: Path, postgres_url: str) -> None:
    folder = tmp_path / "not-created-yet"
    _ok(_cli(folder, postgres_url, "db", "init"))
    info = json.loads(_ok(_cli(folder, postgres_url, "db", "info", "--json")).stdout)
    assert info["documents"].startswith("postgresql://") and info["latest_backup"] is None
    assert all(f.get("error") is None for f in info["files"].values())
    assert "PostgreSQL" in _ok(_cli(folder, postgres_url, "db", "info")).stdout
    checked = json.loads(_ok(_cli(folder, postgres_url, "db", "check", "--json")).stdout)
    assert checked["ok"] is True and checked["problems"] == []
    _ok(_cli(folder, postgres_url, "db", "compact"))
    for listing in (("users", "list"), ("content", "list"), ("orders", "list")):
        _ok(_cli(folder, postgres_url, *listing))
    assert not folder.exists()  # nothing above had a reason to make it

    backup = tmp_path / "backup"
    _ok(_cli(folder, postgres_url, "db", "backup", str(backup)))
    assert (backup / "manifest.json").is_file()
    _ok(_cli(folder, postgres_url, "db", "restore", str(backup), "--yes"))


def test_flush_and_a_default_backup_on_postgresql_make_the_folder_they_write_to(
    tmp_path: Path, postgres_url: str
) -> None:
    folder = tmp_path / "not-created-yet"
    _ok(_cli(folder, postgres_url, "db", "init"))
    made = _ok(_cli(folder, postgres_url, "db", "backup"))
    assert Path(made.stdout.splitlines()[0]).parent == folder / "backups"
    flushed = _ok(_cli(tmp_path / "another-new-one", postgres_url, "db", "flush", "--yes"))
    assert "flushed" in flushed.stdout
    assert json.loads(_ok(_cli(folder, postgres_url, "db", "check", "--json")).stdout)["ok"] is True
