"""Importing a platform's export: accounts, library entries and license keys, in resumable batches.

Why it is built like this:
- The file is read twice, streamed: first to check every row and every product's mapping (a bad
  row or an unmapped product stops the import before anything is written), then to import.
- The import runs in batches of `BATCH` purchases: one unit of `accounts` (the buyers' password-less
  accounts, found by email first) then one unit of `sales` (the grants, keys and the import's own
  record of each purchase). A kill at any instant leaves whole batches; the rerun finds the accounts
  by email and the purchases by their record, so it ends in the same state as one clean run.
- Each purchase's record (`imported_purchases`, keyed by platform and the platform's purchase id)
  says whether the import granted it: rerunning a file changes nothing, a later export adds only
  its new purchases, and a purchase that has since been refunded takes away what the import gave
  (only its own cover: `ownership.covers`) and disables the key it brought.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from paidpdf import clock
from paidpdf.accounts.records import ACCOUNTS, USERS
from paidpdf.content.shop_secret import shop_secret
from paidpdf.errors import InvalidInput
from paidpdf.imports import mapping, platforms, reader
from paidpdf.imports.platforms import Purchase
from paidpdf.licenses import imports as license_imports
from paidpdf.licenses import keys
from paidpdf.licenses.records import LICENSES
from paidpdf.ownership import library
from paidpdf.store import SALES, DataStore, Doc, Unit, View

IMPORTED = "imported_purchases"
BATCH = 500
#: What changed since a data file's base is held in memory until the file is compacted (at most
#: `JOURNAL_MAX`, 32 MB of journal, by the store's own rule); a long import compacts sooner, every
#: `COMPACT_CHECK` batches once the journal passes `COMPACT_BYTES`, so its memory stays flat.
COMPACT_CHECK = 4
COMPACT_BYTES = 6 * 1024 * 1024
#: How many unmapped products an error message lists by name.
SHOWN = 20


@dataclass
class Report:
    """What an import did (or, with `dry_run`, would do)."""

    platform: str
    dry_run: bool = False
    rows: int = 0
    accounts_created: int = 0
    granted: int = 0
    revoked: int = 0
    not_granted: int = 0
    unchanged: int = 0
    keys: int = 0
    skipped_unmapped: int = 0
    per_item: Counter[tuple[str, str]] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, object]:
        return {
            "platform": self.platform,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "accounts_created": self.accounts_created,
            "granted": self.granted,
            "revoked": self.revoked,
            "not_granted": self.not_granted,
            "unchanged": self.unchanged,
            "license_keys": self.keys,
            "skipped_unmapped": self.skipped_unmapped,
            "items": [
                {"item": i, "action": a, "purchases": n} for (i, a), n in sorted(self.per_item.items())
            ],
        }


class Unmapped(InvalidInput):
    """Products of the file that no `--map` names."""


def check(platform: str, path: Path, mapped: dict[str, str]) -> tuple[int, Counter[str]]:
    """Read the whole file once: (purchases, unmapped product -> purchases). Raises on the first bad row."""
    total = 0
    unmapped: Counter[str] = Counter()
    for purchase in reader.purchases(platform, path):
        total += 1
        if mapping.item_for(mapped, purchase) is None:
            unmapped[mapping.product_label(purchase)] += 1
    return total, unmapped


def run(
    store: DataStore,
    platform: str,
    path: Path,
    mapped: dict[str, str],
    *,
    skip_unmapped: bool = False,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
    batch: int = BATCH,
) -> Report:
    total, unmapped = check(platform, path, mapped)
    if unmapped and not skip_unmapped:
        names = ", ".join(f"{p!r} ({n})" for p, n in unmapped.most_common(SHOWN))
        more = f" and {len(unmapped) - SHOWN} more" if len(unmapped) > SHOWN else ""
        raise Unmapped(
            f"{len(unmapped)} product(s) of {path.name} match no item: {names}{more}; map each with "
            "--map PRODUCT=ITEM_ID (or --map-file), or pass --skip-unmapped"
        )
    report = Report(platform, dry_run=dry_run)
    secret = None if dry_run else shop_secret(store)
    planned: set[str] = set()
    done = 0
    for chunk in _chunks(reader.purchases(platform, path), batch):
        rows = [(p, item) for p in chunk if (item := mapping.item_for(mapped, p)) is not None]
        report.skipped_unmapped += len(chunk) - len(rows)
        report.rows += len(chunk)
        if dry_run:
            _plan(store, rows, report, planned)
        else:
            assert secret is not None
            people = _accounts(store, platform, rows, report)
            with store.unit(SALES) as unit:
                for purchase, item in rows:
                    _one(unit, secret, purchase, item, people.get(purchase.email), report)
        done += len(chunk)
        if not dry_run and (done // batch) % COMPACT_CHECK == 0:
            _keep_small(store)
        if progress:
            progress(done, total)
    return report


def _keep_small(store: DataStore) -> None:
    for name in (SALES, ACCOUNTS):
        state = store.journal_state(name)
        if state.bytes > COMPACT_BYTES:
            store.compact(name)


def _chunks(items: Iterable[Purchase], size: int) -> Iterator[list[Purchase]]:
    source = iter(items)
    while chunk := list(islice(source, size)):
        yield chunk


def _accounts(
    store: DataStore, platform: str, rows: list[tuple[Purchase, str]], report: Report
) -> dict[str, Doc]:
    """The batch's buyers by email: found, or made password-less (`source: import`) for a purchase that
    grants; one unit of `accounts`. The batch's emails are looked up at once (`find_many`), before
    the first insert."""
    wanted = {p.email: p.grants for p, _item in rows}
    for purchase, _item in rows:
        wanted[purchase.email] = wanted[purchase.email] or purchase.grants
    people: dict[str, Doc] = {}
    with store.unit(ACCOUNTS) as unit:
        for email, found in unit.find_many(USERS, "email", wanted).items():
            if found:
                people[email] = found[0]
        stamp = clock.now_iso()
        for email, grants in wanted.items():
            if email not in people and grants:
                people[email] = unit.insert(
                    USERS,
                    {
                        "id": clock.new_id("usr"),
                        "email": email,
                        "password_hash": None,
                        "disabled": False,
                        "source": "import",
                        "imported_from": platform,
                        "created_at": stamp,
                        "updated_at": stamp,
                    },
                )
                report.accounts_created += 1
    return people


def _action(current: Doc | None, purchase: Purchase) -> str:
    if current is None or not current.get("granted"):
        if purchase.grants:
            return "grant"
        return "not granted" if current is None else "unchanged"
    return "unchanged" if purchase.grants else "revoke"


def _one(unit: Unit, secret: bytes, purchase: Purchase, item: str, user: Doc | None, report: Report) -> None:
    current = unit.get(IMPORTED, purchase.key)
    action = _action(current, purchase)
    report.per_item[(item, action)] += 1
    if action == "unchanged":
        report.unchanged += 1
        if current is not None and current.get("status") != purchase.status:
            unit.put(IMPORTED, {**current, "status": purchase.status, "at": clock.now_iso()})
        return
    record = _record(purchase, item, user, current)
    if action == "not granted":
        report.not_granted += 1
    elif action == "grant":
        assert user is not None  # `_accounts` makes one for every purchase that grants
        before = library.entry(unit, user["id"], item)  # a revoked entry is replaced: keep its records
        entry = library.add(unit, user["id"], item, "imported", purchase.key)
        kept = {**((before or {}).get("imported") or {}), purchase.key: _kept(purchase)}
        unit.put(library.LIBRARY, {**entry, "imported": kept})
        record["key_hash"] = _key(unit, secret, purchase, item, user, report)
        report.granted += 1
    else:
        assert current is not None
        library.remove(
            unit,
            str(current["user_id"]),
            str(current["content_id"]),
            f"{purchase.status} on {platforms.NAMES[purchase.platform]}",
            purchase.key,
            kind="imported",
        )
        _disable_key(unit, current.get("key_hash"))
        report.revoked += 1
    unit.put(IMPORTED, record)


def _kept(purchase: Purchase) -> Doc:
    """What the creator's records keep of the original purchase, on the library entry under its key
    (`<platform>:<purchase id>`): the order number, date, amount (minor units) and currency."""
    return {
        "order_id": purchase.order_id,
        "date": purchase.date,
        "amount": purchase.amount,
        "currency": purchase.currency,
    }


def _record(purchase: Purchase, item: str, user: Doc | None, current: Doc | None) -> Doc:
    """The import's own record of a purchase, kept small (a 100,000-row export makes as many)."""
    return {
        "id": purchase.key,
        "user_id": user["id"] if user else (current or {}).get("user_id"),
        "content_id": item,
        "status": purchase.status,
        "granted": purchase.grants,
        "date": purchase.date,
        "amount": purchase.amount,
        "currency": purchase.currency,
        "key_hash": (current or {}).get("key_hash"),
        "at": clock.now_iso(),
    }


