"""`paidpdf db backup / restore / check / flush / info` through the real CLI on a real data folder."""

from __future__ import annotations

import hashlib
import os
import random
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from typer.testing import Result

from paidpdf.clock import new_id
from paidpdf.errors import StorageCorrupt
from paidpdf.maintenance import backups, checks, data_folder
from paidpdf.store import Store
from paidpdf.store.files import blobs
from tests.data_files import state, state_bytes
from tests.store.children import Child, snapshot_files

CLI = Callable[..., Result]


def _items(store: Store) -> list[dict]:
    return store.view("catalog").all("content")


def test_backup_copies_json_links_blobs_and_writes_a_manifest(shop: Store, data_dir: Path, cli: CLI) -> None:
    result = cli("db", "backup")
    assert result.exit_code == 0, result.stderr
    path = Path(result.stdout.strip())
    assert path.parent == data_dir / "backups"
    manifest = orjson.loads((path / "manifest.json").read_bytes())
    assert set(manifest["files"]) == {"catalog", "accounts", "sales"}
    for name, meta in manifest["files"].items():
        raw = (path / f"{name}.json").read_bytes()
        assert raw == state_bytes(data_dir, name)
        assert meta["sha256"] == hashlib.sha256(raw).hexdigest() and meta["size"] == len(raw)
    for item in _items(shop):
        copy = path / "content" / item["sha256"]
        live = blobs.content_path(data_dir, item["sha256"])
        assert copy.read_bytes() == live.read_bytes()
        assert os.stat(copy).st_ino == os.stat(live).st_ino, "immutable blobs are hard-linked"
        assert (path / "covers" / item["cover"]).read_bytes() == blobs.cover_path(
            data_dir, item["cover"]
        ).read_bytes()
    assert len(manifest["blobs"]) == 4
    assert backups.verify_backup(path) == []
    assert shop.latest_backup() == path
    assert not list((data_dir / "backups").glob(".*")), "no partial folder left behind"


def test_backup_to_another_file_system_copies(shop: Store, cli: CLI) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(shop.root).st_dev:
        pytest.skip("needs /dev/shm on another file system")
    target = shm / f"paidpdf-test-{os.getpid()}-{os.urandom(4).hex()}"
    try:
        result = cli("db", "backup", str(target))
        assert result.exit_code == 0, result.stderr
        assert Path(result.stdout.strip()) == target
        item = _items(shop)[0]
        assert (
            os.stat(target / "content" / item["sha256"]).st_ino
            != os.stat(blobs.content_path(shop.root, item["sha256"])).st_ino
        )
        assert backups.verify_backup(target) == []
    finally:
        import shutil

        shutil.rmtree(target, ignore_errors=True)


def test_backup_refuses_a_non_empty_target(shop: Store, tmp_path: Path, cli: CLI) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    result = cli("db", "backup", str(target))
    assert result.exit_code == 2
    assert "not empty" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli("db", "backup", str(empty)).exit_code == 0
    assert (empty / "manifest.json").is_file()


def test_restore_brings_back_the_backup_and_other_stores_see_it(
    shop: Store, data_dir: Path, cli: CLI
) -> None:
    path = Path(cli("db", "backup").stdout.strip())
    before = {n: state_bytes(data_dir, n) for n in ("catalog", "accounts", "sales")}
    web = Store(data_dir)  # a long-lived store (the web server) with warm caches
    assert web.view("sales").count("orders") == 1
    lost = blobs.content_path(data_dir, _items(web)[0]["sha256"])
    with shop.unit("sales") as unit:
        unit.insert("orders", {"id": "ord_2", "status": "pending"})
    with shop.unit("catalog") as unit:
        unit.delete("content", "beta-book")
    lost.unlink()
    (data_dir / "accounts.json").unlink()
    assert web.view("sales").count("orders") == 2

    result = cli("db", "restore", str(path), "--yes")
    assert result.exit_code == 0, result.stderr
    assert "restored" in result.stdout
    for name, raw in before.items():
        assert state_bytes(data_dir, name) == raw
    assert lost.is_file()
    assert web.view("sales").count("orders") == 1
    assert len(web.view("catalog").all("content")) == 2
    assert cli("db", "check").exit_code == 0


def test_restore_refuses_without_yes_off_a_terminal(shop: Store, data_dir: Path, cli: CLI) -> None:
    path = Path(cli("db", "backup").stdout.strip())
    with shop.unit("sales") as unit:
        unit.insert("orders", {"id": "ord_2"})
    before = snapshot_files(data_dir)
    result = cli("db", "restore", str(path))
    assert result.exit_code == 2
    assert "refusing without --yes" in result.stderr
    assert snapshot_files(data_dir) == before


