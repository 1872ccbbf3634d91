"""Update notices: one mail per owner per new version of an item, resumable and paced.

Why it is built like this: a creator with 5,000 buyers runs `content notify` from a laptop whose
lid closes, or a mail server that allows 100 messages a minute. So each (item, version, owner) gets a
record in the `notices` table of `sales`, written *before* the mail goes out ("sending", with the
message's Message-ID) and again after the server accepted it ("sent"). A rerun skips every "sent"
record and sends the rest. A process killed between the server's "250 OK" and the "sent" record
leaves one message in doubt; the rerun sends it again *with the same Message-ID*, which mail
systems use to drop duplicates, so a reader sees it once. Failures ("failed", with the server's
answer) are retried by the next run and named in its summary.

Who gets one: owners whose library entry is active (refunded, disputed or revoked owners get
nothing), whose account is enabled and who did not turn update mails off (`set_update_mails`, the
one-click `List-Unsubscribe` link or the library page's switch).
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

from babel.support import NullTranslations

from paidpdf import mail_languages
from paidpdf.accounts.records import USERS
from paidpdf.clock import now_iso
from paidpdf.content import catalog, item_files
from paidpdf.content.shop_secret import tag
from paidpdf.errors import InvalidInput, NotFound
from paidpdf.mail import Mailer, MailError
from paidpdf.ownership import library
from paidpdf.store import ACCOUNTS, SALES, DataStore, Doc

NOTICES = "notices"
MAX_RATE = 100_000


@dataclass
class Summary:
    """What a run did: `sent` now, `already` sent by an earlier run, `failed` (email, reason)."""

    item_id: str
    version: int
    total: int = 0
    sent: int = 0
    already: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)


def parse_rate(text: str | None) -> float | None:
    """`--rate 120/min` (or `120`) → seconds between mails; None for no pacing."""
    if text is None or text.strip() == "":
        return None
    number = text.strip().lower().removesuffix("/min").strip()
    if not number.isascii() or not number.isdigit() or not 1 <= int(number) <= MAX_RATE:
        raise InvalidInput(f"--rate must be mails per minute such as 120/min (1 to {MAX_RATE}), not {text!r}")
    return 60.0 / int(number)


def unsubscribe_token(store: DataStore, user_id: str) -> str:
    return tag(store, "unsubscribe", user_id, 32)


def unsubscribe_url(store: DataStore, base_url: str, user_id: str) -> str:
    token = unsubscribe_token(store, user_id)
    return f"{base_url.rstrip('/')}/updates/unsubscribe?u={quote(user_id)}&t={token}"


def token_valid(store: DataStore, user_id: str, token: str) -> bool:
    return bool(user_id) and hmac.compare_digest(unsubscribe_token(store, user_id), token)


def set_update_mails(store: DataStore, user_id: str, wanted: bool) -> Doc:
    """Turn a reader's update mails on or off (idempotent)."""
    with store.unit(ACCOUNTS) as unit:
        user = unit.get(USERS, user_id)
        if user is None:
            raise NotFound("no such account")
        if wanted_updates(user) == wanted:
            return user
        return unit.put(USERS, {**user, "update_mails": wanted, "updated_at": now_iso()})


def wanted_updates(user: Doc) -> bool:
    return user.get("update_mails") is not False


def recipients(store: DataStore, item_id: str) -> list[Doc]:
    """The accounts to tell about a new version of `item_id`, by account id."""
    entries = store.view(SALES).find(library.LIBRARY, "content_id", item_id)
    owners = [e for e in entries if e.get("revoked_at") is None]
    accounts = store.view(ACCOUNTS)
    found = []
    for entry in sorted(owners, key=lambda e: e["user_id"]):
        user = accounts.get(USERS, entry["user_id"])
        if user is not None and not user.get("disabled") and wanted_updates(user):
            found.append(user)
    return found


