"""The storage interface the rest of paidpdf is written against, whichever backend runs.

Two backends keep these promises: the embedded store (`embedded.backend.Store`: TinyDB files with
journals in the data folder, the default) and the scale-out store (`postgres.backend.PgStore`: one
PostgreSQL database shared by several servers). Domain code only names these protocols, so it cannot tell
which one it was given:

- a `View` reads one data file (`catalog`, `accounts`, `sales`) as of one moment;
- a `Unit` is an atomic read-modify-write of one data file: all of its changes land, or none, and
  units on the same file queue behind each other across threads, processes and servers;
- a `DataStore` hands out views and units, and what backups, restores and checks need.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from paidpdf.store.files.file_source import FileSources
    from paidpdf.store.files.object_files import ObjectFiles

Doc = dict[str, Any]


class View(Protocol):
    """Read access to one data file. Every document returned is the caller's own copy."""

    name: str

    @property
    def version(self) -> tuple[Any, ...]: ...

    def get(self, table: str, doc_id: str) -> Doc | None: ...

    def require(self, table: str, doc_id: str, what: str) -> Doc: ...

    def all(self, table: str) -> list[Doc]: ...

    def each(self, table: str) -> Iterator[Doc]: ...

    def count(self, table: str) -> int: ...

    def tables(self) -> list[str]: ...

    def find(self, table: str, field: str, value: Any) -> list[Doc]: ...

    def find_many(self, table: str, field: str, values: Iterable[str]) -> dict[str, list[Doc]]:
        """`find` for many string values at once (an import's batch of emails): value -> documents."""

    def where(self, table: str, predicate: Callable[[Doc], bool]) -> list[Doc]: ...

    def select_ids(
        self, table: str, predicate: Callable[[Doc], bool], key: Callable[[Doc], Any]
    ) -> list[str]: ...

    def stream(self, table: str, ids: Iterable[str]) -> Iterator[Doc]: ...


class Unit(View, Protocol):
    """A `View` that also changes documents; used only inside `with store.unit(name) as unit:`."""

    def insert(self, table: str, doc: Doc) -> Doc: ...

    def put(self, table: str, doc: Doc) -> Doc: ...

    def delete(self, table: str, doc_id: str) -> bool: ...

    def drop(self, table: str) -> None: ...


class JournalInfo(Protocol):
    """What `db check` and `db info` say about how a data file is kept (see `data_file.JournalState`)."""

    @property
    def path(self) -> Path: ...

    @property
    def exists(self) -> bool: ...

    @property
    def records(self) -> int: ...

    @property
    def bytes(self) -> int: ...

    @property
    def tail(self) -> int: ...

    @property
    def current(self) -> bool: ...

    @property
    def base_bytes(self) -> int: ...

    @property
    def on_disk(self) -> bool: ...


class DataStore(Protocol):
    """Where the shop's documents live. `root` is the local data folder either way (backups, the
    outbox and the secret key stay there)."""

    root: Path
    #: The object store files are mirrored to and served from (`object_files`), or None: the data folder.
    objects: ObjectFiles | None
    #: Stored files as `FileSource`s, from wherever they are served (`file_source`; `Settings.open_store`
    #: sets the object store's when there is one).
    files: FileSources

    def describe(self) -> str: ...

    def close(self) -> None:
        """Give back what the store holds (PostgreSQL's connections); the store is not used after."""

    def check_health(self) -> None: ...

    def path(self, name: str) -> Path: ...

    def journal_path(self, name: str) -> Path: ...

    def latest_backup(self) -> Path | None: ...

    def view(self, name: str) -> View: ...

    def versions(self, names: Iterable[str]) -> tuple[Any, ...]:
        """Each file's `view(name).version`, read together: one query on PostgreSQL where a view each
        would be a transaction each (the front cache checks three files on every logged-in page)."""
        ...

    def versions_if_read(self, names: Iterable[str]) -> tuple[Any, ...] | None:
        """`versions` if it can be answered without waiting for anything (a lock, a query), else None:
        what waitress's I/O thread may ask (`admin/loop_answers`)."""
        ...

    def unit(self, name: str) -> AbstractContextManager[Unit]: ...

    def lock(self, name: str) -> AbstractContextManager[None]: ...

    def lock_all(self) -> AbstractContextManager[None]: ...

    def compact(self, name: str) -> tuple[int, int] | None:
        """Fold the file's journal into a new base: (journal records folded, journal bytes before);
        None when the backend keeps its own files and has nothing to compact (PostgreSQL vacuums itself)."""

    def database(self) -> dict[str, Any] | None:
        """What the database server holds, for `db check` and `db info` (`postgres/report.py`); None when
        the documents are files in the data folder, whose figures are their journals' (`journal_state`)."""

    def export(self, name: str) -> bytes | None: ...

    def replace_file(self, name: str, payload: bytes) -> None: ...

    def remove_files(self, name: str) -> int: ...

    def forget(self) -> None: ...

    def journal_state(self, name: str) -> JournalInfo: ...

    def verify_index(self, name: str) -> None: ...
