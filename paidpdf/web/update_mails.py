"""The reader's switch for update mails: from the library page, and the one-click link in each mail.

The link (`/updates/unsubscribe?u=<account>&t=<token>`, also in the `List-Unsubscribe` header) carries
its own proof, a keyed hash of the account id (`update_notices.unsubscribe_token`), so it works in a
browser that is not logged in. A GET only shows a confirmation button: mail scanners follow links, and
a GET must never change anything. The POST is RFC 8058's one-click unsubscribe, which mail programs
send without cookies; the token takes the place of the CSRF token there (a forged request cannot know
it). The library page's switch is an ordinary logged-in form with a CSRF token.
"""

from __future__ import annotations

from paidpdf.errors import AccessDenied
from paidpdf.languages import N_
from paidpdf.ownership import update_notices
from paidpdf.store import Doc
from paidpdf.web.context import WebContext
from paidpdf.web.guards import login_required
from paidpdf.web.request_fields import form, query


@login_required
def set_updates(web: WebContext, user: Doc) -> None:
    web.visitor.check_csrf()
    wanted = form("wanted") == "1"
    update_notices.set_update_mails(web.store, user["id"], wanted)
    web.cookies.flash("updates_on" if wanted else "updates_off")
    web.redirect_local(form("next"), "/library")


def _checked(web: WebContext) -> str:
    user_id, token = query("u", 64), query("t", 64)
    if not update_notices.token_valid(web.store, user_id, token):
        raise AccessDenied(N_("this unsubscribe link is not valid (copy the whole link from the mail)"))
    return user_id


def unsubscribe_form(web: WebContext) -> str:
    user_id = _checked(web)
    return web.render("unsubscribe.html", user_id=user_id, token=query("t", 64), done=False)


def unsubscribe(web: WebContext) -> str:
    """One-click (RFC 8058): authenticated by the link's token, not by a cookie."""
    user_id = _checked(web)
    update_notices.set_update_mails(web.store, user_id, False)
    return web.render("unsubscribe.html", user_id=user_id, token=query("t", 64), done=True)
