"""Items with several files through the real CLI: `content add --also`, `files --json`, `file-add`,
`file-remove`, `update` per file with update mails that name the file, one-line errors that change
nothing, and a data folder written by the previous release (one PDF per item) that opens unchanged and
upgrades on its first write. Runs on the data folder and on PostgreSQL."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result
from webtest import TestApp

from paidpdf.accounts import users
from paidpdf.config import Settings
from paidpdf.content import catalog, demo_media, item_files
from paidpdf.ownership import library
from paidpdf.store import CATALOG, DataStore, Store
from paidpdf.web.app import create_app
from tests.catalog.files import write_pdf
from tests.data_files import written
from tests.smtp import smtp_catcher

BOTH_BACKENDS = True
Cli = Callable[..., Result]
OLD_SHOP = Path(__file__).parent / "one_pdf_shop"
PASSWORD = "correct horse 1"


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


def one_line_error(result: Result, *words: str) -> None:
    assert result.exit_code != 0 and "Traceback" not in result.stderr, (result.stdout, result.stderr)
    assert result.stderr.strip().count("\n") == 0, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cli-media")
    chapters = [("Chapter one", "It begins.\n\nAnd goes on."), ("Chapter two", "The end.")]
    return {
        "pdf": write_pdf(folder / "book.pdf", pages=2, title="Book"),
        "epub": demo_media.make_epub(folder / "book.epub", "Book", chapters),
        "epub2": demo_media.make_epub(folder / "book-v2.epub", "Book", [*chapters, ("Three", "More.")]),
        "m4a": demo_media.make_audio(folder / "audiobook.m4a", 6.0),
        "mp4": demo_media.make_video(folder / "trailer.mp4", 3.0),
    }


def _add(cli: Cli, media: dict[str, Path]) -> dict[str, object]:
    shown = ok(cli(
        "content", "add", str(media["pdf"]), "--also", str(media["epub"]), "--also", str(media["m4a"]),
        "--title", "The Book", "--price", "9.99", "--preview-seconds", "2",
    ))
    assert "book.epub (epub" in shown.stdout and "audiobook.m4a (m4a" in shown.stdout
    return dict(json.loads(ok(cli("content", "show", "the-book", "--json")).stdout))


def test_add_with_also_and_list_the_files_as_json(cli: Cli, store: DataStore, media: dict[str, Path]) -> None:
    _add(cli, media)
    rows = json.loads(ok(cli("content", "files", "the-book", "--json")).stdout)
    assert [(r["name"], r["format"], r["primary"]) for r in rows] == [
        ("book.pdf", "pdf", True), ("book.epub", "epub", False), ("audiobook.m4a", "m4a", False)
    ]
    assert [r["version"] for r in rows] == [1, 2, 3]  # version numbers are the item's, one per file version
    assert rows[0]["pages"] == 2 and rows[1]["chapters"] == 2 and rows[2]["duration_ms"] == 6000
    assert rows[2]["media_type"] == "audio/mp4" and rows[2]["sample"]["media_type"] == "audio/mp4"
    assert rows[2]["sample"]["sha256"] != rows[2]["sha256"]
    kinds = ("pdf", "epub", "m4a")
    assert all(r["size"] == media[k].stat().st_size for r, k in zip(rows, kinds, strict=True))
    table = ok(cli("content", "files", "the-book")).stdout
    assert "audiobook.m4a" in table and "epub" in table
    listed = json.loads(ok(cli("content", "list", "--json")).stdout)
    assert [f["format"] for f in listed[0]["files"]] == ["pdf", "epub", "m4a"]


def test_file_add_and_file_remove(cli: Cli, store: DataStore, media: dict[str, Path]) -> None:
    _add(cli, media)
    added = ok(cli("content", "file-add", "the-book", str(media["mp4"]), "--preview-seconds", "1"))
    assert "trailer.mp4 (mp4" in added.stdout and "version 4" in added.stdout
    again = cli("content", "file-add", "the-book", str(media["mp4"]))
    one_line_error(again, "already has a file named 'trailer.mp4'")
    ok(cli("content", "file-remove", "the-book", "book.epub"))
    ok(cli("content", "file-remove", "the-book", "AUDIOBOOK.M4A"))  # names match case-insensitively
    ok(cli("content", "file-remove", "the-book", "book.pdf"))  # the main file: the next one takes over
    item = catalog.get_item(store, "the-book")
    assert item["filename"] == "trailer.mp4" and item["sha256"] == item_files.primary(item)["sha256"]
    assert [r["name"] for r in item_files.files_of(item)] == ["trailer.mp4"]
    shown = json.loads(ok(cli("content", "files", "the-book", "--all", "--json")).stdout)
    assert sum(1 for r in shown if r["removed_at"]) == 3
    before = written(store)
    last = cli("content", "file-remove", "the-book", "trailer.mp4")
    one_line_error(last, "only file", "retire")
    unknown = cli("content", "file-remove", "the-book", "nope.zip")
    one_line_error(unknown, "no file 'nope.zip'")
    assert written(store) == before


def test_bad_files_are_one_line_errors_and_change_nothing(
    cli: Cli, store: DataStore, media: dict[str, Path], tmp_path: Path
) -> None:
    _add(cli, media)
    before = written(store)
    renamed = tmp_path / "not-audio.m4a"
    renamed.write_bytes(media["pdf"].read_bytes())  # a PDF that claims to be audio
    one_line_error(cli("content", "file-add", "the-book", str(renamed)), "not-audio.m4a")
    one_line_error(cli("content", "add", str(media["pdf"]), "--also", str(renamed), "--title", "X",
                       "--price", "1"))
    one_line_error(cli("content", "add", str(media["pdf"]), "--also", str(tmp_path / "missing.epub"),
                       "--title", "Y", "--price", "1"), "does not exist")
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    one_line_error(cli("content", "file-add", "the-book", str(notes)), "not a format this shop sells")
    one_line_error(cli("content", "update", "the-book", str(media["mp4"]), "--file", "book.epub"), "MP4")
    one_line_error(cli("content", "update", "the-book", str(media["epub"])), "nothing changed")
    one_line_error(cli("content", "files", "no-such-item"), "no item")
    one_line_error(cli("content", "file-add", "the-book", str(media["m4a"]), "--preview-seconds", "9999"))
    assert written(store) == before


def test_update_one_file_and_the_mail_names_it(cli: Cli, store: DataStore, media: dict[str, Path]) -> None:
    _add(cli, media)
    reader = users.sign_up(store, "reader@example.com", PASSWORD)
    library.grant(store, reader["id"], "the-book")
    with smtp_catcher() as server:
        env = {"PAIDPDF_SMTP_URL": f"smtp://127.0.0.1:{server.port}", "PAIDPDF_BASE_URL": "http://127.0.0.1:8080"}
        out = ok(cli("content", "update", "the-book", str(media["epub2"]), "--notes", "Chapter three",
                     "--notify", env=env))
        assert "book-v2.epub is now version 4" in out.stdout
        (message,) = server.messages
        assert message["Subject"] == "New version of The Book: book-v2.epub"
        body = message.get_content()
        assert "book-v2.epub (EPUB) changed" in body and "Chapter three" in body
    rows = json.loads(ok(cli("content", "versions", "the-book", "--json")).stdout)
    assert [(r["version"], r["file"]) for r in rows] == [
        (1, "book.pdf"), (2, "book.epub"), (3, "audiobook.m4a"), (4, "book.epub")
    ]
    item = catalog.get_item(store, "the-book")
    epub = item_files.find(item, "book.epub")  # the key stays; the name is the new file's
    assert epub["name"] == "book-v2.epub" and epub["chapters"] == 3
    assert [v["version"] for v in item_files.file_history(epub)] == [2, 4]
    assert item["version"] == 1  # the main file did not change


def _old_shop(tmp_path: Path, backend: str, backend_env: dict[str, str]) -> tuple[Path, DataStore]:
    folder = tmp_path / "old-shop"
    shutil.copytree(OLD_SHOP, folder)
    settings = Settings.from_env(backend_env, data_dir=folder)
    store = settings.open_store()
    if backend != "embedded":
        from paidpdf.maintenance import migrate

        migrate.migrate(Store(folder), store)
    return folder, store


def test_a_shop_of_the_previous_release_opens_unchanged_and_upgrades_on_first_write(
    cli: Cli, tmp_path: Path, backend: str, backend_env: dict[str, str], media: dict[str, Path]
) -> None:
    folder, store = _old_shop(tmp_path, backend, backend_env)
    stored = store.view(CATALOG).get("content", "field-guide")
    assert stored is not None and "files" not in stored  # today's shape: one PDF, no list
    before = written(store)
    # read by every part: the files list, the CLI, the library and both download links
    (only,) = item_files.files_of(stored)
    assert only["format"] == "pdf" and only["sha256"] == stored["sha256"] and only["version"] == 2
    listed = json.loads(ok(_cli_at(folder, backend_env, "content", "files", "field-guide", "--json")).stdout)
    assert [(r["name"], r["format"], r["version"]) for r in listed] == [("field-guide-2.pdf", "pdf", 2)]
    app = TestApp(create_app(Settings.from_env(backend_env, data_dir=folder), store=store))
    _login(app)
    page = app.get("/library")
    assert "field-guide-2.pdf" in page.text and "PDF" in page.text
    pdf = app.get("/content/field-guide/download")
    key = only["key"]
    assert app.get(f"/content/field-guide/files/{key}").body == pdf.body
    first = app.get("/content/field-guide/download?version=1")
    assert first.body != pdf.body and first.body.startswith(b"%PDF-")
    assert store.export(CATALOG) == before[1][0]  # reading wrote nothing to the catalog
    # the first write upgrades the item, whatever it changes: its files list is stored, nothing else
    ok(_cli_at(folder, backend_env, "content", "edit", "field-guide", "--stream-only"))
    first_write = store.view(CATALOG).get("content", "field-guide")
    assert first_write is not None and [f["format"] for f in first_write["files"]] == ["pdf"]
    assert first_write["files"][0]["sha256"] == stored["sha256"] and first_write["stream_only"] is True
    ok(_cli_at(folder, backend_env, "content", "file-add", "field-guide", str(media["epub"])))
    upgraded = store.view(CATALOG).get("content", "field-guide")
    assert upgraded is not None and [f["key"] for f in upgraded["files"]] == [key, "book.epub"]
    kept = [k for k in stored if k not in ("updated_at", "stream_only")]
    assert {k: upgraded[k] for k in kept} == {k: stored[k] for k in kept}
    assert app.get("/content/field-guide/download").body == pdf.body
    assert app.get("/content/field-guide/files/book.epub").body == media["epub"].read_bytes()


def _cli_at(folder: Path, env: dict[str, str], *args: str) -> Result:
    from typer.testing import CliRunner

    from tests.cli_app import paidpdf_app

    return CliRunner().invoke(paidpdf_app(), ["--data", str(folder), *args], env=env)


def _login(app: TestApp) -> None:
    from tests.forms import form_for

    form = form_for(app.get("/login"), "/login")
    form["email"] = "reader@example.com"
    form["password"] = PASSWORD
    form.submit(status=303)


def test_db_check_knows_every_file_of_an_item(cli: Cli, store: DataStore, media: dict[str, Path]) -> None:
    _add(cli, media)
    ok(cli("db", "check"))
    (epub,) = [r for r in item_files.files_of(catalog.get_item(store, "the-book")) if r["format"] == "epub"]
    (store.root / "content" / epub["sha256"]).unlink()
    missing = cli("db", "check")
    assert missing.exit_code != 0 and "book.epub version 2 file missing" in missing.stdout.replace("\n", " ")
