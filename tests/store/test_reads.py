"""Reads: the catalog never touches sales.json; views are private copies; units are not nestable."""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Any

import pytest

from paidpdf.errors import StorageCorrupt, StorageError
from paidpdf.maintenance import backups
from paidpdf.store import Store

_opened: list[str] | None = None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _opened is not None and event == "open" and args and isinstance(args[0], (str, bytes, Path)):
        _opened.append(str(args[0]))


sys.addaudithook(_audit)  # audit hooks cannot be removed; this one records only inside `_recording`


class _recording:
    def __enter__(self) -> list[str]:
        global _opened
        _opened = []
        return _opened

    def __exit__(self, *exc: object) -> None:
        global _opened
        _opened = None


def test_catalog_reads_never_open_sales_json(data_dir: Path, store: Store) -> None:
    with store.unit("catalog") as unit:
        unit.put("content", {"id": "book", "title": "Book", "status": "active"})
    # A huge and corrupt order history: parsing it would take long and fail loudly.
    (data_dir / "sales.json").write_bytes(b'{"orders": {' + b'"x": {"id": "x"},' * 300_000 + b" <truncated")
    (data_dir / "accounts.json").write_bytes(b"\x00\x00garbage")
    fresh = Store(data_dir)
    with _recording() as opened:
        assert fresh.view("catalog").all("content") == [{"id": "book", "title": "Book", "status": "active"}]
        assert fresh.view("catalog").get("content", "book") is not None
        with fresh.unit("catalog") as unit:
            unit.put("content", {"id": "other", "title": "Other", "status": "active"})
    assert any(p.endswith("catalog.json") for p in opened), opened  # the hook does see our opens
    assert not [p for p in opened if p.endswith(("sales.json", "accounts.json"))], opened
    with pytest.raises(StorageCorrupt):
        fresh.view("sales")


def test_documents_read_are_private_copies(store: Store) -> None:
    with store.unit("sales") as unit:
        unit.put("orders", {"id": "o", "history": [{"event": "created"}]})
    got = store.view("sales").get("orders", "o")
    assert got is not None
    got["history"].append({"event": "tampered"})
    store.view("sales").all("orders")[0]["history"].clear()
    store.view("sales").find("orders", "id", "o")[0]["history"].clear()
    assert store.view("sales").get("orders", "o") == {"id": "o", "history": [{"event": "created"}]}


def test_a_failed_unit_cannot_leak_nested_changes_into_the_cache(store: Store, data_dir: Path) -> None:
    with store.unit("sales") as unit:
        unit.put("orders", {"id": "o", "history": []})
    with pytest.raises(RuntimeError), store.unit("sales") as unit:
        order = unit.require("orders", "o", "order")
        order["history"].append("half done")  # a bug: mutating what was read
        raise RuntimeError("boom")
    with store.unit("sales") as unit:  # the next unit starts from the cache: it must be the file's state
        unit.put("orders", {"id": "p"})
    assert Store(data_dir).view("sales").get("orders", "o") == {"id": "o", "history": []}
    doc = {"id": "q", "tags": ["a"]}
    with store.unit("sales") as unit:
        unit.put("orders", doc)
    doc["tags"].append("changed after the put")
    assert store.view("sales").get("orders", "q") == {"id": "q", "tags": ["a"]}


def test_nested_unit_on_the_same_file_is_refused(store: Store) -> None:
    with store.unit("sales") as outer:
        outer.put("orders", {"id": "a"})
        with pytest.raises(StorageError, match="nested unit"), store.unit("sales"):
            pass
        with store.unit("catalog") as other:  # another file is fine
            other.put("content", {"id": "c"})
    assert store.view("sales").count("orders") == 1
    assert store.view("catalog").count("content") == 1


def test_a_unit_cannot_be_used_after_its_block(store: Store) -> None:
    with store.unit("sales") as unit:
        unit.put("orders", {"id": "a"})
    with pytest.raises(StorageError, match="after its `with` block"):
        unit.put("orders", {"id": "b"})
    assert store.view("sales").count("orders") == 1


def test_unit_operations(store: Store, data_dir: Path) -> None:
    from paidpdf.errors import Conflict

    with store.unit("sales") as unit:
        unit.insert("orders", {"id": "a", "n": 1})
        with pytest.raises(Conflict):
            unit.insert("orders", {"id": "a"})
        unit.put("orders", {"id": "b", "user": "u1"})
        assert unit.find("orders", "user", "u1") == [{"id": "b", "user": "u1"}]
        assert unit.delete("orders", "missing") is False
        assert unit.delete("orders", "a") is True
        unit.put("events", {"id": "e"})
        unit.drop("events")
    view = Store(data_dir).view("sales")
    assert view.all("orders") == [{"id": "b", "user": "u1"}]
    assert view.find("orders", "user", "u1") == [{"id": "b", "user": "u1"}]
    assert view.tables() == ["orders"]
    with pytest.raises(StorageError), store.unit("sales") as unit:
        unit.put("orders", {"title": "no id"})
    # A compacted base is plain TinyDB JSON: stock TinyDB's storage reads it (ids are strings, not
    # counters). Between compactions the newest units are in the journal beside it.
    from tinydb import TinyDB

    store.compact("sales")
    with TinyDB(data_dir / "sales.json") as stock:
        assert stock.storage.read() == {"orders": {"b": {"id": "b", "user": "u1"}}}


