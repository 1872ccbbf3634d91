"""`paidpdf users invite --imported`: tell every imported buyer where their purchases went, once.

Built like update notices (`ownership.update_notices`), for the same reasons: a run may be killed or
paced for a mail server's limits, and rerun. Each account gets a record in `import_invites` (in the
`accounts` file) written *before* the mail ("sending", with its Message-ID) in the same unit that
stores the mail's sign-in link, and again once the server accepted it ("sent"). A rerun skips "sent"
accounts; one killed between the server's "250" and the "sent" record is mailed again with the same
Message-ID and the same link, which mail systems drop as a duplicate.

The link is a sign-in link (`sign_in_links`, the `/signin/<token>` page with its button) that lasts
`LIFETIME` instead of 15 minutes: the buyer did not ask for this mail and may read it days later. Its
token is derived from the shop's secret and the account (`shop_secret.tag`), so a resend carries the
same link; it is stored hashed like every other link and works once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from babel.support import NullTranslations

from paidpdf import clock, mail_languages
from paidpdf.accounts import records
from paidpdf.content.shop_secret import tag
from paidpdf.imports.platforms import NAMES
from paidpdf.mail import Mailer, MailError
from paidpdf.store import DataStore, Doc

INVITES = "import_invites"
LIFETIME = timedelta(days=14)


@dataclass
class Summary:
    total: int = 0
    sent: int = 0
    already: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)


def recipients(store: DataStore) -> list[Doc]:
    """Accounts made by an import, enabled, by id."""
    found = [
        u
        for u in store.view(records.ACCOUNTS).each(records.USERS)
        if u.get("source") == "import" and not u.get("disabled")
    ]
    return sorted(found, key=lambda u: u["id"])


def invite(
    store: DataStore,
    mailer: Mailer,
    *,
    base_url: str,
    shop_name: str,
    seconds_between: float | None = None,
    progress: Callable[[Summary], None] | None = None,
) -> Summary:
    people = recipients(store)
    summary = Summary(total=len(people))
    next_at = time.monotonic()
    for user in people:
        current = store.view(records.ACCOUNTS).get(INVITES, user["id"])
        if current is not None and current.get("status") == "sent":
            summary.already += 1
            if progress:
                progress(summary)
            continue
        if seconds_between:
            time.sleep(max(0.0, next_at - time.monotonic()))
            next_at = max(next_at, time.monotonic()) + seconds_between
        host = base_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "localhost"
        message_id = f"<invite.{tag(store, 'import-invite-mail', user['id'], 24)}@{host}>"
        token = tag(store, "import-invite-link", user["id"], 48)
        _mark(store, user, "sending", message_id, link_digest=records.token_digest(token))
        t = mail_languages.translations(mail_languages.of_user(store, user))  # the shop's, for most
        platform = NAMES.get(str(user.get("imported_from"))) or t.gettext("another shop")
        try:
            mailer.send(
                user["email"],
                t.gettext("Your purchases from {platform} have moved to {shop}").format(
                    platform=platform, shop=shop_name
                ),
                _body(platform, shop_name, base_url, token, t),
                {"Message-ID": message_id, "Auto-Submitted": "auto-generated"},
            )
        except MailError as exc:
            _mark(store, user, "failed", message_id, error=exc.message)
            summary.failed.append((user["email"], exc.message))
        else:
            _mark(store, user, "sent", message_id)
            summary.sent += 1
        if progress:
            progress(summary)
    return summary


def _mark(
    store: DataStore,
    user: Doc,
    status: str,
    message_id: str,
    *,
    link_digest: str | None = None,
    error: str | None = None,
) -> None:
    now = clock.now()
    stamp = clock.iso(now)
    with store.unit(records.ACCOUNTS) as unit:
        current = unit.get(INVITES, user["id"]) or {"id": user["id"], "email": user["email"], "attempts": 0}
        attempts = int(current.get("attempts") or 0) + (1 if status == "sending" else 0)
        doc = {**current, "status": status, "message_id": message_id, "attempts": attempts, "at": stamp}
        if error is not None:
            doc["error"] = error
        unit.put(INVITES, doc)
        if link_digest is not None and unit.get(records.SIGN_IN_LINKS, link_digest) is None:
            unit.put(
                records.SIGN_IN_LINKS,
                {
                    "id": link_digest,
                    "user_id": user["id"],
                    "created_at": stamp,
                    "expires_at": clock.iso(now + LIFETIME),
                    "invite": True,
                },
            )


def _body(platform: str, shop_name: str, base_url: str, token: str, t: NullTranslations) -> str:
    base = base_url.rstrip("/")
    days = LIFETIME.days
    return "\n".join(
        [
            t.gettext("The purchases you made from {shop} on {platform} are now in your library:").format(
                shop=shop_name, platform=platform
            ),
            f"{base}/library",
            "",
            t.ngettext(
                "To sign in, open this link within {days} day and press the button (it works once):",
                "To sign in, open this link within {days} days and press the button (it works once):",
                days,
            ).format(days=days),
            "",
            f"{base}/signin/{token}",
            "",
            t.gettext(
                "Later, ask for a new sign-in link at {login}, or set a password from your account page."
            ).format(login=f"{base}/login"),
            "",
            f"-- {shop_name}",
            "",
        ]
    )
