"""`paidpdf licenses import FILE.csv`: keys a creator sold elsewhere, so existing customers keep theirs.

The file has a header row; columns are matched by name, lower-cased, with `?`, `($)`, `_` and extra
blanks ignored, so our own names and the export names of Gumroad and Lemon Squeezy all work:

| column | also read as | required |
|---|---|---|
| email | purchase email, user email, customer email | yes |
| item | item id, product id, product permalink | yes (one of our item ids) |
| key | license key | yes |
| uses | activations, license key activation count, instances count, activation usage | no (0) |
| enabled | license key enabled (or `disabled`, inverted) | no (enabled) |
| activation limit | | no (the item's) |

Every row is checked before anything is written; the first bad one is named (row number as a
spreadsheet shows it, the header being row 1, and the column as written) and nothing is imported.
Then all rows land in ONE unit of `sales.json`. Importing the same file again changes nothing: a key
already imported for the same reader and item is skipped; a key that exists for anyone or anything
else is an error. Keys are sealed (`sealing`), found by their keyed hash like issued ones.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from paidpdf.accounts import users
from paidpdf.clock import now_iso
from paidpdf.content import catalog
from paidpdf.content.shop_secret import shop_secret
from paidpdf.errors import InvalidInput
from paidpdf.licenses import keys, sealing
from paidpdf.licenses.records import LICENSES, MOST_ACTIVATIONS
from paidpdf.store import SALES, DataStore, Unit

ALIASES = {
    "email": ("email", "purchase email", "user email", "customer email", "buyer email"),
    "item": ("item", "item id", "product id", "product permalink"),
    "key": ("key", "license key"),
    "uses": ("uses", "activations", "license key activation count", "instances count", "activation usage"),
    "enabled": ("enabled", "license key enabled"),
    "disabled": ("disabled",),
    "activation_limit": ("activation limit",),
}
TRUE = frozenset({"1", "true", "yes", "y"})
FALSE = frozenset({"0", "false", "no", "n"})
#: A file bigger than this is not a list of keys (it is read whole, to check every row first).
MOST_BYTES = 64 * 1024 * 1024
MOST_USES = 1_000_000_000


@dataclass(frozen=True)
class Row:
    line: int
    email: str
    item: str
    key: str
    uses: int
    enabled: bool
    activation_limit: int | None


def _name(header: str) -> str:
    text = header.strip().lower().replace("($)", "").replace("?", "").replace("_", " ")
    return re.sub(r"\s+", " ", text).strip()


def _columns(header: list[str], where: str) -> dict[str, tuple[int, str]]:
    """Our field -> (index, the header as written), first occurrence of any alias."""
    found: dict[str, tuple[int, str]] = {}
    for index, written in enumerate(header):
        name = _name(written.lstrip("\ufeff"))
        for field, names in ALIASES.items():
            if name in names and field not in found:
                found[field] = (index, written.strip())
    for needed in ("email", "item", "key"):
        if needed not in found:
            shown = ", ".join(h.strip() for h in header) or "none"
            raise InvalidInput(f"{where}: no '{needed}' column (its columns: {shown})")
    return found


def read_rows(store: DataStore, path: Path) -> list[Row]:
    """Every row, checked (see the module's docstring); `InvalidInput` names the first bad one."""
    where = path.name
    try:
        if path.stat().st_size > MOST_BYTES:
            raise InvalidInput(f"{where}: larger than {MOST_BYTES // (1024 * 1024)} MB, not a list of keys")
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{where}: not UTF-8 text (save the spreadsheet as CSV UTF-8)") from None
    lines = list(csv.reader(io.StringIO(text)))
    if not lines or not any(cell.strip() for cell in lines[0]):
        raise InvalidInput(f"{where}: empty (a header row with email, item and key is needed)")
    columns = _columns(lines[0], where)
    items = {str(i["id"]) for i in store.view(catalog.CATALOG).all(catalog.CONTENT)}
    rows: list[Row] = []
    seen: dict[str, int] = {}
    for number, cells in enumerate(lines[1:], start=2):
        if not any(cell.strip() for cell in cells) or (cells[0].strip() == "Totals" and number == len(lines)):
            continue  # blank lines, and the sums row that ends a Gumroad sales export
        row = _row(number, cells, columns, items)
        earlier = seen.setdefault(keys.normalise(row.key), number)
        if earlier != number:
            raise InvalidInput(f"row {number}, column '{columns['key'][1]}': the same key as row {earlier}")
        rows.append(row)
    if not rows:
        raise InvalidInput(f"{where}: no rows under the header")
    return rows


def _row(number: int, cells: list[str], columns: dict[str, tuple[int, str]], items: set[str]) -> Row:
    def cell(field: str) -> str:
        index = columns[field][0] if field in columns else None
        return cells[index].strip() if index is not None and index < len(cells) else ""

    def bad(field: str, why: str) -> InvalidInput:
        return InvalidInput(f"row {number}, column '{columns[field][1]}': {why}")

    try:
        email = users.normalize_email(cell("email"))
    except InvalidInput:
        raise bad("email", f"not an email address: {cell('email')[:100]!r}") from None
    item = cell("item").lower()
    if item not in items:
        raise bad("item", f"no item {cell('item')[:100]!r} in the catalog (`paidpdf content list`)")
    key = cell("key").lstrip("'")  # spreadsheet formula escaping
    if not key or len(key) > keys.MOST_CHARS or not key.isprintable() or any(c.isspace() for c in key):
        raise bad("key", f"a key is 1 to {keys.MOST_CHARS} printable characters without blanks")
    uses = _whole(cell("uses"), MOST_USES, lambda why: bad("uses", why)) if "uses" in columns else 0
    enabled = True
    for field, inverted in (("enabled", False), ("disabled", True)):
        if field in columns and cell(field):
            flag = cell(field).lower()
            if flag not in TRUE | FALSE:
                raise bad(field, f"write 1 or 0 (true or false), not {cell(field)[:20]!r}")
            enabled = (flag in TRUE) != inverted
    limit = None
    if "activation_limit" in columns and cell("activation_limit"):
        limit = _whole(cell("activation_limit"), MOST_ACTIVATIONS, lambda why: bad("activation_limit", why))
        limit = limit or None
    return Row(number, email, item, key, uses, enabled, limit)


def _whole(text: str, most: int, bad: Callable[[str], InvalidInput]) -> int:
    if text == "":
        return 0
    if not text.isdigit() or int(text) > most:
        raise bad(f"a whole number from 0 to {most}, not {text[:20]!r}")
    return int(text)


def import_file(store: DataStore, path: Path) -> tuple[int, int]:
    """Import the file: (keys imported, keys already there and skipped). All or nothing."""
    rows = read_rows(store, path)
    secret = shop_secret(store)
    owners = {r.email: users.find_user(store, r.email) for r in rows}
    with store.unit(SALES) as unit:
        added = sum(_put(unit, secret, row, owners[row.email]) for row in rows)
    return added, len(rows) - added


def put_key(unit: Unit, secret: bytes, row: Row, owner: dict[str, object] | None) -> int:
    """One imported key in the caller's sales unit (also `paidpdf import gumroad|...`): 1 when added,
    0 when the same key is already there for this reader and item; `InvalidInput` when it is anyone
    else's."""
    return _put(unit, secret, row, owner)


def _put(unit: Unit, secret: bytes, row: Row, owner: dict[str, object] | None) -> int:
    key_hash = keys.key_hash(secret, row.key)
    current = unit.get(LICENSES, key_hash)
    if current is not None:
        mine = current.get("origin") == "imported" and current.get("email") == row.email
        if mine and current.get("content_id") == row.item:
            return 0
        why = "this key already exists for another reader or item"
        raise InvalidInput(f"row {row.line}, column 'key': {why}")  # the unit writes nothing
    unit.insert(
        LICENSES,
        {
            "id": key_hash,
            "origin": "imported",
            "prefix": keys.prefix(row.key),
            "sealed": sealing.seal(secret, row.key, key_hash),
            "email": row.email,
            "user_id": owner["id"] if owner else None,
            "content_id": row.item,
            "order_id": None,
            "uses": row.uses,
            "instances": [],
            "activation_limit": row.activation_limit,
            "disabled_at": None if row.enabled else now_iso(),
            "created_at": now_iso(),
        },
    )
    return 1