@pytest.mark.parametrize("damage", ["json", "blob", "manifest", "missing blob"])
def test_restore_verifies_everything_before_touching_anything(
    damage: str, shop: Store, data_dir: Path, cli: CLI
) -> None:
    path = Path(cli("db", "backup", str(data_dir.parent / "bk")).stdout.strip())
    item = _items(shop)[0]
    if damage == "json":
        raw = bytearray((path / "sales.json").read_bytes())
        raw[5] ^= 1
        (path / "sales.json").write_bytes(bytes(raw))
    elif damage == "blob":
        blob = path / "content" / item["sha256"]
        data = bytearray(blob.read_bytes())
        blob.unlink()  # break the hard link: the live file stays intact
        data[-3] ^= 1
        blob.write_bytes(bytes(data))
    elif damage == "manifest":
        (path / "manifest.json").write_bytes(b"{not json")
    else:
        (path / "covers" / item["cover"]).unlink()
    with shop.unit("sales") as unit:
        unit.insert("orders", {"id": "ord_after"})
    before = snapshot_files(data_dir)
    result = cli("db", "restore", str(path), "--yes")
    assert result.exit_code == 2, result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert snapshot_files(data_dir) == before


def test_restore_of_a_folder_that_is_not_a_backup(tmp_path: Path, cli: CLI) -> None:
    result = cli("db", "restore", str(tmp_path), "--yes")
    assert result.exit_code == 2
    assert "not a backup" in result.stderr


def test_check_reports_missing_and_damaged_files(shop: Store, data_dir: Path, cli: CLI) -> None:
    ok = cli("db", "check")
    assert ok.exit_code == 0 and ok.stdout.startswith("OK"), ok.stdout
    alpha, beta = sorted(_items(shop), key=lambda i: i["id"])
    path = blobs.content_path(data_dir, alpha["sha256"])
    data = bytearray(path.read_bytes())
    data[10] ^= 1
    path.write_bytes(bytes(data))  # same size, different bytes
    blobs.content_path(data_dir, beta["sha256"]).unlink()
    blobs.cover_path(data_dir, alpha["cover"]).unlink()
    result = cli("db", "check", "--json")
    assert result.exit_code == 1
    report = orjson.loads(result.stdout)
    problems = {(p["where"], p["problem"].split(" ")[0]) for p in report["problems"]}
    assert (alpha["id"], "sha256") in problems
    assert (alpha["id"], "cover") in problems
    assert (beta["id"], "content") in problems
    assert report["ok"] is False
    people = cli("db", "check")
    assert people.exit_code == 1
    assert "3 problem(s)" in people.stdout and alpha["id"] in people.stdout


def test_flush_refuses_without_yes_and_changes_nothing(shop: Store, data_dir: Path, cli: CLI) -> None:
    before = snapshot_files(data_dir)
    result = cli("db", "flush")
    assert result.exit_code == 2
    assert "refusing without --yes" in result.stderr and result.stdout == ""
    assert snapshot_files(data_dir) == before
    assert not (data_dir / "backups").exists()


def test_flush_backs_up_first_then_deletes_and_the_backup_restores(
    shop: Store, data_dir: Path, cli: CLI
) -> None:
    before = snapshot_files(data_dir)
    web = Store(data_dir)
    assert web.view("catalog").count("content") == 2
    result = cli("db", "flush", "--yes")
    assert result.exit_code == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("backup: ")
    path = Path(first.removeprefix("backup: "))
    assert backups.verify_backup(path) == []
    assert not any((data_dir / f"{n}.json").exists() for n in ("catalog", "accounts", "sales"))
    assert list((data_dir / "content").iterdir()) == [] and list((data_dir / "covers").iterdir()) == []
    assert web.view("catalog").count("content") == 0
    assert cli("db", "restore", str(path), "--yes").exit_code == 0
    after = {k: v for k, v in snapshot_files(data_dir).items() if not k.startswith("backups")}
    assert after == before


def test_info_json(shop: Store, data_dir: Path, cli: CLI) -> None:
    result = cli("db", "info", "--json")
    assert result.exit_code == 0, result.stderr
    found = orjson.loads(result.stdout)
    assert found["files"]["catalog"]["tables"] == {"content": 2}
    assert found["files"]["sales"]["tables"] == {"orders": 1}
    assert found["blobs"]["content"]["files"] == 2
    assert found["settings"]["data_dir"] == str(data_dir)
    assert found["latest_backup"] is None
    assert "paidpdf data" in cli("db", "info").stdout


def test_every_db_command_has_help_with_an_example(cli: CLI) -> None:
    for command in ("backup", "restore", "check", "flush", "info"):
        result = cli("db", command, "--help")
        assert result.exit_code == 0
        assert "Example: paidpdf db " + command in result.stdout


