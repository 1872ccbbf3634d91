"""Views and units of the PostgreSQL backend: the document API (`api.View`, `api.Unit`) over SQL.

A unit reads and writes inside the transaction that holds its data file's advisory lock (`PgStore.unit`);
a view reads inside a read-only REPEATABLE READ transaction of its own, begun at its first read and
ended when the view is dropped (by a background thread: `release.py`), so all its reads see one
moment. Reads by field go through the expression indexes `backend.PgStore` creates (`doc -> field`),
with the embedded store's semantics (a missing field matches None; a value matches by JSON type and equality).
"""

from __future__ import annotations

import copy
import itertools
import re
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import orjson
import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

from paidpdf.errors import Conflict, InvalidInput, NotFound, StorageError, StorageUnavailable
from paidpdf.store.api import Doc
from paidpdf.store.layout import indexable
from paidpdf.store.postgres.release import Releaser, give_back

#: A NUL character as JSON writes it: `\u0000` after an even number of backslashes (an odd number
#: means the backslash itself was escaped, and the text only looks like one).
_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


def to_json(value: Any) -> str:
    return orjson.dumps(value).decode()


#: `stream`'s batches of ids: the first one, and the largest (each later one four times the last).
_FIRST_BATCH, _LAST_BATCH = 50, 2000


class _Reads:
    """The read operations, over whatever connection the subclass gives (a unit's or a view's)."""

    name: str

    def _conn(self) -> psycopg.Connection[Any]:
        raise NotImplementedError

    def _rows(self, statement: str | sql.Composed, params: Iterable[Any]) -> list[Any]:
        try:
            return self._conn().execute(statement, list(params)).fetchall()
        except psycopg.OperationalError as exc:
            raise StorageUnavailable(f"the database is unavailable: {first_line(exc)}") from None
        except psycopg.Error as exc:
            raise StorageError(f"database error: {first_line(exc)}") from None

    @property
    def version(self) -> tuple[Any, ...]:
        rows = self._rows("select version from paidpdf_versions where file = %s", [self.name])
        return ("postgresql", rows[0][0] if rows else 0)

    def versions_of(self, names: list[str]) -> dict[str, Any]:
        """Several files' version numbers in one query (`PgStore.versions`); a file never written has none."""
        rows = self._rows("select file, version from paidpdf_versions where file = any(%s)", [names])
        return {str(name): number for name, number in rows}

    def get(self, table: str, doc_id: str) -> Doc | None:
        rows = self._rows(
            "select doc from paidpdf_documents where file = %s and tbl = %s and id = %s",
            [self.name, table, doc_id],
        )
        return rows[0][0] if rows else None

    def require(self, table: str, doc_id: str, what: str) -> Doc:
        found = self.get(table, doc_id)
        if found is None:
            raise NotFound(f"no {what} {doc_id!r}")
        return found

    def all(self, table: str) -> list[Doc]:
        return list(self.each(table))

    def each(self, table: str) -> Iterator[Doc]:
        query = "select doc from paidpdf_documents where file = %s and tbl = %s order by seq"
        for (doc,) in self._rows(query, [self.name, table]):
            yield doc

    def count(self, table: str) -> int:
        rows = self._rows(
            "select count(*) from paidpdf_documents where file = %s and tbl = %s", [self.name, table]
        )
        return int(rows[0][0])

    def tables(self) -> list[str]:
        rows = self._rows("select distinct tbl from paidpdf_documents where file = %s", [self.name])
        return sorted(r[0] for r in rows)

    def find(self, table: str, field: str, value: Any) -> list[Doc]:
        """Documents whose `field` equals `value`, through the field's index (`doc -> 'field'`). The
        field is written into the statement as a literal, not passed as a parameter, so the planner
        matches the expression index even in a prepared statement's generic plan."""
        if not indexable(value):
            return [d for d in self.each(table) if d.get(field) == value]
        path = sql.SQL("doc -> {}").format(sql.Literal(field))
        if value is None:  # a missing field counts as None, as in the embedded store
            test = sql.SQL("(({path}) is null or {path} = 'null'::jsonb)").format(path=path)
            params = [self.name, table]
        else:
            test = sql.SQL("{path} = %s::jsonb").format(path=path)
            params = [self.name, table, to_json(value)]
        query = sql.SQL(
            "select doc from paidpdf_documents where file = %s and tbl = %s and {test} order by seq"
        ).format(test=test)
        rows = self._rows(query, params)
        return [r[0] for r in rows if r[0].get(field) == value]

    def find_many(self, table: str, field: str, values: Iterable[str]) -> dict[str, list[Doc]]:
        """`find` per value: each one an index lookup already."""
        return {v: self.find(table, field, v) for v in values}

    def where(self, table: str, predicate: Callable[[Doc], bool]) -> list[Doc]:
        return [d for d in self.each(table) if predicate(d)]

    def select_ids(
        self, table: str, predicate: Callable[[Doc], bool], key: Callable[[Doc], Any]
    ) -> list[str]:
        chosen = sorted((key(d), d["id"]) for d in self.each(table) if predicate(d))
        return [doc_id for _, doc_id in chosen]

    def stream(self, table: str, ids: Iterable[str]) -> Iterator[Doc]:
        """The documents with these ids, in their order (missing ones skipped), a batch of ids per
        statement: the first batch small (the first CSV row, a page of 50 come at once), later ones
        larger. A statement per document cost a 10,000-order API listing 10,000 round trips."""
        pending = iter(ids)
        size = _FIRST_BATCH
        while batch := list(itertools.islice(pending, size)):
            query = "select id, doc from paidpdf_documents where file = %s and tbl = %s and id = any(%s)"
            found = dict(self._rows(query, [self.name, table, batch]))
            given: set[str] = set()
            for doc_id in batch:
                doc = found.get(doc_id)
                if doc is not None:
                    yield copy.deepcopy(doc) if doc_id in given else doc  # each a copy of its own
                    given.add(doc_id)
            size = min(size * 4, _LAST_BATCH)