def notify(
    store: DataStore,
    mailer: Mailer,
    item_id: str,
    *,
    base_url: str,
    shop_name: str,
    version: int | None = None,
    seconds_between: float | None = None,
    progress: Callable[[Summary], None] | None = None,
) -> Summary:
    """Mail every owner who was not yet told about this version (see the module docstring)."""
    item = catalog.get_item(store, item_id)
    newest = max(int(v["version"]) for f in item_files.files_of(item) for v in item_files.file_history(f))
    changed, chosen = item_files.version_of(item, newest if version is None else version)
    number = int(chosen["version"])
    several = len(item_files.files_of(item, include_removed=True)) > 1
    people = recipients(store, item["id"])
    summary = Summary(item["id"], number, total=len(people))
    next_at = time.monotonic()
    for user in people:
        key = f"{item['id']}:{number}:{user['id']}"
        notice = store.view(SALES).get(NOTICES, key)
        if notice is not None and notice.get("status") == "sent":
            summary.already += 1
            if progress:
                progress(summary)
            continue
        if seconds_between:
            time.sleep(max(0.0, next_at - time.monotonic()))
            next_at = max(next_at, time.monotonic()) + seconds_between
        t = mail_languages.translations(mail_languages.of_user(store, user))  # each owner's own language
        subject = t.gettext("New version of {title}").format(title=item["title"]) + (
            f": {changed['name']}" if several else ""
        )
        message_id = _message_id(store, key, base_url)
        _mark(store, key, user, item["id"], number, "sending", message_id=message_id)
        try:
            mailer.send(
                user["email"], subject,
                _body(item, changed if several else None, chosen, base_url, shop_name,
                      unsubscribe_url(store, base_url, user["id"]), t),
                {
                    "Message-ID": message_id,
                    "List-Unsubscribe": f"<{unsubscribe_url(store, base_url, user['id'])}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                    "Auto-Submitted": "auto-generated",
                },
            )
        except MailError as exc:
            _mark(store, key, user, item["id"], number, "failed", message_id=message_id, error=exc.message)
            summary.failed.append((user["email"], exc.message))
        else:
            _mark(store, key, user, item["id"], number, "sent", message_id=message_id)
            summary.sent += 1
        if progress:
            progress(summary)
    return summary


def _message_id(store: DataStore, key: str, base_url: str) -> str:
    host = base_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "localhost"
    return f"<update.{tag(store, 'notice', key, 24)}@{host}>"


def _mark(
    store: DataStore, key: str, user: Doc, item_id: str, version: int, status: str, **extra: str
) -> None:
    with store.unit(SALES) as unit:
        current = unit.get(NOTICES, key) or {
            "id": key, "content_id": item_id, "version": version, "user_id": user["id"],
            "email": user["email"], "attempts": 0,
        }
        attempts = int(current.get("attempts") or 0) + (1 if status == "sending" else 0)
        unit.put(NOTICES, {**current, **extra, "status": status, "attempts": attempts, "at": now_iso()})


def _body(
    item: Doc, changed: dict[str, object] | None, chosen: dict[str, object], base_url: str, shop_name: str,
    unsubscribe: str, t: NullTranslations,
) -> str:
    """The mail in the owner's language; for an item with several files it names the file that
    changed, and its format."""
    notes = str(chosen.get("notes") or "").strip()
    base = base_url.rstrip("/")
    names = {"title": item["title"], "version": chosen["version"]}
    what = (
        t.gettext("{title} has a new version (version {version}).").format(**names) if changed is None else
        t.gettext("{title} has a new version (version {version}): {file} ({format}) changed.").format(
            **names, file=changed["name"], format=str(changed.get("format") or "").upper()
        )
    )
    lines = [
        what,
        "",
        *([t.gettext("What changed:") + f"\n{notes}", ""] if notes else []),
        t.gettext("Download it from your library: {link}").format(link=f"{base}/library"),
        t.gettext("Earlier versions stay in your library too."),
        "",
        f"-- {shop_name}",
        "",
        t.gettext("You get this mail because you own {title}. Stop update mails: {link}").format(
            title=item["title"], link=unsubscribe
        ),
    ]
    return "\n".join(lines) + "\n"
