"""Seeded shops on PostgreSQL without a migration per test (tests/web's `site`, tests/payments' `shop`).

An area's seeded folder is moved into a database by `db migrate`'s code once per worker (`template`);
a test of that area's seeded shop gets PostgreSQL's copy of it (`create database ... template`): 0.05 s
against 0.3-0.6 s for a new database, its schema and a migration per test. The copy holds what the
migration wrote from the same seeded folder the test's own data folder is copied from, so the test
starts from the same shop. The areas' `postgres_url` fixtures use `database`; the seeding fixtures ask
`is_seeded` before migrating.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.web.site import copy_seed

_SEEDED: set[str] = set()  #: the URLs of the databases `database` copied from a template


def template(postgres_server: str, seed: Path, scratch: Path) -> str:
    """The name of a new database holding the shop seeded in `seed` (`scratch`: a folder of its own
    for the store that moves it; the seed itself is left untouched)."""
    from paidpdf.maintenance import migrate
    from paidpdf.store import Store, open_store
    from paidpdf.testing.postgres_cluster import new_database

    url = new_database(postgres_server)
    folder = copy_seed(seed, scratch / "data")
    store = open_store(folder, url)
    try:
        migrate.migrate(Store(folder), store)
    finally:
        store.close()  # a template must have no connection when it is copied
    return url.rsplit("/", 1)[1]


@contextmanager
def database(postgres_server: str, template_name: str | None) -> Iterator[str]:
    """A fresh database for one test, dropped after it: a copy of `template_name`, or empty."""
    from paidpdf.testing.postgres_cluster import drop_database, new_database

    url = new_database(postgres_server, template_name)
    if template_name:
        _SEEDED.add(url)
    try:
        yield url
    finally:
        _SEEDED.discard(url)
        drop_database(url)


def is_seeded(url: str) -> bool:
    """Whether the database at `url` is a copy of a seeded template (so nothing is left to migrate)."""
    return url in _SEEDED
