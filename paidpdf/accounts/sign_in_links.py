"""Sign-in links: "email me a sign-in link" beside the password form, for readers who forgot their
password or never had one. Single-use, valid for 15 minutes, stored hashed, throttled like resets
(the shared rules are in `mailed_links`).

Opening the link shows a page with one button; only pressing it (a POST with the page's CSRF token)
signs in. A mail scanner that fetches every link in a mail therefore cannot use it up, and a link
opened by someone else's browser does not log that browser in behind the reader's back.

Using a link proves the address, which is how the owner of an account takes it back (say, one made
when someone else paid as a guest with their address): it ends every other session of the account and
every other open link, and the session it opens is marked as opened by a link (`sessions.BY_LINK`),
the one kind that may set a first password.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from paidpdf import mail_languages
from paidpdf.accounts import feed_tokens, mailed_links, records, sessions, throttle
from paidpdf.clock import iso
from paidpdf.errors import InvalidInput
from paidpdf.languages import N_
from paidpdf.mail import Mailer
from paidpdf.store import DataStore, Doc, Unit

LIFETIME = timedelta(minutes=15)
MAX_OPEN = 3
BAD_LINK = N_("this sign-in link is invalid, already used or has expired; ask for a new one")
KIND = mailed_links.LinkKind(
    records.SIGN_IN_LINKS, LIFETIME, MAX_OPEN, throttle.sign_in_link_rules, "sign-in link requests", "signin"
)


def request_link(
    store: DataStore,
    mailer: Mailer,
    email: str,
    base_url: str,
    *,
    remote_addr: str | None = None,
    now: datetime | None = None,
    shop_name: str = "paidpdf",
    locale: str | None = None,
) -> None:
    """Mail a sign-in link to the account with this address; nothing (and no sign of it) otherwise.
    The mail is in `locale` (the page it was asked from), else the account's language."""
    minutes = int(LIFETIME.total_seconds() // 60)

    def compose(user: Doc, link: str) -> tuple[str, str]:
        t = mail_languages.translations(locale or mail_languages.of_user(store, user))
        body = t.gettext(
            "Someone (hopefully you) asked to sign in to your {shop} account {email}.\n\n"
            "To sign in, open this link within {minutes} minutes and press the button:\n\n{link}\n\n"
            "The link works once. If you did not ask for it, ignore this mail.\n"
        ).format(shop=shop_name, email=user["email"], minutes=minutes, link=link)
        return t.gettext("Sign in to {shop}").format(shop=shop_name), f"{body}\n-- \n{shop_name}\n"

    mailed_links.mail_link(
        store, mailer, KIND, email, base_url, compose, remote_addr=remote_addr, now=records.moment_or_now(now)
    )


def link_valid(store: DataStore, token: str, *, now: datetime | None = None) -> bool:
    return mailed_links.valid(store, KIND, token, records.moment_or_now(now)) is not None


def link_owner(store: DataStore, token: str, *, now: datetime | None = None) -> Doc | None:
    """The account a still-working link signs in to (read-only: the confirm page names it)."""
    return mailed_links.owner(store, KIND, token, records.moment_or_now(now))


def sign_in(store: DataStore, token: str, *, now: datetime | None = None) -> Doc:
    """Use a link without opening a session: the user it was for (see `enter`)."""
    return _use(store, token, records.moment_or_now(now), open_session=False)[0]


def enter(store: DataStore, token: str, *, now: datetime | None = None) -> tuple[Doc, str]:
    """Use a link: (the user, the raw token of the session it opens). In one unit: the link and the
    user's other links are burnt, EVERY session of the user ends, and a `BY_LINK` session opens."""
    user, session = _use(store, token, records.moment_or_now(now), open_session=True)
    assert session is not None
    return user, session


def _drop_unproven_password(unit: Unit, user: Doc, moment: datetime) -> Doc:
    """An account made by a guest's payment whose password was set before a first password needed a
    mailed link (whoever paid with the address could set one): the owner of the address, coming in by
    a link mailed there, takes the account back, so that password ends too; they set their own."""
    if user.get("created_for_order") and user.get("password_hash") and not user.get(records.PASSWORD_PROVEN):
        feed_tokens.end(unit, user["id"])  # a feed link they may have made ends with the password
        return unit.put(records.USERS, {**user, "password_hash": None, "updated_at": iso(moment)})
    return user


def _use(store: DataStore, token: str, moment: datetime, *, open_session: bool) -> tuple[Doc, str | None]:
    with store.unit(records.ACCOUNTS) as unit:
        user = mailed_links.use(unit, KIND, token, moment)
        if user is None:
            raise InvalidInput(BAD_LINK)
        throttle.clear(unit, throttle.account_key(user["email"]))
        sessions.end_sessions(unit, user["id"])
        user = _drop_unproven_password(unit, user, moment)
        opened = sessions.insert_session(unit, user["id"], moment, sessions.BY_LINK) if open_session else None
        records.prune(unit, moment)
    return user, opened
