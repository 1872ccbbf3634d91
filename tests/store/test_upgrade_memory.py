"""Opening a shop of an earlier release (large bases without `*.index`) streams each base once to
index it (`base_scan.py`) instead of parsing it whole: the process's peak memory stays flat, and the
shop reads exactly as before. (The data folder's own upgrade: PostgreSQL has no bases.) The figure at
100,000 and 1,000,000 orders is in `bench/upgrade.py`."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson

from paidpdf.store import Store
from paidpdf.store.embedded.base_index import index_path
from paidpdf.store.embedded.data_file import COLD_FROM
from paidpdf.testing.old_bases import measure_open, order, write_old_shop

ORDERS = 30_000  # a 33 MB base: parsed whole it costs about 245 MB; streamed, about 10 MB
#: The second test's shop: its size is not what it checks, only that its base is cold (over COLD_FROM,
#: so it is indexed by streaming) and spans many 1 MiB blocks: about 11 MB.
READ_ORDERS = 10_000
NEVER_COLD = 1 << 60  # a store that parses every base whole, as the earlier release did


def test_the_upgrade_streams_each_base_and_its_peak_memory_stays_flat(tmp_path: Path) -> None:
    old = tmp_path / "old"
    write_old_shop(old, ORDERS)
    shutil.copytree(old, tmp_path / "reference")
    assert not index_path(old / "sales.json").exists()

    upgraded = measure_open(old)
    whole = measure_open(tmp_path / "reference", "whole")  # what the upgrade cost before
    # Streaming keeps about 10 MB of index arrays and one block; parsing whole holds every document.
    assert whole["growth_kb"] > 150_000, whole
    assert upgraded["growth_kb"] < 48_000, (upgraded, whole)
    assert upgraded["growth_kb"] * 5 < whole["growth_kb"], (upgraded, whole)
    assert upgraded["on_disk"] and index_path(old / "sales.json").exists()
    again = measure_open(old)
    assert again["on_disk"] and again["growth_kb"] < 16_000, again  # the index is read, not rebuilt


def test_the_upgraded_shop_reads_identically_and_keeps_its_journal(tmp_path: Path) -> None:
    old = tmp_path / "old"
    base = write_old_shop(old, READ_ORDERS)
    before = base.read_bytes()
    assert len(before) > COLD_FROM + 2 * 1024 * 1024  # cold, and several blocks
    with Store(old, cold_from=NEVER_COLD).unit("sales") as unit:  # a journal-era release's last write
        unit.put("orders", {**order(3), "status": "refunded"})
        unit.delete("orders", order(4)["id"])
    reference = Store(old, cold_from=NEVER_COLD).view("sales")

    store = Store(old)
    assert store.journal_state("sales").on_disk and store.journal_state("sales").records == 1
    view = store.view("sales")
    assert base.read_bytes() == before  # indexed as it is: its journal still continues it
    for table in ("orders", "library"):
        assert view.count(table) == reference.count(table)
        assert view.all(table) == reference.all(table)
    assert view.get("orders", order(3)["id"])["status"] == "refunded"
    assert view.get("orders", order(4)["id"]) is None
    assert view.get("orders", order(7)["id"]) == order(7) and order(7)["note"] == "Zoë's order"
    user = order(12)["user_id"]
    assert sorted(d["id"] for d in view.find("orders", "user_id", user)) == sorted(
        d["id"] for d in reference.find("orders", "user_id", user)
    )
    with store.unit("sales") as unit:
        unit.put("orders", {**order(READ_ORDERS), "id": "ord_after_upgrade"})
    store.compact("sales")
    compacted = Store(old).view("sales")
    assert compacted.get("orders", "ord_after_upgrade")["user_id"] == order(READ_ORDERS)["user_id"]
    assert compacted.count("orders") == READ_ORDERS
    assert orjson.loads(base.read_bytes())["orders"][order(9)["id"]] == order(9)
