"""The scale-out store: the same documents, views and units, kept in PostgreSQL for several servers.

One table holds every document (`paidpdf_documents`: data file, table, id, a JSONB document, and the
order it was first inserted in), with an index per field that code looks documents up by
(`layout.INDEXED_FIELDS`), so `find` is an index lookup, never a scan in Python. The promises of the
embedded store hold across servers:

- A unit is one transaction that first takes a PostgreSQL advisory lock named for its data file, so
  units on one file queue behind each other on every server, as the embedded store's `flock` makes
  them queue on one machine: no lost update, and exactly-once fulfilment (the order's status and the
  webhook's event id are read and written under that lock). A server killed mid-unit loses its
  connection, and PostgreSQL rolls the transaction back and releases the lock.
- A view is one moment of the database: its reads share one read-only REPEATABLE READ transaction,
  begun at its first read and ended when the view is dropped.
- Each file has a version number, bumped by every unit that changed it, for caches of derived pages.

The schema is created and upgraded by the program itself (`paidpdf_schema` holds its version) when a
store opens, and by `paidpdf db init`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import psycopg
from psycopg.types.json import set_json_loads
from psycopg_pool import ConnectionPool, PoolTimeout

from paidpdf.errors import StorageError, StorageUnavailable
from paidpdf.store.backup_manifest import latest_backup_in
from paidpdf.store.files.disk_source import DiskFiles
from paidpdf.store.files.file_source import FileSources
from paidpdf.store.files.object_files import ObjectFiles
from paidpdf.store.layout import FILES, INDEXED_FIELDS
from paidpdf.store.parsing import parse_data_file
from paidpdf.store.postgres.documents import (
    PgUnit,
    PgView,
    checkout,
    first_line,
    to_json,
)
from paidpdf.store.postgres.release import Releaser
from paidpdf.store.postgres.report import database_report

#: 2 added the download log's indexes (`layout.INDEXED_FIELDS`); upgrades only add indexes.
SCHEMA_VERSION = 2
#: Connections per server process: each thread may hold a view of each data file and a unit at once.
POOL_SIZE = 32
#: Seconds a request waits for a connection before the page says the database is unavailable (503).
CONNECT_TIMEOUT = 10.0



def _schema() -> list[str]:
    statements = [
        "create table if not exists paidpdf_schema (version integer not null)",
        """create table if not exists paidpdf_documents (
            file text not null, tbl text not null, id text not null,
            seq bigserial not null, doc jsonb not null,
            primary key (file, tbl, id))""",
        "create index if not exists paidpdf_documents_order on paidpdf_documents (file, tbl, seq)",
        "create table if not exists paidpdf_versions (file text primary key, version bigint not null)",
    ]
    for table, fields in INDEXED_FIELDS.items():
        for field in fields:
            statements.append(
                f"create index if not exists paidpdf_by_{table}_{field} "
                f"on paidpdf_documents (file, tbl, (doc -> '{field}'))"
            )
    return statements


def redact(url: str) -> str:
    """The URL without its password (for `db info`, `serve`'s first line and errors)."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://(unparsable URL)"
    host, port, db = info.get("host", ""), str(info.get("port", "")), info.get("dbname", "")
    user = str(info.get("user", ""))
    return f"postgresql://{user + '@' if user else ''}{host}{':' + port if port else ''}/{db}"


@dataclass(frozen=True)
class PgJournal:
    """The protocol's `journal_state` for a data file kept in PostgreSQL: it has no journal file, so
    `db check`/`db info` show `database()` instead."""

    path: Path
    exists: bool
    records: int = 0
    bytes: int = 0
    tail: int = 0
    current: bool = True
    base_bytes: int = 0
    on_disk: bool = True


class PgStore:
    """The documents of a shop in PostgreSQL, through a connection pool shared by the process's threads."""

    def __init__(
        self,
        url: str,
        root: Path,
        *,
        pool_size: int = POOL_SIZE,
        lock_timeout: float = 60.0,
        wait: float = CONNECT_TIMEOUT,
    ) -> None:
        self.root = Path(root)
        self.url = url
        self.objects: ObjectFiles | None = None
        self.files: FileSources = DiskFiles(self.root)
        self.lock_timeout = lock_timeout
        self._local = threading.local()
        self._pool: ConnectionPool[Any] = ConnectionPool(
            url, min_size=1, max_size=pool_size, open=False, configure=self._configure, timeout=wait,
            kwargs={"connect_timeout": max(1, int(wait))},
            # No check before each checkout (a round trip per request): after a database restart a dead
            # connection fails its first query (503), is closed, and the pool replaces it.
            reconnect_timeout=0,
        )
        self._releaser = Releaser(self._pool)
        try:
            self._pool.open(wait=True, timeout=wait)
        except PoolTimeout:
            self._pool.close()
            raise StorageError(f"cannot connect to {redact(url)} (is PostgreSQL running?)") from None
        self.init_schema()

    def _configure(self, conn: psycopg.Connection[Any]) -> None:
        set_json_loads(orjson.loads, conn)
        conn.execute(f"set lock_timeout = '{int(self.lock_timeout * 1000)}ms'")
        conn.commit()

    def describe(self) -> str:
        return redact(self.url)

    def init_schema(self) -> int:
        """Create or upgrade the tables; returns the schema version now in place."""
        with self._pool.connection() as conn:
            conn.execute("select pg_advisory_xact_lock(hashtext('paidpdf:schema'))")
            for statement in _schema():
                conn.execute(statement)
            rows = conn.execute("select version from paidpdf_schema").fetchall()
            if not rows:
                conn.execute("insert into paidpdf_schema (version) values (%s)", [SCHEMA_VERSION])
            elif rows[0][0] < SCHEMA_VERSION:  # the statements above brought it up to date
                conn.execute("update paidpdf_schema set version = %s", [SCHEMA_VERSION])
            elif rows[0][0] > SCHEMA_VERSION:
                raise StorageError(
                    f"the database schema is version {rows[0][0]}, newer than this paidpdf "
                    f"({SCHEMA_VERSION}): upgrade paidpdf"
                )
        return SCHEMA_VERSION

    def close(self) -> None:
        self._releaser.close()
        self._pool.close()

    # -- names ---------------------------------------------------------------------------------------
    def path(self, name: str) -> Path:
        if name not in FILES:
            raise StorageError(f"internal error: unknown data file {name!r}")
        return self.root / f"{name}.json"

    def journal_path(self, name: str) -> Path:
        return self.root / f"{name}.journal"

    def latest_backup(self) -> Path | None:
        return latest_backup_in(self.root)

    # -- reading and writing -------------------------------------------------------------------------
    def view(self, name: str) -> PgView:
        self.path(name)
        return PgView(name, self._pool, self._releaser)

    def versions_if_read(self, names: Iterable[str]) -> tuple[Any, ...] | None:
        """None: every version is a query here, never to be made without waiting."""
        return None

    def versions(self, names: Iterable[str]) -> tuple[Any, ...]:
        """Each file's version in one query of one view (`PgView.version` for each, in `names` order)."""
        wanted = list(names)
        for name in wanted:
            self.path(name)  # an unknown file is an error, as for `view`
        found = self.view(wanted[0]).versions_of(wanted)
        return tuple(("postgresql", found.get(name, 0)) for name in wanted)

    @contextmanager
    def lock(self, name: str) -> Iterator[None]:
        with self._locked(name):
            yield

    @contextmanager
    def _locked(self, name: str) -> Iterator[psycopg.Connection[Any]]:
        """A connection of this thread holding the file's session lock until the block ends, across
        transactions (`lock`, restores, flushes); re-entrant: inside another `_locked` on the same
        file, that one's connection. A unit takes the cheaper transaction lock instead (`unit`)."""
        self.path(name)
        held: dict[str, psycopg.Connection[Any]] = self._local.__dict__.setdefault("held", {})
        if name in held:
            yield held[name]
            return
        conn = checkout(self._pool)
        try:
            self._take_lock(conn, name, "pg_advisory_lock")
            conn.commit()
            held[name] = conn
            try:
                yield conn
            finally:
                del held[name]
                try:
                    conn.rollback()
                    conn.execute("select pg_advisory_unlock(hashtext(%s))", [f"paidpdf:{name}"])
                    conn.commit()
                except psycopg.Error:
                    conn.close()  # a broken session releases its locks with it
        finally:
            self._pool.putconn(conn)

    def _take_lock(self, conn: psycopg.Connection[Any], name: str, function: str) -> None:
        """Wait for the file's advisory lock (`function`: for the session or the transaction), at most
        `lock_timeout` (the connection's `lock_timeout` setting)."""
        try:
            conn.execute(f"select {function}(hashtext(%s))", [f"paidpdf:{name}"])
        except psycopg.errors.LockNotAvailable:
            conn.rollback()
            waited = f"{self.lock_timeout:.0f}s"
            raise StorageError(f"{name} is locked by another writer for over {waited}") from None
        except psycopg.OperationalError as exc:
            raise StorageUnavailable(f"the database is unavailable: {first_line(exc)}") from None
        except psycopg.Error as exc:
            raise StorageError(f"database error: {first_line(exc)}") from None

    @contextmanager
    def lock_all(self) -> Iterator[None]:
        with self.lock(FILES[0]), self.lock(FILES[1]), self.lock(FILES[2]):
            yield

    @contextmanager
    def unit(self, name: str) -> Iterator[PgUnit]:
        """One atomic read-modify-write of a data file (a transaction under the file's lock)."""
        active: set[str] = self._local.__dict__.setdefault("units", set())
        if name in active:
            raise StorageError(f"internal error: nested unit on {name}; pass the open unit down instead")
        held: dict[str, psycopg.Connection[Any]] = self._local.__dict__.setdefault("held", {})
        if name in held:  # inside `lock(name)`: the session lock is held already
            with self._unit_on(name, held[name], None, active) as unit:
                yield unit
            return
        conn = checkout(self._pool)
        held[name] = conn
        try:
            lock = ("select pg_advisory_xact_lock(hashtext(%s))", [f"paidpdf:{name}"])
            with self._unit_on(name, conn, lock, active) as unit:
                yield unit
        finally:
            del held[name]
            self._pool.putconn(conn)

    @contextmanager
    def _unit_on(
        self, name: str, conn: psycopg.Connection[Any], lock: Any, active: set[str]
    ) -> Iterator[PgUnit]:
        """The unit's transaction on `conn`: committed when the block ends, rolled back if it raises."""
        active.add(name)
        unit = PgUnit(name, conn, lock)
        try:
            yield unit
            unit.finish()
            try:
                conn.commit()
            except psycopg.OperationalError as exc:
                raise StorageUnavailable(f"the database is unavailable: {first_line(exc)}") from None
        except BaseException:
            with contextlib.suppress(psycopg.Error):
                conn.rollback()
            raise
        finally:
            unit.close()
            active.discard(name)

    # -- maintenance ---------------------------------------------------------------------------------
    def compact(self, name: str) -> None:
        return None  # nothing to fold: PostgreSQL keeps its own files (autovacuum)

    def database(self) -> dict[str, Any]:
        return database_report(self._pool)

    def export(self, name: str) -> bytes | None:
        view = self.view(name)
        tables = {table: {d["id"]: d for d in view.each(table)} for table in view.tables()}
        view.close()
        return orjson.dumps(tables) if tables else None

    def replace_file(self, name: str, payload: bytes) -> None:
        """Make `payload` (a whole TinyDB file) the file's documents; the caller holds the lock."""
        data = parse_data_file(payload, self.path(name), None)
        with self._locked(name) as conn:
            conn.execute("delete from paidpdf_documents where file = %s", [name])
            sql = "copy paidpdf_documents (file, tbl, id, doc) from stdin"
            with conn.cursor() as cur, cur.copy(sql) as copy:
                for table, rows in data.items():
                    for doc_id, doc in rows.items():
                        copy.write_row([name, table, doc_id, to_json(doc)])
            conn.execute(
                """insert into paidpdf_versions (file, version) values (%s, 1)
                   on conflict (file) do update set version = paidpdf_versions.version + 1""",
                [name],
            )
            conn.commit()

    def remove_files(self, name: str) -> int:
        with self._locked(name) as conn:
            sql = "delete from paidpdf_documents where file = %s returning 1"
            rows = conn.execute(sql, [name]).fetchall()
            conn.commit()
        return 1 if rows else 0

    def forget(self) -> None:
        return None

    def journal_state(self, name: str) -> PgJournal:
        return PgJournal(Path(self.describe()), bool(self.view(name).tables()))

    def verify_index(self, name: str) -> None:
        return None

    def check_health(self) -> None:
        """`StorageUnavailable` unless the database answers now (`/healthz`)."""
        view = self.view("catalog")
        try:
            view.tables()
        finally:
            view.close()
