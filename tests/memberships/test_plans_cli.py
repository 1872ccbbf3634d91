"""`paidpdf plans ...` through the real CLI on both backends: prices in integer minor units, intervals,
passes, covers by tag, edit, retire/restore, and one-line errors that change nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import Result

BOTH_BACKENDS = True

Cli = Callable[..., Result]


def test_add_list_show_edit_retire_restore(cli: Cli, tmp_path: Path) -> None:
    about = tmp_path / "about.md"
    about.write_text("Everything, every month.\n", encoding="utf-8")
    added = cli("plans", "add", "all-access", "--title", "All access", "--price", "9.99",
                "--interval", "month", "--trial-days", "7", "--description-file", str(about))
    assert added.exit_code == 0, added.output
    assert cli("plans", "add", "bakers", "--title", "Bakers", "--price", "99", "--interval", "year",
               "--covers", "tag:Home Baking,tag:bread").exit_code == 0
    assert cli("plans", "add", "pass", "--title", "30 days", "--price", "25", "--pass", "30d").exit_code == 0
    rows = {p["id"]: p for p in json.loads(cli("plans", "list", "--json").stdout)}
    assert rows["all-access"]["price"] == 999 and rows["all-access"]["trial_days"] == 7
    assert rows["all-access"]["covers"] == "all"
    assert rows["all-access"]["description"].startswith("Everything")
    assert rows["bakers"]["covers"] == ["home-baking", "bread"] and rows["bakers"]["interval"] == "year"
    assert rows["pass"]["pass_days"] == 30 and rows["pass"]["interval"] is None
    assert "per month, 7-day free trial" in cli("plans", "show", "all-access").stdout
    edited = cli("plans", "edit", "bakers", "--price", "89.50", "--covers", "all")
    assert edited.exit_code == 0, edited.output
    shown = json.loads(cli("plans", "show", "bakers", "--json").stdout)
    assert shown["price"] == 8950 and shown["covers"] == "all"
    assert cli("plans", "retire", "pass").exit_code == 0
    assert [p["id"] for p in json.loads(cli("plans", "list", "--json").stdout)] == ["all-access", "bakers"]
    assert len(json.loads(cli("plans", "list", "--all", "--json").stdout)) == 3
    assert cli("plans", "restore", "pass").exit_code == 0
    assert len(json.loads(cli("plans", "list", "--json").stdout)) == 3


def test_bad_input_is_one_line_and_changes_nothing(cli: Cli) -> None:
    assert cli("plans", "add", "a", "--title", "A", "--price", "5").exit_code == 0
    before = cli("plans", "list", "--all", "--json").stdout
    for args, code, words in [
        (("plans", "add", "b", "--title", "B", "--price", "9.999"), 2, "invalid price"),
        (("plans", "add", "b", "--title", "B", "--price", "1e3"), 2, "invalid price"),
        (("plans", "add", "b", "--title", "B", "--price", "0"), 2, "needs a price"),
        (("plans", "add", "b", "--title", "B", "--price", "5", "--interval", "week"), 2, "month or year"),
        (("plans", "add", "b", "--title", "B", "--price", "5", "--pass", "forever"), 2, "pass length"),
        (("plans", "add", "b", "--title", "B", "--price", "5", "--pass", "30d", "--trial-days", "3"), 2,
         "trial"),
        (("plans", "add", "b", "--title", "B", "--price", "5", "--covers", "tag:"), 2, "--covers"),
        (("plans", "add", "b", "--title", "B", "--price", "5", "--trial-days", "-1"), 2, "--trial-days"),
        (("plans", "add", "a", "--title", "A again", "--price", "5"), 4, "already exists"),
        (("plans", "edit", "a"), 2, "nothing to change"),
        (("plans", "show", "nope"), 3, "no plan"),
        (("plans", "retire", "nope"), 3, "no plan"),
    ]:
        result = cli(*args)
        assert result.exit_code == code, (args, result.output)
        assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.output
    assert cli("plans", "list", "--all", "--json").stdout == before
