"""Bases read from disk through their index (`cold.py`): the same answers as a base parsed whole.

`Store(cold_from=0)` reads every base through its index, so these tests exercise that path on small
data; the default store parses small bases whole and only large ones stay on disk.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paidpdf.errors import StorageCorrupt
from paidpdf.store import Store
from paidpdf.store.embedded import base_index
from paidpdf.store.embedded.base_index import index_path
from paidpdf.store.layout import INDEXED_FIELDS

USERS = ["u1", "u2", "u3", None]

ops = st.lists(
    st.one_of(
        st.tuples(st.just("put"), st.integers(0, 30), st.sampled_from(USERS), st.text(max_size=6)),
        st.tuples(st.just("delete"), st.integers(0, 30)),
        st.tuples(st.just("compact")),
        st.tuples(st.just("reopen")),
    ),
    max_size=40,
)


def _check(store: Store, model: dict[str, dict[str, Any]]) -> None:
    view = store.view("sales")
    assert view.count("orders") == len(model)
    assert {d["id"]: d for d in view.all("orders")} == model
    for doc_id in ("o0", "o7", "o30", "missing"):
        assert view.get("orders", doc_id) == model.get(doc_id)
    for user in USERS:
        found = sorted(d["id"] for d in view.find("orders", "user_id", user))
        assert found == sorted(i for i, d in model.items() if d.get("user_id") == user)
    names = [u for u in USERS if isinstance(u, str)] + ["nobody"]  # find_many takes strings
    many = view.find_many("orders", "user_id", names)
    assert {u: sorted(d["id"] for d in docs) for u, docs in many.items()} == {
        u: sorted(i for i, d in model.items() if d.get("user_id") == u) for u in names
    }
    unindexed = sorted(d["id"] for d in view.find("orders", "note", "a"))
    assert unindexed == sorted(i for i, d in model.items() if d.get("note") == "a")
    newest = view.select_ids("orders", lambda d: d.get("user_id") == "u1", key=lambda d: d["id"])
    assert newest == sorted(i for i, d in model.items() if d.get("user_id") == "u1")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=ops)
def test_a_base_on_disk_answers_like_the_model(tmp_path: Path, steps: list[tuple[Any, ...]]) -> None:
    folder = tmp_path / f"shop{len(list(tmp_path.iterdir()))}"
    store = Store(folder, cold_from=0)
    model: dict[str, dict[str, Any]] = {}
    for step in steps:
        if step[0] == "put":
            _, n, user, note = step
            doc = {"id": f"o{n}", "user_id": user, "note": note, "n": n}
            with store.unit("sales") as unit:
                unit.put("orders", doc)
            model[doc["id"]] = doc
        elif step[0] == "delete":
            with store.unit("sales") as unit:
                assert unit.delete("orders", f"o{step[1]}") == (f"o{step[1]}" in model)
            model.pop(f"o{step[1]}", None)
        elif step[0] == "compact":
            store.compact("sales")
        else:
            store = Store(folder, cold_from=0)  # another process, reading from scratch
        _check(store, model)
    _check(Store(folder), model)  # and a store that parses the base whole agrees


def _shop(folder: Path, orders: int) -> Store:
    store = Store(folder, cold_from=0)
    with store.unit("sales") as unit:
        for n in range(orders):
            unit.put("orders", {"id": f"o{n}", "user_id": f"u{n % 10}", "amount": n})
    store.compact("sales")
    return store


def test_the_base_is_read_through_its_index_and_says_so(data_dir: Path) -> None:
    _shop(data_dir, 50)
    assert index_path(data_dir / "sales.json").exists()
    assert Store(data_dir, cold_from=0).journal_state("sales").on_disk
    assert not Store(data_dir).journal_state("sales").on_disk  # small: parsed whole by default
    assert orjson.loads((data_dir / "sales.json").read_bytes())["orders"]["o7"]["amount"] == 7


def test_a_snapshot_held_across_a_compaction_still_reads_its_own_base(data_dir: Path) -> None:
    store = _shop(data_dir, 20)
    before = store.view("sales")
    with store.unit("sales") as unit:
        unit.delete("orders", "o3")
        unit.put("orders", {"id": "o4", "user_id": "new", "amount": -1})
    store.compact("sales")
    Store(data_dir, cold_from=0).compact("sales")
    assert before.get("orders", "o3") == {"id": "o3", "user_id": "u3", "amount": 3}
    assert before.get("orders", "o4") == {"id": "o4", "user_id": "u4", "amount": 4}
    assert [d["id"] for d in before.find("orders", "user_id", "u4")] == ["o4", "o14"]
    now = store.view("sales")
    assert now.get("orders", "o3") is None and now.find("orders", "user_id", "new")[0]["id"] == "o4"


@pytest.mark.parametrize("damage", ["missing", "damaged header", "truncated", "other base"])
def test_an_unusable_index_is_ignored_and_rebuilt_by_streaming_the_base(data_dir: Path, damage: str) -> None:
    """Opening the base makes its index again by streaming it (`base_scan.py`), never parsing it whole;
    the base's bytes and its journal stay as they are."""
    _shop(data_dir, 30)
    index = index_path(data_dir / "sales.json")
    if damage == "missing":
        index.unlink()
    elif damage == "damaged header":
        raw = bytearray(index.read_bytes())
        raw[20] ^= 0xFF
        index.write_bytes(bytes(raw))
    elif damage == "truncated":
        index.write_bytes(index.read_bytes()[:-9])
    else:  # the base was copied (a new inode): the index describes another file
        shutil.copy(data_dir / "sales.json", data_dir / "copy.json")
        (data_dir / "copy.json").replace(data_dir / "sales.json")
    base = (data_dir / "sales.json").read_bytes()
    store = Store(data_dir, cold_from=0)
    assert store.journal_state("sales").on_disk
    assert store.view("sales").get("orders", "o29") == {"id": "o29", "user_id": "u9", "amount": 29}
    assert (data_dir / "sales.json").read_bytes() == base
    rebuilt = index.read_bytes()
    fresh = Store(data_dir, cold_from=0)  # another process reads the index written beside the base
    assert fresh.journal_state("sales").on_disk and index.read_bytes() == rebuilt
    with fresh.unit("sales") as unit:
        unit.put("orders", {"id": "o30", "user_id": "u0", "amount": 30})
    found = Store(data_dir, cold_from=0).view("sales").find("orders", "user_id", "u0")
    assert sorted(d["id"] for d in found) == ["o0", "o10", "o20", "o30"]


