"""Outgoing mail: SMTP when `PAIDPDF_SMTP_URL` is set, otherwise `.eml` files in `<data>/outbox/`.

The outbox makes the password-reset flow work on a fresh install with no mail server: the message is
written as a standard `.eml` file (open it in any mail program, or read the link in a text editor) and
its path is logged on the `paidpdf.mail` logger.

`PAIDPDF_SMTP_URL` forms:

- `smtp://host:25` plain SMTP (local relay)
- `smtp://user:pass@host:587?starttls=1` STARTTLS upgrade, then login (user and password %-encoded)
- `smtps://user:pass@host:465` TLS from the first byte
- `?timeout=20` seconds for connecting and each command (default 10)
"""

from __future__ import annotations

import email.policy
import logging
import queue
import secrets
import smtplib
import ssl
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from paidpdf.config import Settings
from paidpdf.errors import ConfigError, PaidPdfError
from paidpdf.store.files.atomic import atomic_write
from paidpdf.store.files.permissions import make_private_dir

OUTBOX_DIR = "outbox"
DEFAULT_TIMEOUT = 10.0

log = logging.getLogger("paidpdf.mail")


class MailError(PaidPdfError):
    """The mail server could not be reached or refused the message."""

    exit_code = 9
    http_status = 502


#: Extra headers a sender may set (update notices: a stable Message-ID, List-Unsubscribe).
Headers = Mapping[str, str]


class Mailer(Protocol):
    def send(self, to: str, subject: str, body: str, headers: Headers | None = None) -> None: ...


#: RFC 2369 fields whose body is a list of `<URL>`s. Python's header folding turns a long one into
#: RFC 2047 encoded-words (`=?utf-8?q?=3Chttps...`), which mail providers do not decode there, so
#: one-click unsubscribe (RFC 8058) would never show: these are written as given, folded by hand.
URL_LIST_HEADERS = frozenset(
    {"list-unsubscribe", "list-subscribe", "list-help", "list-post", "list-owner", "list-archive"}
)
#: Headers set with `set_raw` are written exactly as given (every other header is a header object
#: and folds itself as before).
_POLICY = email.policy.default.clone(refold_source="none")
#: RFC 5322's recommended line length. A URL is never broken, so a long one runs past it on its line,
#: which the hard limit of 998 allows.
_FOLD_AT = 78
_LINE_LIMIT = 998


def fold_url_list(name: str, value: str) -> str:
    """`<a>, <b>` folded per RFC 5322: a line break (then a space) only where whitespace may stand,
    after a comma before the next `<URL>`, never inside one; no encoded-words. The first URL stays
    on the field's own line (a break right after the colon gains nothing for a URL this long, and
    some readers keep the continuation's space at the start of the value)."""
    urls = [part.strip() for part in value.split(",") if part.strip()]
    out = ""
    line = len(name) + 1  # "Name:"
    for n, url in enumerate(urls):
        text = url + ("," if n < len(urls) - 1 else "")
        if n and line + 1 + len(text) > _FOLD_AT:
            out += "\n " + text
            line = 1 + len(text)
        else:
            out += (" " if out else "") + text
            line += 1 + len(text)
        if line > _LINE_LIMIT:
            raise MailError(f"the {name} header has a URL too long for a mail header line")
    return out


def build_message(
    sender: str, to: str, subject: str, body: str, *, readable: bool = False, headers: Headers | None = None
) -> EmailMessage:
    """A plain-text UTF-8 message. Header values with line breaks are refused (header injection).

    `readable` keeps the body as plain 8-bit text (no quoted-printable line folding), so that a link
    in an outbox file can be copied straight from a text editor. `headers` are added as given, and a
    `Message-ID` among them replaces the generated one.
    """
    extra = dict(headers or {})
    for value in (sender, to, subject, *extra, *extra.values()):
        if "\r" in value or "\n" in value:
            raise MailError("mail headers must not contain line breaks")
    message = EmailMessage(policy=_POLICY)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    # not `email.utils.make_msgid`: it draws from the `random` module's shared state
    message["Message-ID"] = extra.pop("Message-ID", None) or f"<{secrets.token_hex(16)}@{domain}>"
    for name, value in extra.items():
        if name.lower() in URL_LIST_HEADERS:
            message.set_raw(name, fold_url_list(name, value))
        else:
            message[name] = value
    if readable:
        message.set_content(body, cte="8bit")
    else:
        message.set_content(body)
    return message


