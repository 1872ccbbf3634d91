"""Indexing a base that has no usable index by streaming it once: how a shop of an earlier release
(bases without `*.index`) is upgraded without parsing any base whole.

The base is read a block at a time; each entry's bytes are found, its document parsed alone, its
index keys taken, and the document dropped, so memory is the index's flat arrays (a few dozen bytes
per document) plus one block, whatever the base's size. Parsing the base whole, as the upgrade did
before, held every document as Python objects (100,000 orders: about 250 MB, kept by the process).

The index describes the base as it is (no byte of it is rewritten, so its journal still continues
it). That needs the base to be laid out as every release wrote it (`orjson`: `"id":{...}` with no
space around the colon, the key in orjson's spelling); a base laid out otherwise, or damaged, gets
None here and is read the old way (parsed whole, which also reports damage with the usual message),
and its next write compacts it into a base of this layout.

Positions are byte offsets: the blocks are decoded as Latin-1 (one character per byte) only to find
where each JSON value ends with the standard library's C scanner; the bytes of each key and document
are then parsed by `orjson` as UTF-8, exactly as a read through the index will parse them.
"""

from __future__ import annotations

import json
import os
import re
import zlib
from array import array
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from paidpdf.store.embedded.base_index import POS_BITS, U64, BaseId, BaseIndex, TableIndex, key_hash
from paidpdf.store.parsing import bulk_load

#: Bytes read at a time (the window grows past it only for a document larger than that).
BLOCK = 1024 * 1024
_WHITESPACE = re.compile(r"[ \t\n\r]*")
#: An entry's id and the start of its document, exactly as orjson writes them: `"id":{`.
_ENTRY = re.compile(r'[ \t\n\r]*("[^"\\\x00-\x1f]*"):\{')
_AFTER = re.compile(r"[ \t\n\r]*([,}])")
#: Text kept ahead of an entry's start, so that its id is never cut by the end of the window.
MARGIN = 64 * 1024
#: The lookup key of `null` (a document without the field), as `base_writer` computes it.
_NULL_KEY = key_hash(b"null") << POS_BITS


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # Python's scanner takes NaN and Infinity; orjson never


_DECODER = json.JSONDecoder(parse_constant=_no_constants)


class _NotIndexable(Exception):
    """The base is not laid out as this program writes bases, or is damaged."""


class _Window:
    """The base file read forward a block at a time, as Latin-1 text (text positions = byte offsets)."""

    def __init__(self, fd: int, size: int) -> None:
        self.fd, self.size = fd, size
        self.text = ""
        self.origin = 0  # file offset of text[0]
        self.pos = 0
        self.read_to = 0
        self.crc = 0

    def more(self) -> bool:
        """Read the next block, dropping what was consumed; False at the end of the file."""
        if self.read_to >= self.size:
            return False
        chunk = os.pread(self.fd, min(BLOCK, self.size - self.read_to), self.read_to)
        if not chunk:
            raise _NotIndexable("the base is shorter than its size")
        self.crc = zlib.crc32(chunk, self.crc)
        self.read_to += len(chunk)
        self.origin += self.pos
        self.text = self.text[self.pos :] + chunk.decode("latin-1")
        self.pos = 0
        return True

    def char(self, *, skip: bool = True) -> str:
        """The next character (after whitespace unless `skip` is False), not consumed; "" at the end."""
        while True:
            if skip:
                self.pos = _WHITESPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.text) or not self.more():
                return self.text[self.pos : self.pos + 1]

    def expect(self, wanted: str, *, skip: bool = True) -> None:
        if self.char(skip=skip) != wanted:
            raise _NotIndexable(f"expected {wanted!r} at byte {self.origin + self.pos}")
        self.pos += 1

    def value(self, *, skip: bool = True) -> tuple[int, bytes, Any]:
        """The next JSON value: its file offset, its bytes, and what the scanner made of it."""
        self.char(skip=skip)
        while True:
            try:
                found, end = _DECODER.raw_decode(self.text, self.pos)
            except ValueError:  # json.JSONDecodeError, or a NaN refused above
                if self.more():
                    continue
                raise _NotIndexable(f"no whole JSON value at byte {self.origin + self.pos}") from None
            start, self.pos = self.pos, end
            return self.origin + start, self.text[start:end].encode("latin-1"), found