@pytest.mark.parametrize("layout", ["spaces", "escaped key", "not a document"])
def test_a_base_in_another_layout_is_parsed_whole_and_rewritten_by_the_next_writer(
    data_dir: Path, layout: str
) -> None:
    """The index describes a base's bytes as this program writes them; a base written otherwise
    (TinyDB's own `json.dump`, a hand-edited file) is read the old way, and its first write compacts it."""
    import json

    tables = {"orders": {f"o{n}": {"id": f"o{n}", "user_id": f"u{n % 10}", "amount": n} for n in range(30)}}
    if layout == "spaces":
        raw = json.dumps(tables).encode()
    elif layout == "escaped key":
        raw = orjson.dumps(tables).replace(b'"o7":', b'"\\u006f7":')
    else:
        raw = orjson.dumps({**tables, "notes": {"n1": {"id": "n1"}}}).replace(b'{"id":"n1"}', b"[1]")
    (data_dir / "sales.json").write_bytes(raw)
    store = Store(data_dir, cold_from=0)
    if layout == "not a document":
        with pytest.raises(StorageCorrupt, match="not a TinyDB file"):
            store.view("sales")
        assert not index_path(data_dir / "sales.json").exists()
        return
    assert not store.journal_state("sales").on_disk
    assert store.view("sales").get("orders", "o7") == {"id": "o7", "user_id": "u7", "amount": 7}
    with store.unit("sales") as unit:  # a large base without a usable index: the writer re-indexes
        unit.put("orders", {"id": "o30", "user_id": "u0", "amount": 30})
    fresh = Store(data_dir, cold_from=0)
    assert fresh.journal_state("sales").on_disk
    found = fresh.view("sales").find("orders", "user_id", "u0")
    assert [d["id"] for d in found] == ["o0", "o10", "o20", "o30"]


