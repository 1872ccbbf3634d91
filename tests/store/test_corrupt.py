"""A corrupt or unreadable data file: a clear error naming the file and the latest backup, never a
traceback, and the file is never overwritten. A data folder that cannot be used: a clear error."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from paidpdf.errors import NotFound, StorageCorrupt, StorageError
from paidpdf.store import Store
from tests.cli_app import paidpdf_app

BAD = {
    "truncated": b'{"content": {"a": {"id": "a", "ti',
    "binary": b"\x00\xff\xfe garbage",
    "empty": b"",
    "not utf-8": b'{"content": {"a": {"id": "\xff"}}}',
    "a list": b"[1, 2, 3]",
    "docs not objects": b'{"content": {"a": 5}}',
}


@pytest.mark.parametrize("kind", list(BAD))
def test_corrupt_file_is_a_clear_error_and_never_overwritten(kind: str, data_dir: Path) -> None:
    path = data_dir / "catalog.json"
    path.write_bytes(BAD[kind])
    store = Store(data_dir)
    with pytest.raises(StorageCorrupt) as err:
        store.view("catalog")
    assert str(path) in err.value.message
    assert "no backup found" in err.value.message
    with pytest.raises(StorageCorrupt), store.unit("catalog") as unit:
        unit.put("content", {"id": "new"})
    assert path.read_bytes() == BAD[kind]
    assert list(data_dir.glob(".catalog.json.*")) == []
    # Other files keep working.
    with store.unit("sales") as unit:
        unit.put("orders", {"id": "o"})
    assert store.view("sales").count("orders") == 1


def test_corrupt_error_names_the_latest_backup(data_dir: Path, cli: Callable[..., Result]) -> None:
    store = Store(data_dir)
    with store.unit("catalog") as unit:
        unit.put("content", {"id": "a"})
    first = cli("db", "backup")
    second = cli("db", "backup")
    assert first.exit_code == 0 and second.exit_code == 0, first.stderr + second.stderr
    latest = Path(second.stdout.strip())
    assert store.latest_backup() == latest
    (data_dir / "catalog.json").write_bytes(b"{oops")
    with pytest.raises(StorageCorrupt) as err:
        Store(data_dir).view("catalog")
    assert str(data_dir / "catalog.json") in err.value.message
    assert str(latest) in err.value.message
    assert f"paidpdf db restore {latest}" in err.value.message


def test_cli_shows_one_line_and_changes_nothing(data_dir: Path, cli: Callable[..., Result]) -> None:
    (data_dir / "sales.json").write_bytes(b'{"orders": {"o": ')
    result = cli("db", "backup")
    assert result.exit_code == StorageCorrupt.exit_code
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert (
        lines[0].startswith("Error: ")
        and "sales.json is corrupt" in lines[0]
        and "no backup found" in lines[0]
    )
    assert "Traceback" not in result.stderr
    assert (data_dir / "sales.json").read_bytes() == b'{"orders": {"o": '
    assert not (data_dir / "backups").exists() or not any((data_dir / "backups").iterdir())


def test_unreadable_data_file_is_a_storage_error(data_dir: Path, cli: Callable[..., Result]) -> None:
    (data_dir / "accounts.json").mkdir()  # a directory where the file should be
    with pytest.raises(StorageError, match=r"cannot read .*accounts\.json"):
        Store(data_dir).view("accounts")
    result = cli("db", "check", "--json")
    assert result.exit_code == 1
    assert "accounts.json" in result.stdout and "Traceback" not in result.stderr + result.stdout


def test_data_folder_that_is_a_file(tmp_path: Path) -> None:
    target = tmp_path / "data"
    target.write_text("not a folder")
    with pytest.raises(StorageError, match="is not a folder"):
        Store(target)
    result = _run(["--data", str(target), "db", "info"])
    assert result.exit_code == StorageError.exit_code
    assert result.stderr.strip() == f"Error: data folder {target} is not a folder"
    assert target.read_text() == "not a folder"


def test_data_folder_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    target = blocker / "data"
    with pytest.raises(StorageError, match="cannot create data folder"):
        Store(target)
    # `users add` is one of the commands that start a shop's data, so it tries to create the folder
    args = ["--data", str(target), "users", "add", "a@example.com", "--password-stdin"]
    result = _run(args, "pw-long-enough\n")
    assert result.exit_code == StorageError.exit_code
    assert len(result.stderr.strip().splitlines()) == 1
    assert "cannot create data folder" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["content", "list"],
        ["content", "show", "x"],
        ["content", "price", "x", "5"],
        ["users", "list"],
        ["orders", "list"],
        ["orders", "stats"],
        ["db", "check"],
        ["db", "backup"],
        ["db", "info"],
    ],
)
def test_a_missing_data_folder_is_an_error_not_an_empty_shop(tmp_path: Path, command: list[str]) -> None:
    target = tmp_path / "typo"
    result = _run(["--data", str(target), *command])
    assert result.exit_code == NotFound.exit_code
    assert result.stderr.strip().startswith(f"Error: no data folder at {target}")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not target.exists()


def _run(args: list[str], input: str | None = None) -> Result:
    return CliRunner().invoke(paidpdf_app(), args, input=input, env={})