class PgView(_Reads):
    """Reads of one data file, all in one read-only REPEATABLE READ transaction (one moment)."""

    def __init__(self, name: str, pool: ConnectionPool[Any], releaser: Releaser) -> None:
        self.name = name
        self._pool = pool
        self._releaser = releaser
        self._connection: psycopg.Connection[Any] | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None

    def _conn(self) -> psycopg.Connection[Any]:
        if self._connection is None:
            self._begin(None)
        assert self._connection is not None
        return self._connection

    def _rows(self, statement: str | sql.Composed, params: Iterable[Any]) -> list[Any]:
        if self._connection is not None:
            return super()._rows(statement, params)
        try:
            return self._begin((statement, list(params)))
        except psycopg.OperationalError as exc:
            raise StorageUnavailable(f"the database is unavailable: {first_line(exc)}") from None
        except psycopg.Error as exc:
            raise StorageError(f"database error: {first_line(exc)}") from None

    def _begin(self, first: tuple[str | sql.Composed, list[Any]] | None) -> list[Any]:
        """Begin the view's transaction and, sent in the same round trip (pipeline mode), run its
        first read: most views read once or twice, so this saves a third of their round trips."""
        conn = checkout(self._pool)
        try:
            conn.autocommit = True  # so that this BEGIN, not psycopg's own, sets the isolation
            with conn.pipeline():
                conn.execute("begin isolation level repeatable read read only")
                cursor = conn.execute(first[0], first[1]) if first is not None else None
            rows = cursor.fetchall() if cursor is not None else []
        except BaseException:
            give_back(self._pool, conn)
            raise
        self._connection = conn
        self._finalizer = weakref.finalize(self, self._releaser.release, conn)
        return rows

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()
            self._connection = None


def checkout(pool: ConnectionPool[Any]) -> psycopg.Connection[Any]:
    try:
        return pool.getconn()  # waits at most the pool's `timeout`
    except PoolTimeout:
        raise StorageUnavailable(
            f"the database did not answer within {pool.timeout:.0f} s (is PostgreSQL running?)"
        ) from None
    except PoolClosed:  # a background thread still at work while the process shuts its store down
        raise StorageUnavailable("the store is closed (the process is shutting down)") from None


def first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or ["?"])[0]


Statement = tuple["str | sql.Composed", list[Any]]
_UPSERT = """insert into paidpdf_documents (file, tbl, id, doc) values (%s, %s, %s, %s::jsonb)
             on conflict (file, tbl, id) do update set doc = excluded.doc"""
_BUMP = """insert into paidpdf_versions (file, version) values (%s, 1)
           on conflict (file) do update set version = paidpdf_versions.version + 1"""