class SmtpMailer:
    """Sends through an SMTP server with smtplib: plain, STARTTLS or implicit TLS, with a timeout."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        security: str = "none",
        timeout: float = DEFAULT_TIMEOUT,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        if security not in ("none", "starttls", "tls"):
            raise ConfigError(f"unknown SMTP security {security!r}")
        self.host = host
        self.port = port
        self.sender = sender
        self.username = username
        self._password = password
        self.security = security
        self.timeout = timeout
        self._tls = tls_context

    def __repr__(self) -> str:
        return f"SmtpMailer({self.host}:{self.port}, security={self.security}, user={self.username!r})"

    @classmethod
    def from_url(cls, url: str, *, sender: str) -> SmtpMailer:
        """Parse `smtp[s]://[user[:pass]@]host[:port][?starttls=1&timeout=N]`; `ConfigError` if malformed."""
        parts = urlsplit(url.strip())
        if parts.scheme not in ("smtp", "smtps"):
            raise ConfigError("PAIDPDF_SMTP_URL must start with smtp:// or smtps://")
        try:
            port_given = parts.port
        except ValueError:
            raise ConfigError("PAIDPDF_SMTP_URL has an invalid port") from None
        if not parts.hostname:
            raise ConfigError("PAIDPDF_SMTP_URL has no host name")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        unknown = set(query) - {"starttls", "timeout"}
        if unknown:
            raise ConfigError(f"PAIDPDF_SMTP_URL has unknown options: {', '.join(sorted(unknown))}")
        starttls = query.get("starttls", "0").lower() in ("1", "true", "yes", "on")
        if parts.scheme == "smtps" and starttls:
            raise ConfigError("PAIDPDF_SMTP_URL: use either smtps:// or ?starttls=1, not both")
        try:
            timeout = float(query.get("timeout", DEFAULT_TIMEOUT))
        except ValueError:
            raise ConfigError("PAIDPDF_SMTP_URL: timeout must be a number of seconds") from None
        if not 0 < timeout <= 600:
            raise ConfigError("PAIDPDF_SMTP_URL: timeout must be between 0 and 600 seconds")
        security = "tls" if parts.scheme == "smtps" else ("starttls" if starttls else "none")
        port = port_given or {"tls": 465, "starttls": 587, "none": 25}[security]
        return cls(
            parts.hostname,
            port,
            sender=sender,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            security=security,
            timeout=timeout,
        )

    def send(self, to: str, subject: str, body: str, headers: Headers | None = None) -> None:
        message = build_message(self.sender, to, subject, body, headers=headers)
        context = self._tls or ssl.create_default_context()
        try:
            smtp: smtplib.SMTP
            if self.security == "tls":
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with smtp:
                if self.security == "starttls":
                    smtp.starttls(context=context)
                if self.username:
                    smtp.login(self.username, self._password or "")
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(f"cannot send mail to {to} via {self.host}:{self.port}: {exc}") from None


class OutboxMailer:
    """Writes each message as an `.eml` file into a folder, for setups without a mail server."""

    def __init__(self, folder: Path, *, sender: str) -> None:
        self.folder = Path(folder)
        self.sender = sender

    def send(self, to: str, subject: str, body: str, headers: Headers | None = None) -> None:
        message = build_message(self.sender, to, subject, body, readable=True, headers=headers)
        try:
            make_private_dir(self.folder)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            local = "".join(c if c.isalnum() else "_" for c in to.partition("@")[0])[:40]
            path = self.folder / f"{stamp}-{local}.eml"
            atomic_write(path, message.as_bytes(), mode=0o600)
        except OSError as exc:
            raise MailError(f"cannot write mail to {to} into {self.folder}: {exc.strerror}") from None
        log.warning("mail to %s written to %s", to, path)


class QueuedMailer:
    """Sends through another mailer from one background thread, so a web request never waits for (or
    is timed by) the mail server: "reset mail sent" and "no such account" answer alike.

    The thread starts with the first message (no import-time side effects) and is a daemon. It sends
    each message `delay` seconds after it was queued, so its work never competes with the answer to
    the request that queued it (which would show in that answer's timing). A mail
    still queued when the process ends is lost, and the reader asks again. A full queue (a mail
    server that stopped answering) drops the message with an error in the log rather than letting
    requests pile up behind it. `drain()` waits until everything queued was handed on (tests, shutdown).
    """

    def __init__(self, inner: Mailer, *, capacity: int = 1000, delay: float = 0.05) -> None:
        self.inner = inner
        self.delay = delay
        self._queue: queue.Queue[tuple[float, str, str, str, dict[str, str]]] = queue.Queue(capacity)
        self._start = threading.Lock()
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"QueuedMailer({self.inner!r})"

    def send(self, to: str, subject: str, body: str, headers: Headers | None = None) -> None:
        extra = dict(headers or {})
        if any(c in value for value in (to, subject, *extra, *extra.values()) for c in "\r\n"):
            raise MailError("mail headers must not contain line breaks")  # what build_message refuses, now
        self._ensure_thread()
        try:
            self._queue.put_nowait((time.monotonic() + self.delay, to, subject, body, extra))
        except queue.Full:
            log.error("mail queue is full (is the mail server down?): mail to %s dropped", to)

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until every queued message was handed to the mail server; False on timeout."""
        done = threading.Event()

        def wait() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=wait, daemon=True).start()
        return done.wait(timeout)

    def _ensure_thread(self) -> None:
        with self._start:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="paidpdf-mail", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            due, to, subject, body, extra = self._queue.get()
            time.sleep(max(0.0, due - time.monotonic()))  # let the request that queued it answer first
            try:
                self.inner.send(to, subject, body, extra or None)
            except MailError as exc:
                log.error("mail to %s failed: %s", to, exc.message)
            except Exception:  # a bug must not kill the thread that sends every later mail
                log.exception("mail to %s failed", to)
            finally:
                self._queue.task_done()


def make_mailer(settings: Settings) -> Mailer:
    """SMTP when `PAIDPDF_SMTP_URL` is set, else the outbox in the data folder."""
    if settings.smtp_url:
        return SmtpMailer.from_url(settings.smtp_url.reveal(), sender=settings.mail_from)
    return OutboxMailer(settings.data_dir / OUTBOX_DIR, sender=settings.mail_from)
