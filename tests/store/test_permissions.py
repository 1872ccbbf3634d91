"""The data folder is private to the shop's user: what the real `paidpdf` process creates (data files,
content, covers, locks, backups, the outbox, the secret key) is 0700/0600 whatever the caller's umask;
`db check` warns about anything looser and `db check --fix-permissions` mends it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from paidpdf.content import demo
from paidpdf.store import Store
from paidpdf.store.files.permissions import loose

ROOT = Path(__file__).resolve().parents[2]


def _paidpdf(data: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PAIDPDF_ARGON2_PROFILE": "test"}
    return subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "--data", str(data), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        preexec_fn=lambda: os.umask(0o022),  # a typical login shell's umask
    )


def _modes(root: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def test_everything_the_shop_writes_is_private(tmp_path: Path) -> None:
    data = tmp_path / "shop"
    pdf = demo.make_sample_pdfs(tmp_path / "samples")[0]
    assert _paidpdf(data, "content", "add", str(pdf), "--title", "Guide", "--price", "4.99").returncode == 0
    added = _paidpdf(data, "users", "add", "reader@example.com", "--password-stdin", stdin="kx7-qpzv-long\n")
    assert added.returncode == 0, added.stderr
    assert _paidpdf(data, "db", "backup").returncode == 0
    modes = _modes(data)
    assert {"accounts.json", "catalog.json", ".locks", "content", "covers", "backups"} <= {
        p.split("/")[0] for p in modes
    }
    wrong = {p: f"{m:04o}" for p, m in modes.items() if m != (0o700 if (data / p).is_dir() else 0o600)}
    assert wrong == {}
    check = _paidpdf(data, "db", "check")
    assert check.returncode == 0 and "Warning" not in check.stderr


def test_db_check_warns_about_loose_modes_and_fix_permissions_mends_them(tmp_path: Path) -> None:
    data = tmp_path / "shop"
    pdf = demo.make_sample_pdfs(tmp_path / "samples")[0]
    assert _paidpdf(data, "content", "add", str(pdf), "--title", "Guide", "--price", "0").returncode == 0
    data.chmod(0o755)  # as `mkdir` or `cp -r` would leave them
    (data / "catalog.json").chmod(0o644)
    (data / "content").chmod(0o755)
    check = _paidpdf(data, "db", "check")
    assert check.returncode == 0
    assert "Warning: 3 folder(s) or file(s) other local users may read" in check.stderr
    assert "--fix-permissions" in check.stderr and len(check.stderr.strip().splitlines()) == 1
    fixed = _paidpdf(data, "db", "check", "--fix-permissions")
    assert fixed.returncode == 0 and "Fixed permissions of 3" in fixed.stdout
    assert loose(data) == []
    assert stat.S_IMODE((data / "catalog.json").stat().st_mode) == 0o600
    assert Store(data).view("catalog").count("content") == 1  # nothing else changed
    as_json = _paidpdf(data, "db", "check", "--json")
    assert '"loose_permissions": []' in as_json.stdout
