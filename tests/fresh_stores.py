"""`fresh_store`: an empty shop on the test's backend, as many times as a test asks (a Hypothesis property
that needs a new shop per example). Registered from tests/conftest.py.

On the data folder each call opens a new folder. On PostgreSQL a new database per example would cost a
`create database` and a new pool each time (several times slower than the example itself), so the test keeps
its one database and each call empties its documents (`truncate`) and opens the store on a new folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from paidpdf.store import DataStore, Store, open_store


@pytest.fixture
def fresh_store(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Callable[[], DataStore]]:
    opened: list[DataStore] = []
    url = request.getfixturevalue("postgres_url") if backend == "postgresql" else None

    def make() -> DataStore:
        root = tmp_path_factory.mktemp("fresh")
        if url is None:
            return Store(root)
        for old in opened:
            old.close()
        opened.clear()
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            for table in ("paidpdf_documents", "paidpdf_versions"):
                if conn.execute("select to_regclass(%s)", [table]).fetchone() != (None,):
                    conn.execute(f"truncate {table}")
        store = open_store(root, url)
        opened.append(store)
        return store

    yield make
    for old in opened:
        old.close()
