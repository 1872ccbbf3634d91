"""Mail: the outbox writes readable .eml files; SMTP URLs parse; SMTP auth and STARTTLS against aiosmtpd."""

from __future__ import annotations

import email
import email.policy
import logging
import re
import shutil
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

from paidpdf.config import Settings
from paidpdf.errors import ConfigError
from paidpdf.mail import MailError, OutboxMailer, SmtpMailer, make_mailer
from tests.smtp import start_smtp


def test_outbox_writes_a_readable_eml_and_logs_its_path(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    mailer = make_mailer(settings)
    assert isinstance(mailer, OutboxMailer)
    link = "http://127.0.0.1:8080/reset/" + "A" * 60  # longer than a folded mail line
    mailer.send("reader@example.com", "Reset your password", f"Grüße! Open:\n{link}\n")
    (path,) = (settings.data_dir / "outbox").glob("*.eml")
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert parsed["To"] == "reader@example.com"
    assert parsed["Subject"] == "Reset your password"
    assert parsed["From"] == settings.mail_from
    assert parsed["Message-ID"] and parsed["Date"]
    assert parsed.get_content_type() == "text/plain"
    assert parsed.get_content() == f"Grüße! Open:\n{link}\n"
    assert link in path.read_text(encoding="utf-8")  # copyable from a text editor
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert not list((settings.data_dir / "outbox").glob(".*"))  # no temp files left
    assert any(f"mail to reader@example.com written to {path}" in r.getMessage() for r in caplog.records)


def test_two_mails_make_two_files(settings: Settings) -> None:
    mailer = make_mailer(settings)
    mailer.send("a@example.com", "one", "1")
    mailer.send("a@example.com", "two", "2")
    assert len(list((settings.data_dir / "outbox").glob("*.eml"))) == 2


def test_header_injection_is_refused(settings: Settings) -> None:
    with pytest.raises(MailError):
        make_mailer(settings).send("a@example.com\r\nBcc: victim@example.com", "hi", "body")
    assert not list((settings.data_dir / "outbox").glob("*.eml"))


@pytest.mark.parametrize(
    ("url", "host", "port", "security", "user", "password", "timeout"),
    [
        ("smtp://mail.example.com", "mail.example.com", 25, "none", None, None, 10.0),
        ("smtp://u:pw-2525@mail.example.com:2525", "mail.example.com", 2525, "none", "u", "pw-2525", 10.0),
        ("smtp://u%40x.com:p%3Ass@mail.example.com?starttls=1", "mail.example.com", 587, "starttls",
         "u@x.com", "p:ss", 10.0),
        ("smtps://u:pw-465@mail.example.com?timeout=3.5", "mail.example.com", 465, "tls", "u", "pw-465", 3.5),
    ],
)
def test_smtp_url_parsing(
    url: str, host: str, port: int, security: str, user: str | None, password: str | None, timeout: float
) -> None:
    mailer = SmtpMailer.from_url(url, sender="shop@example.com")
    assert (mailer.host, mailer.port, mailer.security, mailer.username, mailer.timeout) == (
        host, port, security, user, timeout
    )
    assert mailer._password == password
    assert password is None or password not in repr(mailer)


@pytest.mark.parametrize(
    "url",
    ["http://mail.example.com", "smtp://", "smtp://host:99999", "smtp://host?starttls=1&tls=2",
     "smtps://host?starttls=1", "smtp://host?timeout=soon", "smtp://host?timeout=0"],
)
def test_bad_smtp_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError, match="PAIDPDF_SMTP_URL"):
        SmtpMailer.from_url(url, sender="shop@example.com")


def test_make_mailer_uses_smtp_when_the_url_is_set(data_dir: Path) -> None:
    settings = Settings.from_env({"PAIDPDF_SMTP_URL": "smtp://mail.example.com:2525"}, data_dir=data_dir)
    mailer = make_mailer(settings)
    assert isinstance(mailer, SmtpMailer) and mailer.port == 2525
    assert "mail.example.com" not in str(settings.redacted())


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_login_with_credentials_from_the_url() -> None:
    controller, server = start_smtp(credentials=("shop", "s3cr@t"))
    try:
        url = f"smtp://shop:s3cr%40t@127.0.0.1:{server.port}"
        mailer = SmtpMailer.from_url(url, sender="shop@example.com")
        mailer.send("reader@example.com", "hello", "body text")
        assert server.logins == [("shop", "s3cr@t")]
        assert server.messages[0].get_content().splitlines() == ["body text"]
        wrong = SmtpMailer.from_url(f"smtp://shop:nope@127.0.0.1:{server.port}", sender="shop@example.com")
        expected = re.escape(f"cannot send mail to reader@example.com via 127.0.0.1:{server.port}")
        with pytest.raises(MailError, match=expected):
            wrong.send("reader@example.com", "hello", "body text")
        assert len(server.messages) == 1
    finally:
        controller.stop()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_starttls_upgrades_before_login(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    controller, server = start_smtp(credentials=("shop", "pw"), tls_context=server_tls)
    try:
        plain = SmtpMailer(
            "127.0.0.1", server.port, sender="shop@example.com", username="shop", password="pw"
        )
        with pytest.raises(MailError):  # the server insists on STARTTLS
            plain.send("reader@example.com", "hello", "body")
        trusting = ssl.create_default_context(cafile=str(cert))
        mailer = SmtpMailer(
            "127.0.0.1", server.port, sender="shop@example.com", username="shop", password="pw",
            security="starttls", tls_context=trusting,
        )
        mailer.send("reader@example.com", "hello", "over tls")
        assert server.logins == [("shop", "pw")]
        assert [m.get_content().strip() for m in server.messages] == ["over tls"]
    finally:
        controller.stop()


def test_a_refused_connection_is_a_mail_error() -> None:
    mailer = SmtpMailer("127.0.0.1", 1, sender="shop@example.com", timeout=2)
    with pytest.raises(MailError, match="cannot send mail"):
        mailer.send("reader@example.com", "hello", "body")


def test_a_server_that_never_answers_is_a_mail_error_within_the_timeout() -> None:
    """The TCP connection is made (the kernel's backlog accepts it) but no greeting ever comes: the
    send gives up after its timeout, not after the operating system's minutes."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    try:
        mailer = SmtpMailer("127.0.0.1", silent.getsockname()[1], sender="shop@example.com", timeout=1)
        started = time.monotonic()
        with pytest.raises(MailError, match="cannot send mail"):
            mailer.send("reader@example.com", "hello", "body")
        waited = time.monotonic() - started
    finally:
        silent.close()
    assert 0.9 <= waited < 15, waited  # the timeout applied (generous above: a loaded machine is slow)


def test_outbox_logger_is_paidpdf_mail(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="paidpdf.mail"):
        make_mailer(settings).send("x@example.com", "s", "b")
    assert [r.name for r in caplog.records] == ["paidpdf.mail"]
