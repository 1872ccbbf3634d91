"""Versioned tables: every version reads like a plain dict of its documents, at any fold, forever.

A hypothesis model test: random puts and deletes are applied both to a `Table` (version by version,
with a tiny fold threshold so folding happens often) and to plain dicts; every version kept along the
way must still equal its dict, and indexed `find_ids` must equal a scan.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paidpdf.store.embedded import tables
from paidpdf.store.embedded.tables import DELETED, Table

ids = st.sampled_from([f"d{i}" for i in range(12)])
values = st.sampled_from(["red", "blue", None, 3, True])
changes = st.dictionaries(
    ids, st.one_of(st.just(None), st.fixed_dictionaries({"colour": values, "n": st.integers(0, 3)})),
    max_size=5,
)


@pytest.fixture(autouse=True)
def _fold_often(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tables, "FOLD_AT", 4)


@settings(max_examples=200, deadline=None)
@given(st.lists(changes, max_size=25), st.sampled_from(["colour", "n"]))
def test_every_version_reads_like_its_dict(steps: list[dict[str, Any]], field: str) -> None:
    start = {"d0": {"id": "d0", "colour": "red", "n": 1}, "d1": {"id": "d1", "colour": "blue", "n": 2}}
    table = Table.of(dict(start))
    table.find_ids(field, "red")  # an index built early must be carried through folds
    model = dict(start)
    kept: list[tuple[Table, dict[str, Any]]] = [(table, dict(model))]
    for step in steps:
        change = {}
        for doc_id, doc in step.items():
            if doc is None:
                change[doc_id] = DELETED
                model.pop(doc_id, None)
            else:
                change[doc_id] = {"id": doc_id, **doc}
                model[doc_id] = change[doc_id]
        table = table.changed(change)
        kept.append((table, dict(model)))
    for version, expected in kept:
        assert dict(version.items()) == expected
        assert len(version) == len(expected)
        for doc_id in [f"d{i}" for i in range(12)]:
            assert version.get(doc_id) == expected.get(doc_id)
        for wanted in ("red", "blue", None, 3, True, 1, 2):
            scan = sorted(i for i, d in expected.items() if d.get(field) == wanted)
            assert sorted(version.find_ids(field, wanted)) == scan
        assert version.folded().materialize() == expected
