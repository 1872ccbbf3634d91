"""The headers of an update mail as a mail provider reads them: the raw bytes the real SMTP server
received. `List-Unsubscribe` must be a plain `<URL>` (RFC 2369/8058; folded only where RFC 5322
allows, never as an RFC 2047 encoded-word, which providers do not decode there), so that one-click
unsubscribe works."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from typer.testing import Result

from paidpdf import mail
from paidpdf.accounts import users
from paidpdf.ownership import library
from paidpdf.store import Doc, Store
from tests.catalog.files import write_pdf
from tests.smtp import smtp_catcher

PASSWORD = "correct horse 1"
Cli = Callable[..., Result]


def _header(raw: bytes, name: bytes) -> bytes:
    """The header's field body as sent (folding kept), from the raw message."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    pattern = rb"^" + re.escape(name) + rb":([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)"
    found = re.search(pattern, head, re.M | re.I)
    assert found is not None, head
    return found.group(1)


def _mail(cli: Cli, item: Doc, files: Path, base_url: str) -> tuple[bytes, str]:
    with smtp_catcher() as server:
        env = {"PAIDPDF_SMTP_URL": f"smtp://127.0.0.1:{server.port}", "PAIDPDF_BASE_URL": base_url}
        pdf = write_pdf(files / "v2.pdf", pages=2)
        done = cli("content", "update", item["id"], str(pdf), "--notify", env=env)
        assert done.exit_code == 0, (done.stdout, done.stderr)
        assert len(server.raw) == 1
        return server.raw[0], str(server.messages[0]["List-Unsubscribe"])


def _check(raw: bytes, base_url: str) -> None:
    body = _header(raw, b"List-Unsubscribe")
    assert b"=?" not in body and b"?=" not in body  # no encoded-word
    unfolded = re.sub(rb"\r\n(?=[ \t])", b"", body).strip()
    expected = rb"<" + re.escape(base_url.encode()) + rb"/updates/unsubscribe\?u=usr_\w+&t=\w+>"
    assert re.fullmatch(expected, unfolded)
    url = unfolded[1:-1]
    assert url in raw  # the URL itself is never broken across lines
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert _header(raw, b"List-Unsubscribe-Post").strip() == b"List-Unsubscribe=One-Click"


def test_list_unsubscribe_is_a_plain_url_in_the_raw_mail(
    cli: Cli, store: Store, item: Doc, files: Path
) -> None:
    user = users.sign_up(store, "owner@example.com", PASSWORD)
    library.grant(store, user["id"], item["id"])
    base = "http://127.0.0.1:8080"
    raw, parsed = _mail(cli, item, files, base)
    _check(raw, base)
    assert parsed.startswith(f"<{base}/updates/unsubscribe?u={user['id']}&t=")


def test_a_long_list_unsubscribe_stays_one_plain_url(
    cli: Cli, store: Store, item: Doc, files: Path
) -> None:
    user = users.sign_up(store, "owner@example.com", PASSWORD)
    library.grant(store, user["id"], item["id"])
    base = "https://downloads.a-bookshop-with-a-rather-long-name.example.com/shops/the-main-one"
    raw, _ = _mail(cli, item, files, base)
    _check(raw, base)
    # one URL longer than a line: kept whole, on the field's own line
    assert re.match(rb"^ <https://[^\r\n]+>$", _header(raw, b"List-Unsubscribe")) is not None


def test_several_urls_fold_between_them_never_inside_one() -> None:
    """The folding rule itself, on a message as `paidpdf.mail` builds and writes it."""
    https = "https://shop.example.com/updates/unsubscribe?u=usr_0123456789abcdef&t=" + "a" * 32
    value = f"<mailto:unsubscribe@shop.example.com?subject=unsubscribe>, <{https}>"
    message = mail.build_message(
        "shop@example.com", "reader@example.com", "Update", "body", headers={"List-Unsubscribe": value}
    )
    raw = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))  # as smtplib sends it
    body = _header(raw, b"List-Unsubscribe")
    first = b" <mailto:unsubscribe@shop.example.com?subject=unsubscribe>,"
    assert body == first + b"\r\n <" + https.encode() + b">"