def _key(unit: Unit, secret: bytes, purchase: Purchase, item: str, user: Doc, report: Report) -> str | None:
    """The purchase's license key, imported (a key the import disabled on a refund works again)."""
    if not purchase.license_key:
        return None
    row = license_imports.Row(
        purchase.line,
        purchase.email,
        item,
        purchase.license_key,
        purchase.key_uses,
        purchase.key_enabled,
        purchase.key_limit,
    )
    report.keys += license_imports.put_key(unit, secret, row, user)
    key_hash = keys.key_hash(secret, purchase.license_key)
    doc = unit.get(LICENSES, key_hash)
    if doc is not None and doc.get("disabled_by") == "import":
        unit.put(LICENSES, {**doc, "disabled_at": None, "disabled_by": None})
    return key_hash


def _disable_key(unit: Unit, key_hash: object) -> None:
    doc = unit.get(LICENSES, str(key_hash)) if key_hash else None
    if doc is not None and not doc.get("disabled_at"):
        unit.put(LICENSES, {**doc, "disabled_at": clock.now_iso(), "disabled_by": "import"})


def _plan(store: DataStore, rows: list[tuple[Purchase, str]], report: Report, planned: set[str]) -> None:
    """What `_accounts` and `_one` would do, read from views; nothing written."""
    accounts: View = store.view(ACCOUNTS)
    sales: View = store.view(SALES)
    for purchase, item in rows:
        if (
            purchase.grants
            and purchase.email not in planned
            and not accounts.find(USERS, "email", purchase.email)
        ):
            planned.add(purchase.email)
            report.accounts_created += 1
        current = sales.get(IMPORTED, purchase.key)
        action = _action(current, purchase)
        report.per_item[(item, action)] += 1
        if action == "grant":
            report.granted += 1
            report.keys += bool(purchase.license_key)
        elif action == "revoke":
            report.revoked += 1
        elif action == "not granted":
            report.not_granted += 1
        else:
            report.unchanged += 1
