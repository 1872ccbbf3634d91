"""`paidpdf content ...` through the real CLI: the contract, the JSON, and bad input changing nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from paidpdf.content import catalog
from paidpdf.store import DataStore, Doc, Store
from tests.catalog.files import (
    HTML_PAGE,
    SVG_WITH_SCRIPT,
    encrypted_pdf,
    image_bytes,
    pdf_bytes,
    png_header_only,
    write_image,
    write_pdf,
)
from tests.cli_app import paidpdf_app
from tests.data_files import written

Cli = Callable[..., Result]
BOTH_BACKENDS = True  # tests/conftest.py: each test runs on the data folder and on PostgreSQL


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.stderr
    return result


def test_add_list_show_json(cli: Cli, sample_pdf: Path, files: Path) -> None:
    description = files / "about.txt"
    description.write_text("A guide to everything.\nSecond line.\n", encoding="utf-8")
    ok(
        cli(
            "content",
            "add",
            str(sample_pdf),
            "--title",
            "The Guide",
            "--price",
            "19.99",
            "--description-file",
            str(description),
        )
    )
    ok(
        cli(
            "content",
            "add",
            str(write_pdf(files / "free.pdf", pages=2)),
            "--title",
            "Freebie",
            "--price",
            "0",
            "--description",
            "Free!",
            "--cover",
            str(write_image(files / "c.webp", fmt="WEBP")),
            "--id",
            "My-Freebie",
        )
    )
    listed = json.loads(ok(cli("content", "list", "--json")).stdout)
    assert [i["id"] for i in listed] == ["the-guide", "my-freebie"]
    for shown in listed:
        assert list(shown) == list(catalog.FIELDS)
    guide = listed[0]
    assert guide["price"] == 1999 and isinstance(guide["price"], int)
    assert guide["description"] == "A guide to everything.\nSecond line."
    assert guide["pages"] == 3 and guide["filename"] == "guide.pdf" and guide["version"] == 1
    assert listed[1]["price"] == 0 and listed[1]["cover"].endswith(".webp")
    one = json.loads(ok(cli("content", "show", "THE-GUIDE", "--json")).stdout)
    assert one == {**guide, "downloads": 0}  # show adds the count of completed downloads


def test_json_output_is_json_only(cli: Cli, item: Doc) -> None:
    result = ok(cli("content", "show", "the-guide", "--json"))
    assert json.loads(result.stdout) == {**catalog.public(item), "downloads": 0}
    assert result.stderr == ""
    assert json.loads(ok(cli("content", "list", "--json")).stdout) == [catalog.public(item)]


def test_an_empty_catalog_lists_as_an_empty_array(cli: Cli) -> None:
    assert json.loads(ok(cli("content", "list", "--json")).stdout) == []


def test_people_get_tables_with_formatted_prices(cli: Cli, item: Doc) -> None:
    listed = ok(cli("content", "list")).stdout
    assert "the-guide" in listed and "$9.99" in listed
    shown = ok(cli("content", "show", "the-guide")).stdout
    assert "$9.99 (999 usd)" in shown and "3 pages" in shown


def test_price_retire_restore(cli: Cli, item: Doc) -> None:
    assert "$12.50" in ok(cli("content", "price", "the-guide", "12.50")).stdout
    assert json.loads(ok(cli("content", "show", "the-guide", "--json")).stdout)["price"] == 1250
    ok(cli("content", "retire", "the-guide"))
    assert json.loads(ok(cli("content", "list", "--json")).stdout) == []
    everything = json.loads(ok(cli("content", "list", "--all", "--json")).stdout)
    assert [(i["id"], i["status"]) for i in everything] == [("the-guide", "retired")]
    assert json.loads(ok(cli("content", "show", "the-guide", "--json")).stdout)["status"] == "retired"
    ok(cli("content", "restore", "the-guide"))
    assert [i["id"] for i in json.loads(ok(cli("content", "list", "--json")).stdout)] == ["the-guide"]


def test_edit_replaces_the_file(cli: Cli, item: Doc, files: Path) -> None:
    new_pdf = write_pdf(files / "guide-2.pdf", pages=6)
    ok(cli("content", "edit", "the-guide", "--file", str(new_pdf), "--title", "The Guide, 2nd ed."))
    shown = json.loads(ok(cli("content", "show", "the-guide", "--json")).stdout)
    assert shown["version"] == 2 and shown["pages"] == 6 and shown["filename"] == "guide-2.pdf"
    assert shown["title"] == "The Guide, 2nd ed." and shown["sha256"] != item["sha256"]


def test_every_command_has_help_with_an_example(cli: Cli) -> None:
    for command in ("add", "list", "show", "price", "edit", "retire", "restore"):
        result = ok(cli("content", command, "--help"))
        assert f"Example: paidpdf content {command}" in result.stdout


def _bad_files(files: Path, item: Doc) -> dict[str, list[str]]:
    """Each case: the arguments of one command that must fail with nothing changed."""
    good = str(write_pdf(files / "good.pdf", pages=2, title="Good"))
    (files / "empty.pdf").write_bytes(b"")
    (files / "folder.pdf").mkdir()
    (files / "png.pdf").write_bytes(image_bytes("PNG"))
    (files / "page.pdf").write_bytes(HTML_PAGE)
    whole = pdf_bytes(pages=6)
    (files / "half.pdf").write_bytes(whole[: len(whole) // 2])
    encrypted_pdf(files / "locked.pdf", user_password="secret")
    (files / "text.png").write_text("not an image\n")
    (files / "evil.svg").write_bytes(SVG_WITH_SCRIPT)
    (files / "bomb.png").write_bytes(png_header_only(100_000, 100_000))
    (files / "latin1.txt").write_bytes("Crème brûlée".encode("latin-1"))
    write_image(files / "ok.png")
    add = ["content", "add"]
    new = ["--title", "New Item", "--price", "5"]
    return {
        "missing file": [*add, str(files / "nope.pdf"), *new],
        "a directory": [*add, str(files / "folder.pdf"), *new],
        "zero bytes": [*add, str(files / "empty.pdf"), *new],
        "png renamed pdf": [*add, str(files / "png.pdf"), *new],
        "html named pdf": [*add, str(files / "page.pdf"), *new],
        "truncated pdf": [*add, str(files / "half.pdf"), *new],
        "encrypted pdf": [*add, str(files / "locked.pdf"), *new],
        "text named png": [*add, good, *new, "--cover", str(files / "text.png")],
        "svg cover": [*add, good, *new, "--cover", str(files / "evil.svg")],
        "bomb cover": [*add, good, *new, "--cover", str(files / "bomb.png")],
        "missing cover": [*add, good, *new, "--cover", str(files / "nope.png")],
        "duplicate title": [*add, good, "--title", "THE guide", "--price", "5"],
        "duplicate id": [*add, good, *new, "--id", "The-Guide"],
        "bad id": [*add, good, *new, "--id", "../etc"],
        "bad id spaces": [*add, good, *new, "--id", "my book"],
        "empty title": [*add, good, "--title", "  ", "--price", "5"],
        "not utf-8": [*add, good, *new, "--description-file", str(files / "latin1.txt")],
        "two descriptions": [
            *add,
            good,
            *new,
            "--description",
            "x",
            "--description-file",
            str(files / "ok.png"),
        ],
        **{
            f"price {p}": [*add, good, "--title", "New Item", "--price", p]
            for p in ("-1", "1.999", "abc", "nan", "1e3", "0.10", "1000000")
        },
        **{f"set price {p}": ["content", "price", "the-guide", p] for p in ("-1", "1.999", "nan", "0.10")},
        "unknown id show": ["content", "show", "nope"],
        "unknown id show json": ["content", "show", "nope", "--json"],
        "unknown id price": ["content", "price", "nope", "5"],
        "unknown id edit": ["content", "edit", "nope", "--title", "X"],
        "unknown id retire": ["content", "retire", "nope"],
        "unknown id restore": ["content", "restore", "nope"],
        "edit nothing": ["content", "edit", "the-guide"],
        "edit bad file": ["content", "edit", "the-guide", "--file", str(files / "half.pdf")],
        "edit bad cover": ["content", "edit", "the-guide", "--cover", str(files / "evil.svg")],
        "edit bad description": [
            "content",
            "edit",
            "the-guide",
            "--description-file",
            str(files / "latin1.txt"),
        ],
    }


def test_bad_input_gives_one_line_and_changes_nothing(
    cli: Cli, store: DataStore, item: Doc, files: Path
) -> None:
    cases = _bad_files(files, item)
    before = written(store)
    folder, documents, _ = before
    assert documents[0] and any(k.startswith("content/") for k in folder)  # the catalog and a file
    failures = []
    for name, args in cases.items():
        result = cli(*args)
        lines = result.stderr.strip().splitlines()
        if (
            result.exit_code == 0
            or len(lines) != 1
            or not lines[0].startswith("Error: ")
            or "Traceback" in result.stdout + result.stderr
            or not isinstance(result.exception, SystemExit)
            or result.stdout.strip()
        ):
            failures.append((name, result.exit_code, result.stdout, result.stderr, result.exception))
        if written(store) != before:
            failures.append((name, "data folder or database changed"))
            before = written(store)
    assert failures == []


@pytest.mark.parametrize(
    ("case", "exit_code", "message"),
    [
        ("png renamed pdf", 2, "looks like a PNG image"),
        ("truncated pdf", 2, "truncated or corrupt"),
        ("svg cover", 2, "SVG covers are not accepted"),
        ("duplicate title", 4, "already exists: the-guide"),
        ("duplicate id", 4, "id 'the-guide' already exists"),
        ("bad id", 2, "invalid id '../etc'"),
        ("price 0.10", 2, "below Stripe's minimum"),
        ("price 1000000", 2, "too large"),
        ("unknown id show", 3, "no item 'nope'"),
        ("not utf-8", 2, "not UTF-8"),
    ],
)
def test_errors_name_the_problem(
    cli: Cli, item: Doc, files: Path, case: str, exit_code: int, message: str
) -> None:
    result = cli(*_bad_files(files, item)[case])
    assert result.exit_code == exit_code
    assert message in result.stderr


@pytest.mark.embedded_only(reason="a data folder that is a file: the data folder's own failure mode")
def test_a_data_folder_that_is_a_file_is_refused(tmp_path: Path, sample_pdf: Path) -> None:
    not_a_folder = tmp_path / "data-file"
    not_a_folder.write_text("I am a file")
    runner = CliRunner()
    for data in (not_a_folder, not_a_folder / "sub"):
        result = runner.invoke(
            paidpdf_app(),
            ["--data", str(data), "content", "add", str(sample_pdf), "--title", "T", "--price", "5"],
            env={},
        )
        assert result.exit_code != 0
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
        assert not_a_folder.read_text() == "I am a file"


def test_cli_and_domain_share_one_store(cli: Cli, store: Store, item: Doc) -> None:
    ok(cli("content", "price", "the-guide", "4.99"))
    assert catalog.get_item(store, "the-guide")["price"] == 499