class PgUnit(_Reads):
    """A unit: reads and writes inside the transaction that holds the file's lock.

    Round trips are what a unit costs on a network, so it saves them without changing what it means:
    the lock (`lock`, when the unit must take it) is sent with the unit's first statement, in one
    pipeline, and the server runs them in order, so nothing is read before the lock is held. Writes
    are kept until a statement needs them (a read of many documents, a delete) or the unit ends, then
    sent together; a read of one document the unit wrote answers from what it wrote, which is what the
    database would answer. The version bump and the commit go with the last writes.
    """

    def __init__(self, name: str, conn: psycopg.Connection[Any], lock: Statement | None = None) -> None:
        self.name = name
        self._connection = conn
        self._lock = lock
        self._writes: dict[tuple[str, str], str] = {}
        self.dirty = False
        self._closed = False

    def _conn(self) -> psycopg.Connection[Any]:
        if self._closed:
            raise StorageError("internal error: a unit was used after its `with` block ended")
        return self._connection

    def _rows(self, statement: str | sql.Composed, params: Iterable[Any], *, flush: bool = True) -> list[Any]:
        """Run `statement` after what must go first: the lock, and (`flush`) the kept writes."""
        ahead: list[Statement] = [self._lock] if self._lock is not None else []
        if flush:
            ahead += self._pending()
        if not ahead:
            return super()._rows(statement, params)
        rows = self._pipeline([*ahead, (statement, list(params))])
        self._lock = None
        if flush:
            self._writes.clear()
        return rows

    def _pending(self) -> list[Statement]:
        return [(_UPSERT, [self.name, table, doc_id, text]) for (table, doc_id), text in self._writes.items()]

    def _pipeline(self, statements: list[Statement]) -> list[Any]:
        conn = self._conn()
        try:
            with conn.pipeline():
                cursors = [conn.execute(query, params) for query, params in statements]
            cursor = cursors[-1]
            return cursor.fetchall() if cursor.description is not None else []
        except psycopg.errors.LockNotAvailable:
            raise StorageError(f"{self.name} is locked by another writer for too long") from None
        except psycopg.OperationalError as exc:
            raise StorageUnavailable(f"the database is unavailable: {first_line(exc)}") from None
        except psycopg.Error as exc:
            raise StorageError(f"database error: {first_line(exc)}") from None

    def get(self, table: str, doc_id: str) -> Doc | None:
        kept = self._writes.get((table, doc_id))
        if kept is not None:
            return orjson.loads(kept)  # a copy, as a read from the database would be
        rows = self._rows(
            "select doc from paidpdf_documents where file = %s and tbl = %s and id = %s",
            [self.name, table, doc_id], flush=False,  # one document: the kept writes cannot change it
        )
        return rows[0][0] if rows else None

    def insert(self, table: str, doc: Doc) -> Doc:
        doc_id = _doc_id(doc)
        if self.get(table, doc_id) is not None:
            raise Conflict(f"{table} {doc_id!r} already exists")
        return self.put(table, doc)

    def put(self, table: str, doc: Doc) -> Doc:
        doc_id = _doc_id(doc)
        text = to_json(doc)
        if _NUL.search(text):
            # PostgreSQL's JSONB cannot hold a NUL character; no real Stripe event or admin input has
            # one, so such a document is refused as bad input (a webhook answers 400), never a 500.
            raise InvalidInput(f"{table} {doc_id!r} contains a NUL character, which cannot be stored")
        self._conn()
        self._writes.pop((table, doc_id), None)  # keep the order of first writes stable
        self._writes[(table, doc_id)] = text
        self.dirty = True
        return doc

    def delete(self, table: str, doc_id: str) -> bool:
        rows = self._rows(
            "delete from paidpdf_documents where file = %s and tbl = %s and id = %s returning 1",
            [self.name, table, doc_id],
        )
        self.dirty = self.dirty or bool(rows)
        return bool(rows)

    def drop(self, table: str) -> None:
        self._rows("delete from paidpdf_documents where file = %s and tbl = %s", [self.name, table])
        self.dirty = True

    def finish(self) -> None:
        """Send what is kept (the lock first if no statement took it yet), the version bump and the
        commit, in one round trip. The commit's answer is awaited like any statement's, so a unit
        that returns has committed; one that raises did not (a lost connection is rolled back)."""
        statements: list[Statement] = self._pending()
        if self.dirty:
            statements.append((_BUMP, [self.name]))
        if statements:
            self._pipeline(([self._lock] if self._lock is not None else []) + statements + [("commit", [])])
        self._lock = None
        self._writes.clear()

    def close(self) -> None:
        self._closed = True


def _doc_id(doc: Doc) -> str:
    doc_id = doc.get("id")
    if not isinstance(doc_id, str) or not doc_id:
        raise StorageError("internal error: every stored document needs a string 'id'")
    return doc_id
