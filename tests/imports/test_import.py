"""`paidpdf import gumroad|lemonsqueezy|payhip` from files in the platforms' real shapes, on both backends.

What is checked: accounts, library entries and keys counted; refunded, charged-back and revoked
purchases not granted (partial refunds, won disputes and free purchases are); a rerun changes nothing;
a later export adds only its new rows and a purchase refunded since takes back what the import gave;
`--dry-run` writes nothing; unmapped products stop the import; bad files are one line and change
nothing; a `kill -9` in the middle of an import and a rerun end as one clean import does.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from paidpdf.accounts.records import ACCOUNTS, USERS
from paidpdf.imports.apply import IMPORTED
from paidpdf.licenses.records import LICENSES
from paidpdf.ownership import covers, library
from paidpdf.store import SALES, Doc, Store
from paidpdf.testing import platform_exports as exports
from paidpdf.testing.platform_exports import Sale

BOTH_BACKENDS = True  # tests/conftest.py: each test runs on the data folder and on PostgreSQL
Cli = Callable[..., Result]
KEY = "85DB562A-C11D4B06-A2335A6B-8C079166"
MAPS = ("--map", "qmgy=guide", "--map", "Freebie=freebie")


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


def _sales() -> list[Sale]:
    return [
        Sale("-Ab1==", "Ann@Example.com", "qmgy", "The Guide", 1999, key=KEY, uses=2),
        Sale("Bc2==", "ann@example.COM", "frre", "Freebie", 0),  # same buyer, a free product (mapped by name)
        Sale("Cd3==", "bob@example.com", "qmgy", "The Guide", 1999, state="refunded"),
        Sale(
            "De4==",
            "cy@example.com",
            "qmgy",
            "The Guide",
            1999,
            state="partial",
            key="AAAA1111-BBBB2222-C",
            uses=1,
            key_enabled=False,
        ),
        Sale("Ef5==", "dee@example.com", "qmgy", "The Guide", 1999, state="disputed"),
        Sale("Fg6==", "eve@example.com", "qmgy", "The Guide", 1999, state="won"),
        Sale("Gh7==", "fay@example.com", "qmgy", "The Guide", 1999, state="revoked"),
    ]


def _state(store: Store) -> dict[str, object]:
    """What an import leaves, without ids that differ between runs (account ids are random)."""
    accounts = store.view(ACCOUNTS)
    emails = {u["id"]: u["email"] for u in accounts.all(USERS)}
    sales = store.view(SALES)
    return {
        "accounts": sorted((u["email"], u.get("source")) for u in accounts.all(USERS)),
        "library": sorted(
            (emails[e["user_id"]], e["content_id"], covers.live(e), tuple(sorted(e.get("imported") or {})))
            for e in sales.all(library.LIBRARY)
        ),
        "keys": sorted(
            (k["email"], k["content_id"], k["uses"], bool(k["disabled_at"])) for k in sales.all(LICENSES)
        ),
        "imported": sorted(
            (r["id"], r["granted"], r["amount"], r["currency"], r["date"]) for r in sales.all(IMPORTED)
        ),
    }


def _owned(store: Store) -> set[tuple[str, str]]:
    return {(e, item) for e, item, live, _ in _state(store)["library"] if live}  # type: ignore[misc]


@pytest.mark.parametrize("columns", [72, 64])
def test_gumroad_export_brings_buyers_entries_and_keys(
    cli: Cli, store: Store, items: tuple[Doc, Doc], exports_dir: Path, columns: int
) -> None:
    path = exports.gumroad(exports_dir / "Sales.csv", _sales(), columns=columns)
    report = json.loads(ok(cli("import", "gumroad", str(path), *MAPS, "--json")).stdout)
    # granted: ann x2, cy (partial), eve (won);
    # not: bob (refunded), dee (lost dispute), fay (revoked: in the 72-column layout only)
    granted = 5 if columns == 64 else 4  # the 64-column export has no "Access Revoked?"
    assert report["granted"] == granted and report["not_granted"] == 7 - granted
    assert report["accounts_created"] == granted - 1  # ann's two purchases, one account
    users = {u["email"]: u for u in store.view(ACCOUNTS).all(USERS)}
    assert (
        users["ann@example.com"]["source"] == "import" and users["ann@example.com"]["password_hash"] is None
    )
    assert "bob@example.com" not in users and "dee@example.com" not in users
    expected = {
        ("ann@example.com", "guide"),
        ("ann@example.com", "freebie"),
        ("cy@example.com", "guide"),
        ("eve@example.com", "guide"),
    } | ({("fay@example.com", "guide")} if columns == 64 else set())
    assert _owned(store) == expected
    entry = library.entry(store.view(SALES), users["ann@example.com"]["id"], "guide")
    assert entry is not None
    kept = entry["imported"]["gumroad:-Ab1=="]  # the CsvSafe `'` before "-" is gone
    assert kept["amount"] == 1999 and kept["currency"] == "USD" and kept["date"] == "2024-03-01T10:11:05Z"
    assert kept["order_id"] == "524459941"
    keys = {(k["email"], k["uses"], bool(k["disabled_at"])) for k in store.view(SALES).all(LICENSES)}
    if columns == 72:  # the activation count and the enabled flag are in the current layout only
        assert keys == {("ann@example.com", 2, False), ("cy@example.com", 1, True)}
    else:
        assert keys == {("ann@example.com", 0, False), ("cy@example.com", 0, False)}
    licensed = json.loads(ok(cli("licenses", "show", KEY, "--json")).stdout)
    assert licensed["state"] == "active" and licensed["email"] == "ann@example.com"


def test_lemonsqueezy_and_payhip_files(
    cli: Cli, store: Store, items: tuple[Doc, Doc], exports_dir: Path
) -> None:
    lemon = exports.lemonsqueezy(exports_dir / "orders.csv", _sales())
    report = json.loads(ok(cli("import", "lemonsqueezy", str(lemon), *MAPS, "--json")).stdout)
    # Lemon Squeezy has no dispute field: a chargeback is a refund there
    assert (report["granted"], report["not_granted"], report["license_keys"]) == (4, 3, 2)
    record = store.view(SALES).get(IMPORTED, "lemonsqueezy:-Ab1==")
    assert record is not None and (record["amount"], record["currency"]) == (1999, "EUR")
    payhip = exports.payhip(
        exports_dir / "payhip.csv",
        [
            Sale("ZGj1", "new@example.com", "mVT0", "The Guide", 1000),
            Sale("ZGj2", "ann@example.com", "mVT0", "The Guide", 1000, state="refunded"),
            Sale("ZGj3", "pat@example.com", "mVT0", "The Guide", 1000, state="partial"),
        ],
    )
    report = json.loads(ok(cli("import", "payhip", str(payhip), "--map", "mVT0=guide", "--json")).stdout)
    assert (report["granted"], report["not_granted"], report["accounts_created"]) == (2, 1, 2)
    record = store.view(SALES).get(IMPORTED, "payhip:ZGj1:mVT0")
    assert record is not None and (record["amount"], record["currency"]) == (1000, "GBP")
    assert record["date"] == "2024-03-02T00:00:00Z"
    assert ("new@example.com", "guide") in _owned(store) and ("pat@example.com", "guide") in _owned(store)


def test_rerun_later_export_and_refund_since(
    cli: Cli, store: Store, items: tuple[Doc, Doc], exports_dir: Path
) -> None:
    first = _sales()
    path = exports.gumroad(exports_dir / "Sales.csv", first)
    ok(cli("import", "gumroad", str(path), *MAPS))
    before = _state(store)
    again = json.loads(ok(cli("import", "gumroad", str(path), *MAPS, "--json")).stdout)
    assert again["granted"] == again["revoked"] == again["accounts_created"] == again["license_keys"] == 0
    assert _state(store) == before
    later = [
        Sale(first[0].purchase_id, first[0].email, "qmgy", "The Guide", 1999, state="refunded", key=KEY),
        *first[1:],
        Sale("Hi8==", "gus@example.com", "qmgy", "The Guide", 2500),
    ]
    path = exports.gumroad(exports_dir / "Sales-later.csv", later)
    report = json.loads(ok(cli("import", "gumroad", str(path), *MAPS, "--json")).stdout)
    assert (report["granted"], report["revoked"], report["accounts_created"]) == (1, 1, 1)
    owned = _owned(store)
    assert ("ann@example.com", "guide") not in owned and ("ann@example.com", "freebie") in owned
    assert ("gus@example.com", "guide") in owned
    shown = json.loads(ok(cli("licenses", "show", KEY, "--json")).stdout)
    assert shown["state"] == "disabled"  # the key the refunded purchase brought is refused


def test_revoke_takes_only_the_imports_cover(
    cli: Cli, store: Store, items: tuple[Doc, Doc], exports_dir: Path
) -> None:
    path = exports.gumroad(exports_dir / "Sales.csv", [Sale("A1==", "ann@example.com", "qmgy", "G", 1999)])
    ok(cli("import", "gumroad", str(path), *MAPS))
    ok(cli("users", "grant", "ann@example.com", "guide"))  # the creator also gave it
    path = exports.gumroad(
        exports_dir / "Sales.csv", [Sale("A1==", "ann@example.com", "qmgy", "G", 1999, state="refunded")]
    )
    ok(cli("import", "gumroad", str(path), *MAPS))
    assert ("ann@example.com", "guide") in _owned(store)  # the gift still covers it


def test_dry_run_writes_nothing(cli: Cli, store: Store, items: tuple[Doc, Doc], exports_dir: Path) -> None:
    path = exports.gumroad(exports_dir / "Sales.csv", _sales())
    before = _state(store)
    result = ok(cli("import", "gumroad", str(path), *MAPS, "--dry-run"))
    assert "dry run" in result.stdout and "grant" in result.stdout
    assert _state(store) == before
    report = json.loads(ok(cli("import", "gumroad", str(path), *MAPS, "--dry-run", "--json")).stdout)
    assert (report["granted"], report["accounts_created"], report["license_keys"]) == (4, 3, 2)
    assert _state(store) == before


def test_unmapped_products_refused_then_skipped(
    cli: Cli, store: Store, items: tuple[Doc, Doc], exports_dir: Path
) -> None:
    path = exports.gumroad(exports_dir / "Sales.csv", _sales())
    before = _state(store)
    result = cli("import", "gumroad", str(path), "--map", "qmgy=guide")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "'frre (Freebie)' (1)" in result.stderr and "--skip-unmapped" in result.stderr
    assert _state(store) == before
    report = json.loads(
        ok(cli("import", "gumroad", str(path), "--map", "qmgy=guide", "--skip-unmapped", "--json")).stdout
    )
    assert report["skipped_unmapped"] == 1 and report["granted"] == 3
    mapfile = exports_dir / "map.csv"
    mapfile.write_text("product,item\nqmgy,guide\nFreebie,freebie\n")
    report = json.loads(ok(cli("import", "gumroad", str(path), "--map-file", str(mapfile), "--json")).stdout)
    assert report["granted"] == 1  # the free purchase; the rest is already there


@pytest.mark.parametrize(
    ("edit", "platform", "message"),
    [
        (lambda t: t.replace("Sale Price ($)", "Price"), "gumroad", "row 1: no 'sale price' column"),
        (lambda t: t.replace("19.99", "19.9.9"), "gumroad", "row 2, column 'Sale Price ($)': not an amount"),
        (
            lambda t: t.replace("2024-03-01 10:11:05 +0000", "yesterday"),
            "gumroad",
            "row 2, column 'Purchase Time (UTC timezone)': not a date",
        ),
        (lambda t: t, "payhip", "this looks like a Gumroad export, not a Payhip one"),
    ],
)
def test_bad_files_one_line_nothing_written(
    cli: Cli,
    store: Store,
    items: tuple[Doc, Doc],
    exports_dir: Path,
    edit: Callable[[str], str],
    platform: str,
    message: str,
) -> None:
    path = exports.gumroad(exports_dir / "Sales.csv", _sales())
    path.write_text(edit(path.read_text()))
    before = _state(store)
    result = cli("import", platform, str(path), *MAPS)
    assert result.exit_code == 2, result.stdout
    assert message in result.stderr and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert _state(store) == before


def test_bad_map_one_line(cli: Cli, store: Store, items: tuple[Doc, Doc], exports_dir: Path) -> None:
    path = exports.gumroad(exports_dir / "Sales.csv", _sales())
    result = cli("import", "gumroad", str(path), "--map", "qmgy=nothing")
    assert result.exit_code == 2 and "no item 'nothing' in the catalog" in result.stderr
    assert result.stderr.count("\n") == 1


IMPORT_SCRIPT = """
import sys
from paidpdf.admin import build_app
sys.argv = ["paidpdf", *sys.argv[1:]]
build_app()()
"""


@pytest.mark.slow
def test_kill9_mid_import_then_rerun_same_as_clean(
    cli: Cli,
    store: Store,
    items: tuple[Doc, Doc],
    exports_dir: Path,
    data_dir: Path,
    backend_env: dict[str, str],
) -> None:
    sales = [
        Sale(
            f"P{n:05d}==",
            f"buyer{n % 600}@example.com",
            "qmgy" if n % 3 else "frre",
            "Freebie",
            999,
            state="refunded" if n % 17 == 0 else "paid",
            key=f"K{n:07d}-X" if n % 5 == 0 else "",
        )
        for n in range(2500)  # five batches: the kill lands after the first, four are left
    ]
    path = exports.gumroad(exports_dir / "Sales.csv", sales)
    env = {**os.environ, **backend_env, "PYTHONPATH": str(Path(__file__).parents[2])}
    command = [
        sys.executable,
        "-c",
        IMPORT_SCRIPT,
        "--data",
        str(data_dir),
        "import",
        "gumroad",
        str(path),
        *MAPS,
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:  # until some batches have landed
        if store.view(SALES).count(IMPORTED) >= 400:
            break
        time.sleep(0.01)
    assert process.poll() is None, process.stderr.read() if process.stderr else ""  # killed mid-import
    process.send_signal(signal.SIGKILL)
    process.wait()
    landed = store.view(SALES).count(IMPORTED)
    assert 0 < landed < len(sales)
    final = subprocess.run(command, env=env, capture_output=True, timeout=300, check=False)
    assert final.returncode == 0, final.stderr.decode()
    assert store.view(SALES).count(IMPORTED) == len(sales)
    # the same as one clean import: every granting purchase covers its entry exactly once
    expected: dict[tuple[str, str], set[str]] = {}
    for sale in sales:
        if sale.state == "paid":
            item = "guide" if sale.product == "qmgy" else "freebie"
            expected.setdefault((sale.email, item), set()).add(f"gumroad:{sale.purchase_id}")
    state = _state(store)
    assert {(e, i): set(k) for e, i, live, k in state["library"]} == expected  # type: ignore[attr-defined]
    assert all(live for _, _, live, _ in state["library"])  # type: ignore[attr-defined]
    assert [a for a, _ in state["accounts"]] == sorted({e for e, _ in expected})  # type: ignore[attr-defined]
    assert len(state["keys"]) == sum(1 for s in sales if s.key and s.state == "paid")  # type: ignore[arg-type]
    again = subprocess.run(command, env=env, capture_output=True, timeout=300, check=False)
    assert again.returncode == 0 and _state(store) == state
