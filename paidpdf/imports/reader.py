"""Streaming a platform's export, one checked purchase at a time (a 100,000-row file is never held).

Errors are one line naming the file, the row as a spreadsheet numbers it (the header is row 1) and the
column as written; the importer reads the whole file once for them before it writes anything.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from paidpdf.errors import InvalidInput
from paidpdf.imports import platforms
from paidpdf.imports.platforms import Purchase
from paidpdf.imports.values import BadValue

csv.field_size_limit(1024 * 1024)


def purchases(platform: str, path: Path) -> Iterator[Purchase]:
    """Every purchase of the file in order (blank rows and Gumroad's closing "Totals" row skipped)."""
    where = path.name
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None
    with handle:
        rows = csv.reader(handle)
        try:
            header = next(rows, None)
            if header is None or not any(cell.strip() for cell in header):
                raise InvalidInput(f"{where}: empty (the export's header row is missing)")
            try:
                found = platforms.columns(platform, header, where)
            except BadValue as exc:
                raise InvalidInput(str(exc)) from None
            reading = platforms.Cells(found)
            for cells in rows:
                line = rows.line_num
                if not any(cell.strip() for cell in cells) or (cells and cells[0].strip() == "Totals"):
                    continue
                try:
                    yield platforms.purchase(platform, line, reading.at(cells))
                except BadValue as exc:
                    raise InvalidInput(f"{where}, row {line}, {exc}") from None
        except UnicodeDecodeError:
            raise InvalidInput(
                f"{where}: not UTF-8 text (export it again, or save it as CSV UTF-8)"
            ) from None
        except csv.Error as exc:
            raise InvalidInput(f"{where}, row {rows.line_num}: not a CSV file ({exc})") from None