def test_a_damaged_index_array_is_a_clear_error_and_db_check_finds_it(data_dir: Path, cli: Any) -> None:
    _shop(data_dir, 30)
    index = index_path(data_dir / "sales.json")
    raw = bytearray(index.read_bytes())
    raw[-1] ^= 0xFF  # the last array: the keys of the last indexed field
    index.write_bytes(bytes(raw))
    last = INDEXED_FIELDS["orders"][-1]
    store = Store(data_dir, cold_from=0)
    assert store.view("sales").get("orders", "o3") == {"id": "o3", "user_id": "u3", "amount": 3}
    with pytest.raises(StorageCorrupt, match=r"sales\.index is damaged .*delete it"):
        store.view("sales").find("orders", last, None)
    checked = Store(data_dir, cold_from=0)
    from paidpdf.maintenance import checks

    problems = checks.check(checked).problems
    assert len(problems) == 1 and "sales.index is damaged" in problems[0].problem
    index.unlink()
    assert len(Store(data_dir, cold_from=0).view("sales").find("orders", last, None)) == 30


def test_a_field_indexed_after_the_base_was_written_is_indexed_at_the_next_compaction(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paidpdf.store import layout

    _shop(data_dir, 12)
    monkeypatch.setitem(layout.INDEXED_FIELDS, "orders", (*layout.INDEXED_FIELDS["orders"], "amount"))
    store = Store(data_dir, cold_from=0)
    assert "amount" not in _indexed_fields(data_dir / "sales.json")
    with store.unit("sales") as unit:
        unit.put("orders", {"id": "o12", "user_id": "u2", "amount": 5})
    store.compact("sales")
    assert "amount" in _indexed_fields(data_dir / "sales.json")
    fresh = Store(data_dir, cold_from=0).view("sales")
    assert sorted(d["id"] for d in fresh.find("orders", "amount", 5)) == ["o12", "o5"]


def _indexed_fields(base: Path) -> list[str]:
    """The fields the base's index file holds key arrays for (read from the file itself)."""
    index = base_index.read(base, base.stat())
    assert index is not None
    return index.tables["orders"].field_names


def test_a_base_indexed_by_streaming_reads_like_the_base_parsed_whole(data_dir: Path) -> None:
    """Ids and values that a byte scanner could trip on: UTF-8, escapes, `},"x":{` inside a string,
    nested objects and lists, an empty table, documents larger than a block."""
    tricky = ['a"b', "back\\slash", '},"o9":{', "new\nline", "Zoë", "日本", "\u2028", "{[", ""]
    orders = {}
    for n in range(40):
        doc_id = f"o{n}" if n % 5 else f"ö{n}"
        orders[doc_id] = {
            "id": doc_id,
            "user_id": tricky[n % len(tricky)],
            "nested": {"list": [1, 2.5, None, True, {"deep": tricky[(n + 1) % len(tricky)]}]},
            "pad": "x" * (2_000_000 if n == 7 else n),
        }
    raw = orjson.dumps({"orders": orders, "empty": {}, "library": {"l1": {"id": "l1", "user_id": "Zoë"}}})
    (data_dir / "sales.json").write_bytes(raw)
    whole = Store(data_dir, cold_from=1 << 60).view("sales")
    store = Store(data_dir, cold_from=0)
    assert store.journal_state("sales").on_disk and index_path(data_dir / "sales.json").exists()
    view = store.view("sales")
    for table in ("orders", "empty", "library"):
        assert view.all(table) == whole.all(table)
    for doc_id in orders:
        assert view.get("orders", doc_id) == orders[doc_id]
    for value in tricky:
        assert sorted(d["id"] for d in view.find("orders", "user_id", value)) == sorted(
            d["id"] for d in whole.find("orders", "user_id", value)
        )
    assert [d["id"] for d in view.find("library", "user_id", "Zoë")] == ["l1"]
    assert (data_dir / "sales.json").read_bytes() == raw


def test_the_streamed_index_is_the_one_a_compaction_writes(data_dir: Path) -> None:
    """Same base, same index, byte for byte: streaming computes every array as `base_writer` does."""
    from paidpdf.store.embedded.base_writer import write_base_file

    users = ["u1", "Zoë", None, 7, True, ["not", "indexable"]]
    orders = ({"id": f"o{n}", "user_id": users[n % len(users)], "status": "paid"} for n in range(500))
    library = ({"id": f"l{n}", "content_id": f"c{n % 3}"} for n in range(50))
    base = data_dir / "sales.json"
    write_base_file(base, {"orders": orders, "library": library, "meta": iter([])})
    written = index_path(base).read_bytes()
    index_path(base).unlink()
    assert Store(data_dir, cold_from=0).journal_state("sales").on_disk
    assert index_path(base).read_bytes() == written
