"""One writer at a time across threads and processes, and no stale reads between processes."""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

import pytest

from paidpdf.clock import new_id
from paidpdf.errors import StorageError
from paidpdf.store import Store
from paidpdf.store.embedded.data_file import COLD_FROM
from tests.store.children import Child

PROCESSES = 2
THREADS = 4
ROUNDS = 40


def _worker(data: Path, cold_from: int) -> object:
    """4 threads, each doing ROUNDS units: take the next sequence number, insert a document under it
    and under a random id, and bump shared and per-thread counters. A lost update shows up as a
    duplicate sequence id (`Conflict`), a wrong counter or a missing document."""

    def run(out: int, inp: int) -> None:
        os.read(inp, 1)  # start together with the other process and the readers
        store = Store(data, cold_from=cold_from)
        errors: list[str] = []

        def thread(t: int) -> None:
            key = f"{os.getpid()}-{t}"
            try:
                for _ in range(ROUNDS):
                    with store.unit("sales") as unit:
                        seq = (unit.get("meta", "seq") or {"n": 0})["n"] + 1
                        unit.insert("docs", {"id": f"doc{seq:06d}", "by": key})
                        unit.insert("docs", {"id": new_id("rnd"), "by": key})
                        unit.put("meta", {"id": "seq", "n": seq})
                        hits = unit.get("counters", "hits") or {"id": "hits", "n": 0}
                        unit.put("counters", {**hits, "n": hits["n"] + 1})
                        mine = unit.get("counters", key) or {"id": key, "n": 0}
                        unit.put("counters", {**mine, "n": mine["n"] + 1})
                    with store.unit("catalog") as unit:  # a second file, locked independently
                        row = unit.get("content", "count") or {"id": "count", "n": 0}
                        unit.put("content", {**row, "n": row["n"] + 1})
            except Exception as exc:  # reported to the test, which fails on it
                errors.append(f"{type(exc).__name__}: {exc}")

        threads = [threading.Thread(target=thread, args=(t,)) for t in range(THREADS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        os.write(out, (f"ERRORS {errors}\n" if errors else "DONE\n").encode())

    return run


def _compactor(data: Path, cold_from: int) -> object:
    """A third process that folds the journals into new bases over and over until told to stop."""

    def run(out: int, inp: int) -> None:
        os.read(inp, 3)  # "go\n"
        store = Store(data, cold_from=cold_from)
        os.set_blocking(inp, False)
        rounds = 0
        while True:
            try:
                if os.read(inp, 64):
                    break
            except BlockingIOError:
                pass
            for name in ("sales", "catalog"):
                store.compact(name)
            rounds += 1
        os.write(out, f"COMPACTED {rounds}\n".encode())

    return run


@pytest.mark.slow
@pytest.mark.parametrize(
    ("compacting", "cold_from"),
    [(False, COLD_FROM), (True, COLD_FROM), (True, 0)],
    ids=["plain", "while-a-third-process-compacts", "base-on-disk-while-a-third-process-compacts"],
)
def test_two_processes_of_four_threads_lose_nothing(
    data_dir: Path, children: list[Child], compacting: bool, cold_from: int
) -> None:
    compactor = Child(_compactor(data_dir, cold_from)) if compacting else None
    for _ in range(PROCESSES):  # fork before this process starts any thread
        children.append(Child(_worker(data_dir, cold_from)))
    reader_store = Store(data_dir, cold_from=cold_from)
    stop = threading.Event()
    seen: list[int] = []
    reader_errors: list[str] = []

    def reader() -> None:
        last = 0
        while not stop.is_set():
            view = reader_store.view("sales")
            seq = (view.get("meta", "seq") or {"n": 0})["n"]
            # A view is one whole version of the file: every unit added 2 docs and 1 to the counter.
            if view.count("docs") != 2 * seq or seq < last:
                reader_errors.append(f"inconsistent view: seq {seq}, docs {view.count('docs')}, last {last}")
            last = seq
            seen.append(seq)

    readers = [threading.Thread(target=reader) for _ in range(2)]
    for r in readers:
        r.start()
    if compactor is not None:
        compactor.send("go")
    for child in children:
        child.send("go")
    results = [child.readline() for child in children]
    stop.set()
    for r in readers:
        r.join()
    assert results == ["DONE"] * PROCESSES
    assert [child.wait() for child in children] == [0] * PROCESSES
    if compactor is not None:
        with contextlib.suppress(BrokenPipeError):  # a compactor that failed has closed its pipe
            compactor.send("stop")
        compacted = compactor.readline()
        assert compactor.wait() == 0, compacted
        compactor.close()
        assert compacted.startswith("COMPACTED ") and int(compacted.split()[1]) >= 5, compacted

    total = PROCESSES * THREADS * ROUNDS
    view = Store(data_dir, cold_from=cold_from).view("sales")
    docs = view.all("docs")
    assert view.get("meta", "seq") == {"id": "seq", "n": total}
    assert len(docs) == 2 * total
    assert len({d["id"] for d in docs}) == 2 * total
    assert {d["id"] for d in docs if d["id"].startswith("doc")} == {
        f"doc{i:06d}" for i in range(1, total + 1)
    }
    counters = {c["id"]: c["n"] for c in view.all("counters")}
    assert counters.pop("hits") == total
    assert sorted(counters.values()) == [ROUNDS] * (PROCESSES * THREADS)
    assert Store(data_dir).view("catalog").get("content", "count") == {"id": "count", "n": total}
    assert reader_errors == []
    assert len(set(seen)) > 5, "the readers ran while the writers wrote"


def test_no_stale_reads_between_processes(data_dir: Path, children: list[Child]) -> None:
    """Another process's change is seen by this process's very next view, even when the file keeps
    the same size and the writes come within the same clock tick."""

    def writer(out: int, inp: int) -> None:
        store = Store(data_dir)
        with os.fdopen(inp) as commands:
            for line in commands:
                with store.unit("catalog") as unit:
                    unit.put("content", {"id": "x", "price": int(line)})
                os.write(out, b"ok\n")

    child = Child(writer)
    children.append(child)
    store = Store(data_dir)
    child.send("1000")
    assert child.readline() == "ok"
    sizes = set()
    for price in range(1001, 1201):
        assert store.view("catalog").get("content", "x") == {"id": "x", "price": price - 1}
        child.send(str(price))
        assert child.readline() == "ok"
        assert store.view("catalog").get("content", "x") == {"id": "x", "price": price}
        sizes.add((data_dir / "catalog.json").stat().st_size)
    assert len(sizes) == 1, "same-size rewrites: identity must not rely on the size"


def test_two_stores_in_one_process_see_each_other(data_dir: Path) -> None:
    web, cli = Store(data_dir), Store(data_dir)
    assert web.view("catalog").get("content", "x") is None
    with cli.unit("catalog") as unit:
        unit.put("content", {"id": "x", "title": "A"})
    assert web.view("catalog").get("content", "x") == {"id": "x", "title": "A"}
    with web.unit("catalog") as unit:
        unit.put("content", {**unit.require("content", "x", "item"), "title": "B"})
    assert cli.view("catalog").get("content", "x") == {"id": "x", "title": "B"}


def test_a_writer_waits_for_another_process_and_times_out_clearly(
    data_dir: Path, children: list[Child]
) -> None:
    def holder(out: int, inp: int) -> None:
        with Store(data_dir).lock("sales"):
            os.write(out, b"locked\n")
            os.read(inp, 1)

    child = Child(holder)
    children.append(child)
    assert child.readline() == "locked"
    impatient = Store(data_dir, lock_timeout=0.2)
    with (
        pytest.raises(StorageError, match=r"sales\.json is locked by another writer"),
        impatient.unit("sales"),
    ):
        pass
    with impatient.unit("catalog") as unit:  # other files are not blocked
        unit.put("content", {"id": "x"})
    child.send("x")
    assert child.wait() == 0
    with impatient.unit("sales") as unit:
        unit.put("orders", {"id": "ord_1"})
    assert Store(data_dir).view("sales").count("orders") == 1


def test_threads_of_one_store_queue(data_dir: Path) -> None:
    store = Store(data_dir)

    def bump() -> None:
        for _ in range(50):
            with store.unit("sales") as unit:
                row = unit.get("meta", "n") or {"id": "n", "n": 0}
                unit.put("meta", {"id": "n", "n": row["n"] + 1})

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Store(data_dir).view("sales").get("meta", "n") == {"id": "n", "n": 400}
