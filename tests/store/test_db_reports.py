"""`db compact`, `db check` and `db info` say what is true of the backend the shop runs on.

On the data folder they speak of bases and journals (unchanged). On PostgreSQL there is no journal and
nothing to compact: compact says so (PostgreSQL vacuums itself), and check/info report what the
database really holds (documents per data file and table, each table's rows and its size on disk from
`pg_total_relation_size`, the schema version, the server's version), checked here against the database
itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import psycopg
from typer.testing import Result

from paidpdf.store import DataStore
from paidpdf.store.postgres.backend import SCHEMA_VERSION

BOTH_BACKENDS = True

#: The keys of the data folder's reports, as they were before PostgreSQL had reports of its own.
EMBEDDED_CHECK_KEYS = {
    "ok", "problems", "data_files_readable", "items", "bytes_hashed", "loose_permissions",
    "permissions_fixed", "journals",
}
EMBEDDED_INFO_KEYS = {"data_dir", "documents", "files", "blobs", "latest_backup", "settings"}
EMBEDDED_FILE_KEYS = {"path", "exists", "size", "tables", "journal"}


def _shop(store: DataStore) -> None:
    with store.unit("accounts") as unit:
        unit.put("users", {"id": "u1", "email": "a@example.com"})
    for n in range(3):
        with store.unit("sales") as unit:
            unit.put("orders", {"id": f"ord_{n}", "user_id": "u1", "status": "paid", "amount": n})


def _ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


#: Rich tables wrap at the terminal's width (80 columns without a terminal): wide enough for one line each.
WIDE = {"COLUMNS": "250"}


def _flat(text: str) -> str:
    return " ".join(text.replace("│", " ").split())


def _truth(url: str) -> dict[str, Any]:
    """What the database says of itself, asked directly."""
    with psycopg.connect(url) as conn:
        server = conn.execute("show server_version").fetchone()
        sizes = {
            name: conn.execute("select pg_total_relation_size(%s::regclass)", [name]).fetchone()
            for name in ("paidpdf_documents", "paidpdf_versions", "paidpdf_schema")
        }
        documents = conn.execute("select count(*) from paidpdf_documents").fetchone()
    assert server and documents and all(sizes.values())
    return {"server": server[0], "sizes": {k: v[0] for k, v in sizes.items() if v}, "documents": documents[0]}


def test_compact_folds_journals_on_the_data_folder_and_says_there_is_nothing_to_on_postgresql(
    backend: str, store: DataStore, cli: Callable[..., Result]
) -> None:
    _shop(store)
    text = _ok(cli("db", "compact", env=WIDE))
    as_json = json.loads(_ok(cli("db", "compact", "--json")).stdout)
    if backend == "embedded":
        assert "Compacted" in text.stdout and "nothing to compact" not in text.stdout
        assert {r["file"] for r in as_json} == {"catalog", "accounts", "sales"}
        columns = {"file", "records_folded", "journal_bytes_before", "base_bytes"}
        assert all(set(r) == columns for r in as_json)
        return
    assert text.stdout.strip() == "nothing to compact: PostgreSQL vacuums itself"
    assert as_json == {
        "compacted": False, "backend": "postgresql", "reason": "PostgreSQL vacuums itself",
    }
    assert store.view("sales").count("orders") == 3  # and nothing was touched


def test_check_and_info_report_journals_on_the_data_folder_and_the_database_on_postgresql(
    backend: str, store: DataStore, cli: Callable[..., Result], backend_env: dict[str, str]
) -> None:
    _shop(store)
    check = json.loads(_ok(cli("db", "check", "--json")).stdout)
    check_text = _flat(_ok(cli("db", "check", env=WIDE)).stdout)
    info = json.loads(_ok(cli("db", "info", "--json")).stdout)
    info_text = _flat(_ok(cli("db", "info", env=WIDE)).stdout)
    assert check["ok"] is True and check["data_files_readable"] == 3
    if backend == "embedded":
        assert set(check) == EMBEDDED_CHECK_KEYS
        assert check["journals"]["sales"]["records"] == 3 and check["journals"]["accounts"]["records"] == 1
        assert check_text.startswith("OK: 3 data files, 4 journal records (every checksum verified)")
        assert set(info) == EMBEDDED_INFO_KEYS
        assert all(set(entry) == EMBEDDED_FILE_KEYS for entry in info["files"].values())
        assert info["files"]["sales"]["tables"] == {"orders": 3}
        assert info["files"]["sales"]["journal"]["records"] == 3
        assert "sales.json" in info_text and "journal: 3 records since the base" in info_text
        assert "PostgreSQL" not in info_text
        return

    truth = _truth(backend_env["PAIDPDF_DATABASE_URL"])
    for report in (check, info):
        database = report["database"]
        assert database["engine"] == "PostgreSQL" and database["server_version"] == truth["server"]
        assert database["schema_version"] == SCHEMA_VERSION
        assert database["files"]["sales"] == {"documents": 3, "tables": {"orders": 3}}
        assert database["files"]["accounts"] == {"documents": 1, "tables": {"users": 1}}
        assert database["files"]["catalog"] == {"documents": 0, "tables": {}}
        assert database["tables"]["paidpdf_documents"] == {
            "rows": truth["documents"], "bytes": truth["sizes"]["paidpdf_documents"]
        }
        assert database["tables"]["paidpdf_schema"]["rows"] == 1
        assert {name: t["bytes"] for name, t in database["tables"].items()} == truth["sizes"]
        assert database["bytes"] == sum(truth["sizes"].values())
    assert "journals" not in check and "journal" not in json.dumps(info)
    assert info["files"]["sales"] == {"documents": 3, "tables": {"orders": 3}}
    assert "journal" not in check_text and "journal" not in info_text
    assert check_text.startswith(f"OK: 3 data files in PostgreSQL {truth['server']}, schema version 2:")
    assert "4 documents" in check_text
    assert f"PostgreSQL {truth['server']}, schema version {SCHEMA_VERSION}" in info_text
    assert "sales orders: 3" in info_text and "paidpdf_documents 4 rows" in info_text
