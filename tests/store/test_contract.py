"""The storage contract, run against both backends: the embedded store (data folder) and PostgreSQL.

Whatever the backend, domain code gets the same answers: atomic units, no lost updates across threads
and processes, refused nested units, views that are one moment, indexed lookups with the embedded
store's `None` semantics, listings, exports and restores that round-trip.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import orjson
import pytest

from paidpdf.config import Settings
from paidpdf.errors import Conflict, NotFound, StorageError
from paidpdf.store import DataStore, Store, open_store
from tests.store.children import Child

BOTH_BACKENDS = True  # tests/conftest.py: the `store` fixture is the data folder, then PostgreSQL


def _url(settings: Settings) -> str | None:
    return settings.database_url.reveal() if settings.database_url else None


def test_units_write_all_or_nothing(store: DataStore) -> None:
    with store.unit("sales") as unit:
        unit.insert("orders", {"id": "o1", "user_id": "u1", "status": "paid"})
        unit.put("meta", {"id": "n", "n": 1})
    with pytest.raises(RuntimeError), store.unit("sales") as unit:
        unit.put("orders", {"id": "o2", "user_id": "u1"})
        unit.delete("orders", "o1")
        raise RuntimeError("boom")
    view = store.view("sales")
    assert view.get("orders", "o1") == {"id": "o1", "user_id": "u1", "status": "paid"}
    assert view.get("orders", "o2") is None
    with pytest.raises(Conflict), store.unit("sales") as unit:
        unit.insert("orders", {"id": "o1"})
    with pytest.raises(NotFound, match="no order 'nope'"):
        view.require("orders", "nope", "order")


def test_a_unit_reads_its_own_writes_in_every_way(store: DataStore) -> None:
    """PostgreSQL units keep writes until they are needed (fewer round trips): every kind of read in
    the unit still sees them, in order, and a view outside sees nothing until the unit ends."""
    with store.unit("sales") as unit:
        unit.put("orders", {"id": "o1", "user_id": "u1", "n": 1})
        written = unit.get("orders", "o1")
        assert written == {"id": "o1", "user_id": "u1", "n": 1}
        written["n"] = 99  # a caller's change to what it read is not a write
        assert unit.get("orders", "o1") == {"id": "o1", "user_id": "u1", "n": 1}
        unit.put("orders", {"id": "o1", "user_id": "u1", "n": 2})
        assert [d["n"] for d in unit.find("orders", "user_id", "u1")] == [2]
        assert unit.count("orders") == 1 and [d["id"] for d in unit.all("orders")] == ["o1"]
        with pytest.raises(Conflict):
            unit.insert("orders", {"id": "o1"})
        unit.put("orders", {"id": "o2", "user_id": "u1", "n": 3})
        assert unit.delete("orders", "o2") is True and unit.get("orders", "o2") is None
        unit.put("orders", {"id": "o3", "user_id": "u2", "n": 4})
        assert store.view("sales").get("orders", "o1") is None  # not committed yet
    view = store.view("sales")
    assert view.get("orders", "o1") == {"id": "o1", "user_id": "u1", "n": 2}
    assert view.get("orders", "o2") is None and view.get("orders", "o3") == {
        "id": "o3",
        "user_id": "u2",
        "n": 4,
    }
    with store.unit("sales") as unit:  # a unit that only writes still takes the lock and commits
        unit.put("meta", {"id": "only-write"})
    assert store.view("sales").get("meta", "only-write") == {"id": "only-write"}


def test_a_nested_unit_on_the_same_file_is_refused(store: DataStore) -> None:
    with store.unit("sales") as outer:
        outer.put("orders", {"id": "o1"})
        with pytest.raises(StorageError, match="nested unit"), store.unit("sales"):
            pass
        with store.unit("catalog") as other:  # another file is fine
            other.put("content", {"id": "c1"})
    assert store.view("sales").count("orders") == 1
    assert store.view("catalog").count("content") == 1


def test_lookups_listings_and_none(store: DataStore) -> None:
    with store.unit("sales") as unit:
        for n in range(12):
            doc: dict[str, Any] = {"id": f"o{n:02d}", "amount": n, "user_id": f"u{n % 3}"}
            if n % 4 == 0:
                del doc["user_id"]  # a missing field counts as None
            unit.put("orders", doc)
        unit.put("orders", {"id": "ox", "user_id": None, "amount": 99})
    view = store.view("sales")
    assert sorted(d["id"] for d in view.find("orders", "user_id", "u1")) == ["o01", "o07", "o10"]
    assert sorted(d["id"] for d in view.find("orders", "user_id", None)) == ["o00", "o04", "o08", "ox"]
    assert [d["id"] for d in view.find("orders", "amount", 7)] == ["o07"]
    assert view.find("orders", "amount", "7") == []  # types matter, as in JSON
    assert view.count("orders") == 13 and view.tables() == ["orders"]
    big = view.where("orders", lambda d: d["amount"] >= 10)
    assert sorted(d["id"] for d in big) == ["o10", "o11", "ox"]
    ids = view.select_ids("orders", lambda d: d["amount"] % 2 == 0, key=lambda d: -d["amount"])
    assert ids[:3] == ["o10", "o08", "o06"]
    assert [d["id"] for d in view.stream("orders", ["o03", "gone", "o01"])] == ["o03", "o01"]
    assert len(list(view.each("orders"))) == 13
    mine = view.get("orders", "o01")
    assert mine is not None
    mine["amount"] = -1  # the caller's own copy
    assert store.view("sales").get("orders", "o01") == {"id": "o01", "amount": 1, "user_id": "u1"}
    with store.unit("sales") as unit:
        unit.drop("orders")
    assert store.view("sales").count("orders") == 0


def test_stream_keeps_the_order_asked_for_across_many_documents(store: DataStore) -> None:
    """`stream` (listings: `orders list`, the API's pages) answers in the order of the ids, skips
    missing ones, sees a unit's own writes, and gives a copy per mention, over thousands of ids (on
    PostgreSQL: several batches of ids per statement)."""
    with store.unit("sales") as unit:
        for n in range(3000):
            unit.put("orders", {"id": f"o{n:04d}", "amount": n})
    wanted = [f"o{(n * 7919) % 3000:04d}" for n in range(3000)]  # every id once, shuffled
    asked = [*wanted[:40], "gone", *wanted[40:], wanted[0]]
    streamed = list(store.view("sales").stream("orders", asked))
    assert [d["id"] for d in streamed] == [*wanted, wanted[0]]
    assert all(d["amount"] == int(d["id"][1:]) for d in streamed)
    streamed[-1]["amount"] = -1  # a second mention is a copy of its own
    assert streamed[0]["amount"] == int(wanted[0][1:])
    with store.unit("sales") as unit:
        unit.put("orders", {"id": "o2999", "amount": -5})
        unit.put("orders", {"id": "new", "amount": 1})
        seen = [(d["id"], d["amount"]) for d in unit.stream("orders", ["new", "o2999", "o0001"])]
        assert seen == [("new", 1), ("o2999", -5), ("o0001", 1)]


def test_find_many_answers_like_find_inside_and_outside_a_unit(store: DataStore) -> None:
    with store.unit("accounts") as unit:
        for n in range(30):
            unit.put("users", {"id": f"u{n}", "email": f"p{n % 7}@example.com"})
    emails = [f"p{n}@example.com" for n in range(9)]
    with store.unit("accounts") as unit:
        unit.put("users", {"id": "u99", "email": "p8@example.com"})  # pending in the unit
        unit.delete("users", "u0")
        many = unit.find_many("users", "email", emails)
        assert {e: sorted(d["id"] for d in docs) for e, docs in many.items()} == {
            e: sorted(d["id"] for d in unit.find("users", "email", e)) for e in emails
        }
        assert [d["id"] for d in many["p8@example.com"]] == ["u99"]
        assert "u0" not in {d["id"] for d in many["p0@example.com"]}
    view = store.view("accounts")
    assert {e: len(d) for e, d in view.find_many("users", "email", emails).items()} == {
        e: len(view.find("users", "email", e)) for e in emails
    }


def test_versions_change_with_every_commit_that_changes_something(store: DataStore) -> None:
    first = store.view("catalog").version
    with store.unit("catalog") as unit:
        unit.put("content", {"id": "c1"})
    second = store.view("catalog").version
    with store.unit("catalog") as unit:
        unit.get("content", "c1")  # reads only
    assert second != first
    assert store.view("catalog").version == second


def test_threads_lose_no_update(store: DataStore) -> None:
    def bump() -> None:
        for _ in range(25):
            with store.unit("sales") as unit:
                row = unit.get("meta", "n") or {"id": "n", "n": 0}
                unit.put("meta", {**row, "n": row["n"] + 1})

    threads = [threading.Thread(target=bump) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.view("sales").get("meta", "n") == {"id": "n", "n": 150}


def _bumper(data_dir: Path, url: str | None) -> object:
    def run(out: int, inp: int) -> None:
        os.read(inp, 1)
        store = open_store(data_dir, url)
        for _ in range(40):
            with store.unit("sales") as unit:
                row = unit.get("meta", "n") or {"id": "n", "n": 0}
                unit.insert("ledger", {"id": f"{os.getpid()}-{row['n']}"})
                unit.put("meta", {**row, "n": row["n"] + 1})
        os.write(out, b"DONE\n")

    return run


@pytest.mark.slow
def test_processes_lose_no_update_and_views_are_one_moment(
    backend: str, settings: Settings, data_dir: Path, children: list[Child]
) -> None:
    if backend == "embedded":
        Store(data_dir)  # the folder exists before the children fork
    for _ in range(2):
        children.append(Child(_bumper(data_dir, _url(settings))))
    reader = settings.open_store()
    stop = threading.Event()
    seen: list[tuple[int, int]] = []

    def read() -> None:
        while not stop.is_set():
            view = reader.view("sales")
            seen.append(((view.get("meta", "n") or {"n": 0})["n"], view.count("ledger")))
            del view

    watcher = threading.Thread(target=read)
    watcher.start()
    for child in children:
        child.send("go")
    try:
        assert [c.readline() for c in children] == ["DONE", "DONE"]
    finally:
        stop.set()
        watcher.join()
    torn = [pair for pair in seen if pair[0] != pair[1]]
    reader.close()
    again = settings.open_store()
    final = again.view("sales")
    assert final.get("meta", "n") == {"id": "n", "n": 80} and final.count("ledger") == 80
    assert len(seen) > 5 and torn == [], f"a view mixed two moments: {torn[:5]}"
    del final
    again.close()


def test_export_and_replace_round_trip(store: DataStore) -> None:
    with store.unit("accounts") as unit:
        unit.put("users", {"id": "u1", "email": "a@example.com"})
        unit.put("sessions", {"id": "s1", "user_id": "u1"})
    payload = store.export("accounts")
    assert payload is not None
    assert orjson.loads(payload) == {
        "users": {"u1": {"id": "u1", "email": "a@example.com"}},
        "sessions": {"s1": {"id": "s1", "user_id": "u1"}},
    }
    with store.lock_all():
        store.replace_file("accounts", orjson.dumps({"users": {"u2": {"id": "u2", "email": "b@x.io"}}}))
    store.forget()
    view = store.view("accounts")
    assert view.tables() == ["users"] and view.find("users", "email", "b@x.io")[0]["id"] == "u2"
    with store.lock_all():
        assert store.remove_files("accounts") >= 1
    assert store.export("accounts") is None


def test_a_nul_character_is_kept_or_refused_cleanly_never_a_database_error(
    store: DataStore, backend: str
) -> None:
    """PostgreSQL's JSONB cannot hold NUL: there it is bad input (a webhook answers 400), and the unit
    writes nothing; the data folder keeps it. A literal backslash-u-0000 in text is fine on both."""
    from paidpdf.errors import InvalidInput

    with store.unit("sales") as unit:
        unit.put("events", {"id": "lit", "reason": "text with \\u0000 in it"})
    assert store.view("sales").get("events", "lit") == {"id": "lit", "reason": "text with \\u0000 in it"}
    if backend == "postgresql":
        with pytest.raises(InvalidInput, match="NUL"), store.unit("sales") as unit:
            unit.put("events", {"id": "e2", "ok": True})
            unit.put("events", {"id": "nul", "reason": "a\x00b"})
        assert store.view("sales").get("events", "e2") is None  # the whole unit was refused
    else:
        with store.unit("sales") as unit:
            unit.put("events", {"id": "nul", "reason": "a\x00b"})
        assert store.view("sales").get("events", "nul") == {"id": "nul", "reason": "a\x00b"}


def test_versions_are_each_files_view_version_read_together(store: DataStore) -> None:
    """`versions` (the front cache's check of a logged-in page: one query on PostgreSQL) gives exactly
    what a view of each file gives, in the order asked, before and after writes, and moves only the
    written file's version."""
    names = ("catalog", "accounts", "sales")
    before = store.versions(names)
    assert before == tuple(store.view(name).version for name in names)
    with store.unit("sales") as unit:
        unit.insert("orders", {"id": "o1", "user_id": "u1"})
    after = store.versions(names)
    assert after == tuple(store.view(name).version for name in names)
    assert after[:2] == before[:2] and after[2] != before[2]
    assert store.versions(("sales", "catalog")) == (after[2], after[0])
    with pytest.raises(StorageError):
        store.versions(("catalog", "no-such-file"))


def test_versions_if_read_never_reads_a_changed_file(store: DataStore, settings: Settings) -> None:
    """What waitress's I/O thread may ask (`admin/loop_answers`): the versions as this process last read
    them while the files are unchanged; None once another process wrote (reading it would take the lock
    a writer holds across its fsync), and on PostgreSQL always (every check is a query)."""
    names = ("catalog", "sales")
    read = store.versions(names)
    if not isinstance(store, Store):
        assert store.versions_if_read(names) is None
        return
    assert store.versions_if_read(names) == read
    other = open_store(settings.data_dir, _url(settings))  # another handle: as another process
    with other.unit("sales") as unit:
        unit.insert("orders", {"id": "o9", "user_id": "u9"})
    assert store.versions_if_read(names) is None  # changed on disk: not without reading it
    assert store.versions(names) != read and store.versions_if_read(names) == store.versions(names)