class _Keys:
    """One table's index, built document by document into flat arrays."""

    def __init__(self, name: str, fields: Sequence[str]) -> None:
        self.index = TableIndex(name)
        self.fields = tuple(fields)
        self.keys: dict[str, array[int]] = {f: array(U64) for f in self.fields}
        arrays = self.index.arrays
        self.starts, self.keylens, self.lengths, self.ids = (
            arrays["starts"], arrays["keylens"], arrays["lengths"], arrays["ids"]
        )

    def add(self, start: int, key: bytes, value: bytes, scanned: Any) -> None:
        """One document: `scanned` is what the scanner made of it, exact when its bytes are ASCII
        (Latin-1 and UTF-8 agree there); otherwise its bytes are parsed again as UTF-8."""
        try:
            doc = scanned if value.isascii() else orjson.loads(value)
            if not key.isascii():
                key.decode("utf-8")  # orjson writes UTF-8 as it is: valid is canonical (no escapes)
        except (orjson.JSONDecodeError, UnicodeDecodeError):
            raise _NotIndexable("a document is not valid UTF-8 JSON") from None
        if not isinstance(doc, dict):
            raise _NotIndexable("a document is not an object")
        pos = len(self.starts)
        self.starts.append(start)
        self.keylens.append(len(key) + 1)
        self.lengths.append(len(value))
        self.ids.append(key_hash(key) << POS_BITS | pos)
        for field, keys in self.keys.items():  # `indexable` and `key_hash` inlined: once per field
            found = doc.get(field)
            if found is None:
                keys.append(_NULL_KEY | pos)
            elif isinstance(found, (str, int)):  # bool is an int
                keys.append(zlib.crc32(orjson.dumps(found)) << POS_BITS | pos)

    def finish(self) -> TableIndex:
        """Sort the lookup keys, one array at a time (the only moment its keys are Python ints)."""
        arrays = self.index.arrays
        arrays["ids"] = array(U64, sorted(arrays["ids"]))
        for field in self.fields:
            arrays[f"field:{field}"] = array(U64, sorted(self.keys.pop(field)))
        return self.index


def index_base(fd: int, st: os.stat_result, fields: Mapping[str, Sequence[str]]) -> BaseIndex | None:
    """The index of the base open as `fd` (`st` its fstat), made by streaming it once; None when it is
    not laid out as this program writes bases or is damaged (the caller then parses it whole)."""
    window = _Window(fd, st.st_size)
    tables: dict[str, TableIndex] = {}
    with bulk_load():  # many short-lived objects, no cycles: the collector would only slow it
        try:
            window.expect("{")
            if window.char() == "}":
                window.pos += 1
            else:
                while True:
                    _, _, name = window.value()
                    if not isinstance(name, str) or name in tables:
                        raise _NotIndexable("a table name is not a string")
                    window.expect(":")
                    tables[name] = _table(window, _Keys(name, fields.get(name, ())))
                    if window.char() == "}":
                        window.pos += 1
                        break
                    window.expect(",")
            if window.char() != "" or window.read_to != st.st_size:
                raise _NotIndexable("bytes after the data")
        except (_NotIndexable, OSError):
            return None
    base = BaseId(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, window.crc)
    return BaseIndex(base, tables)


def _table(window: _Window, keys: _Keys) -> TableIndex:
    """One table's entries, `"id":{...}` each: the key and separators by regular expression, the
    document by the scanner (the loop every document of the base goes through)."""
    window.expect("{")
    if window.char() == "}":
        window.pos += 1
        return keys.finish()
    while True:
        if len(window.text) - window.pos < MARGIN:
            window.more()
        found = _ENTRY.match(window.text, window.pos)
        if found is None:  # an escaped id, a space around the colon, not a document: not this layout
            raise _NotIndexable(f"an entry at byte {window.origin + window.pos} is not laid out as expected")
        start = window.origin + found.start(1)
        key = found.group(1).encode("latin-1")
        window.pos = found.end() - 1  # at the document's "{"
        _, value, scanned = window.value(skip=False)
        keys.add(start, key, value, scanned)
        after = _AFTER.match(window.text, window.pos)
        mark = after.group(1) if after is not None else window.char()
        window.pos = after.end() if after is not None else window.pos + 1
        if mark == "}":
            return keys.finish()
        if mark != ",":
            raise _NotIndexable(f"expected ',' or '}}' at byte {window.origin + window.pos}")
