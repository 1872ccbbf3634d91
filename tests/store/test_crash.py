"""Atomic units under `kill -9`: every file parses and no unit is ever half applied or lost once acked."""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest

from paidpdf.store import Store
from tests.data_files import on_disk, state, torn_bytes
from tests.store.children import Child

TOTAL = 1000
KILLS = 100


def _writer(data: Path) -> object:
    """A unit moves an amount between two accounts, bumps a counter and appends a ledger row: three
    documents that only add up if the unit landed whole. Each commit is acked on the pipe."""

    def run(out: int, _in: int) -> None:
        store = Store(data)
        rng = random.Random(os.getpid())
        while True:
            with store.unit("sales") as unit:
                a, b = unit.require("wallets", "a", "wallet"), unit.require("wallets", "b", "wallet")
                meta = unit.require("meta", "seq", "counter")
                amount = rng.randint(-a["balance"], b["balance"])
                seq = meta["n"] + 1
                unit.put("wallets", {**a, "balance": a["balance"] + amount})
                unit.put("wallets", {**b, "balance": b["balance"] - amount})
                unit.put("meta", {"id": "seq", "n": seq})
                unit.insert("ledger", {"id": f"L{seq:07d}", "amount": amount, "pad": "x" * 200})
            os.write(out, f"{seq}\n".encode())

    return run


def _check(data: Path, acked: int) -> int:
    for name in ("catalog", "accounts"):
        state(data, name)  # every data file (base and journal) reads
    parsed = state(data, "sales")  # an unreadable file fails here
    wallets, ledger, seq = parsed["wallets"], parsed["ledger"], parsed["meta"]["seq"]["n"]
    assert wallets["a"]["balance"] + wallets["b"]["balance"] == TOTAL, "half-applied unit (money)"
    assert len(ledger) - 2000 == seq, "half-applied unit (ledger vs counter)"
    assert acked <= seq <= acked + 1, f"acked unit lost or phantom unit: acked {acked}, file {seq}"
    view = Store(data).view("sales")  # and the store itself reads it
    assert view.count("ledger") == len(ledger)
    return seq


@pytest.mark.slow
def test_kill_9_never_leaves_a_corrupt_file_or_a_half_applied_unit(
    data_dir: Path, children: list[Child]
) -> None:
    store = Store(data_dir)
    with store.unit("sales") as unit:
        unit.put("wallets", {"id": "a", "balance": TOTAL // 2})
        unit.put("wallets", {"id": "b", "balance": TOTAL // 2})
        unit.put("meta", {"id": "seq", "n": 0})
        for i in range(2000):  # ~0.5 MB, so a write takes long enough for kills to land inside it
            unit.insert("ledger", {"id": f"pad{i:05d}", "amount": 0, "pad": "y" * 200})
    rng = random.Random(1234)
    acked = 0
    interrupted_writes = 0
    # A cap for a runaway test, not a speed check: generous, since other tests (or xdist workers) may
    # load the machine (one kill takes 0.1-0.5 s then).
    deadline = time.monotonic() + 300
    for _ in range(KILLS):
        child = Child(_writer(data_dir))
        children.append(child)
        first = child.readline()  # wait until it is past start-up and committing
        time.sleep(rng.uniform(0, 0.012))
        child.kill()
        child.wait()
        lines = [first, *child.read_rest()]
        child.close()
        children.remove(child)
        done = [int(x) for x in lines if x.isdigit()]
        assert not [x for x in lines if x.startswith("ERROR")], lines
        acked = max([acked, *done])
        leftovers = list(data_dir.glob(".sales.*.tmp"))
        torn = torn_bytes(data_dir, "sales")
        on_file = _check(data_dir, acked)
        # Inside a unit: mid-record (a torn tail), mid-compaction (a temp file), or after the record
        # was written and before the unit returned (a unit on file that its writer never acked).
        interrupted_writes += bool(leftovers or torn or on_file > acked)
        acked = on_file
        assert time.monotonic() < deadline, "kill test too slow"
    # The kills really landed inside units, not only between them.
    assert interrupted_writes >= 10, interrupted_writes
    assert acked > KILLS
    # The next writer sweeps what the killed ones left.
    with Store(data_dir).unit("sales") as unit:
        unit.put("meta", {"id": "seq", "n": acked + 1})
        unit.insert("ledger", {"id": f"L{acked + 1:07d}", "amount": 0, "pad": ""})
    assert list(data_dir.glob(".sales.*.tmp")) == []
    assert torn_bytes(data_dir, "sales") == 0


def test_temp_files_of_a_crashed_writer_are_swept_by_the_next_unit(data_dir: Path) -> None:
    leftover = data_dir / ".sales.json.4242.deadbeef.tmp"
    leftover.write_bytes(b'{"orders": {"half')
    other = data_dir / ".catalog.json.4242.cafebabe.tmp"
    other.write_bytes(b"{")
    unrelated = data_dir / "notes.tmp"
    unrelated.write_bytes(b"keep me")
    store = Store(data_dir)
    store.view("sales")
    assert leftover.exists(), "readers never delete anything"
    with store.unit("sales") as unit:
        unit.put("orders", {"id": "ord_1"})
    assert not leftover.exists()
    assert other.exists(), "only the locked file's temp files are swept"
    with store.unit("catalog"):
        pass
    assert not other.exists()
    assert unrelated.read_bytes() == b"keep me"


def test_an_exception_inside_a_unit_writes_nothing(data_dir: Path) -> None:
    store = Store(data_dir)
    with store.unit("sales") as unit:
        unit.put("orders", {"id": "ord_1", "status": "paid"})
    before = on_disk(data_dir, "sales")
    with pytest.raises(RuntimeError), store.unit("sales") as unit:
        unit.put("orders", {"id": "ord_1", "status": "refunded"})
        unit.insert("orders", {"id": "ord_2"})
        raise RuntimeError("boom")
    assert on_disk(data_dir, "sales") == before
    assert store.view("sales").get("orders", "ord_1") == {"id": "ord_1", "status": "paid"}
    assert Store(data_dir).view("sales").count("orders") == 1