@pytest.mark.slow
def test_a_restore_killed_at_any_moment_is_reported_and_finished_by_running_it_again(
    shop: Store, data_dir: Path, children: list[Child]
) -> None:
    with shop.unit("sales") as unit:  # enough data that a restore takes a few milliseconds
        for i in range(3000):
            unit.insert("orders", {"id": f"ord_pad{i}", "status": "paid", "history": [{"event": "x" * 50}]})
    path = backups.backup(shop, data_dir.parent / "bk").path
    wanted = {k: v for k, v in snapshot_files(path).items() if k.endswith(".json") and k != "manifest.json"}
    rng = random.Random(7)
    outcomes: list[str] = []

    def diverge() -> None:
        with shop.unit("sales") as unit:
            unit.insert("orders", {"id": new_id("ord")})
        shop.path("catalog").write_bytes(b'{"content": {}}')

    def run(out: int, _in: int) -> None:
        os.write(out, b"start\n")
        backups.restore(Store(data_dir), path)
        os.write(out, b"done\n")

    # How long a whole restore takes on this machine now (a loaded machine is slower): the kills are
    # spread over that time, so they land before, inside and after it.
    diverge()
    timed = Child(run)
    children.append(timed)
    assert timed.readline() == "start"
    started = time.monotonic()
    assert timed.readline() == "done"
    took = time.monotonic() - started
    timed.wait()
    while len(outcomes) < 40 and (len(outcomes) < 10 or outcomes.count("interrupted") < 2):
        diverge()
        child = Child(run)
        children.append(child)
        assert child.readline() == "start"
        time.sleep(rng.uniform(0.0, took * 1.2))
        child.kill()
        child.wait()
        problems = checks.check(Store(data_dir)).problems
        marker = data_dir / data_folder.PENDING
        if marker.exists():
            outcomes.append("interrupted")
            assert any("interrupted restore" in p.problem and str(path) in p.problem for p in problems)
        else:
            outcomes.append("before or after")
        for name in ("catalog", "accounts", "sales"):
            state(data_dir, name)  # every file reads, whatever the moment
        backups.restore(Store(data_dir), path)
        assert not marker.exists()
        live = {f"{n}.json": state_bytes(data_dir, n) for n in ("catalog", "accounts", "sales")}
        assert live == wanted
        assert checks.check(Store(data_dir)).problems == []
    assert "interrupted" in outcomes, "no kill landed inside the restore: the test proved nothing"


def _damage_first_content_file(data_dir: Path) -> Path:
    victim = sorted((data_dir / "content").iterdir())[0]
    with victim.open("ab") as handle:
        handle.write(b"x")
    return victim


def test_backup_of_a_damaged_content_file_fails_and_leaves_nothing(
    shop: Store, data_dir: Path, cli: CLI
) -> None:
    victim = _damage_first_content_file(data_dir)
    result = cli("db", "backup")
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(victim) in lines[0] and "paidpdf db check" in lines[0], result.stderr
    assert result.stdout == ""
    backups_dir = data_dir / "backups"
    assert not backups_dir.exists() or list(backups_dir.iterdir()) == [], "no backup, not even a partial one"
    assert shop.latest_backup() is None


def test_backup_hashes_linked_content_so_a_same_size_flip_is_caught(shop: Store, data_dir: Path) -> None:
    victim = sorted((data_dir / "content").iterdir())[0]
    raw = bytearray(victim.read_bytes())
    raw[20] ^= 0x01  # same size, different bytes: only hashing can see it
    victim.write_bytes(bytes(raw))
    with pytest.raises(StorageCorrupt) as err:
        backups.backup(shop, None)
    assert victim.name in err.value.message
    assert shop.latest_backup() is None


def test_flush_with_a_damaged_content_file_deletes_nothing_and_keeps_no_backup(
    shop: Store, data_dir: Path, cli: CLI
) -> None:
    victim = _damage_first_content_file(data_dir)
    before = snapshot_files(data_dir)
    result = cli("db", "flush", "--yes")
    assert result.exit_code != 0
    assert str(victim) in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert snapshot_files(data_dir) == before, "nothing deleted, no failed backup left behind"
    assert shop.latest_backup() is None


def test_latest_backup_skips_a_backup_that_fails_its_manifest(shop: Store, data_dir: Path, cli: CLI) -> None:
    good = Path(cli("db", "backup").stdout.strip())
    bad = Path(cli("db", "backup", str(data_dir / "backups" / "99991231T235959Z")).stdout.strip())
    assert shop.latest_backup() == bad
    # A folder that looks like a backup but whose manifest is not one made by a verified backup.
    (bad / "manifest.json").write_bytes(b"{not json")
    assert shop.latest_backup() == good
    # A backup whose listed file is gone or has the wrong size is not offered either.
    manifest = orjson.loads((good / "manifest.json").read_bytes())
    (bad / "manifest.json").write_bytes(orjson.dumps(manifest))
    (bad / manifest["blobs"][0]["path"]).unlink(missing_ok=True)
    assert shop.latest_backup() == good
    unverified = {k: v for k, v in manifest.items() if k != "verified"}
    (good / "manifest.json").write_bytes(orjson.dumps(unverified))
    assert shop.latest_backup() is None


def test_backup_copy_makes_real_copies(shop: Store, data_dir: Path, tmp_path: Path, cli: CLI) -> None:
    target = tmp_path / "copied"
    result = cli("db", "backup", "--copy", str(target))
    assert result.exit_code == 0, result.stderr
    for item in _items(shop):
        live = blobs.content_path(data_dir, item["sha256"])
        copy = target / "content" / item["sha256"]
        assert copy.read_bytes() == live.read_bytes()
        assert os.stat(copy).st_ino != os.stat(live).st_ino, "--copy never hard-links"
    assert backups.verify_backup(target) == []