def test_a_healthy_cold_read_does_not_look_at_backups(data_dir: Path, store: Store) -> None:
    """The backup named in a "corrupt file" message is looked up only when a file is corrupt."""
    with store.unit("catalog") as unit:
        unit.put("content", {"id": "book", "title": "Book"})
    taken = backups.backup(store).path
    fresh = Store(data_dir)
    with _recording() as opened:
        assert fresh.view("catalog").count("content") == 1
    assert any(p.endswith("catalog.json") for p in opened), opened
    assert not [p for p in opened if "backups" in p], opened
    (data_dir / "catalog.json").write_bytes(b"{oops")
    with pytest.raises(StorageCorrupt) as err:
        Store(data_dir).view("catalog")
    assert str(taken) in err.value.message


def test_parsing_pins_no_garbage_and_leaves_the_collector_as_it_was(data_dir: Path, store: Store) -> None:
    """The GC is paused while a file is parsed (see `bulk_load`) and left on or off as the caller had
    it; a garbage cycle that is alive while a file is parsed is still collected once it dies (an
    earlier `gc.freeze()` pinned such cycles forever, with the snapshots and descriptors they held)."""
    import weakref

    with store.unit("sales") as unit:
        for i in range(50):
            unit.put("orders", {"id": f"ord_{i}", "history": [{"event": "paid"}]})

    class Node:
        pass

    cycle = Node()
    cycle.self = cycle  # type: ignore[attr-defined]
    alive = weakref.ref(cycle)
    assert gc.isenabled()
    assert Store(data_dir).view("sales").count("orders") == 50  # parsed while the cycle lives
    assert gc.isenabled()
    del cycle
    gc.collect()
    assert alive() is None, "a garbage cycle alive during a parse was pinned instead of collected"
    gc.disable()
    try:
        assert Store(data_dir).view("sales").count("orders") == 50
        assert not gc.isenabled(), "a caller that paused the GC keeps it paused"
    finally:
        gc.enable()


def test_a_dropped_store_closes_its_descriptors_at_once(data_dir: Path) -> None:
    """No reference cycle keeps a Store (and its open base and journal) alive until a GC pass: one CLI
    command or test after another must not run out of descriptors."""
    import os

    with Store(data_dir).unit("sales") as unit:
        unit.put("orders", {"id": "a"})
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        before = len(os.listdir("/proc/self/fd"))
        for _ in range(50):
            store = Store(data_dir)
            store.view("sales")
            del store
        assert len(os.listdir("/proc/self/fd")) == before
    finally:
        if was_enabled:
            gc.enable()


def test_an_unchanged_file_is_read_without_queueing_and_a_write_elsewhere_is_seen(data_dir: Path) -> None:
    """Server threads reading a data file nobody changed never wait for each other (the reader's lock is
    held by one of them); a unit committed by another process (a CLI command) is still what the very
    next read returns."""
    import threading

    from paidpdf.store.embedded.data_file import DataFileReader

    writer = Store(data_dir)  # plays the CLI: its own handles on the same folder
    with writer.unit("catalog") as unit:
        unit.put("content", {"id": "book", "title": "Book", "status": "active"})
    reader = DataFileReader(data_dir / "catalog.json", lambda: None)
    first = reader.current()
    got: list[Any] = []

    def read() -> None:
        got.append(reader.current())

    with reader._lock:  # another thread is catching up (or waiting for the GIL inside the lock)
        alone = threading.Thread(target=read)
        alone.start()
        alone.join(timeout=5)
        assert not alone.is_alive(), "a read of an unchanged file waited for the reader's lock"
        assert got == [first]
        with writer.unit("catalog") as unit:
            unit.put("content", {"id": "new", "title": "New", "status": "active"})
        after_write = threading.Thread(target=read)
        after_write.start()
        after_write.join(timeout=0.2)
        assert after_write.is_alive(), "a changed file was answered from the old snapshot"
    after_write.join(timeout=5)
    assert got[1].tables["content"].get("new") is not None
    assert reader.current().tables["content"].get("new") is not None
    reader.close()
