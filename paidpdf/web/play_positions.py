"""Where a reader stopped playing a file, as JSON for the library's player (`static/player.js`), and
the positions the library page hands it on load.

`GET  /content/<id>/files/<key>/position` answers the reader's position in the file's newest version;
`POST` (form fields `csrf_token`, `position`, `duration`, `version`) stores it. Both ask exactly what a
download of the file asks (`access.downloadable_item` and `access.owned_file`: owners, members whose
plan covers the item, and readers of a free item), so nobody else can read or write a position.

Why a form body and the token in it: the player sends its last position with `navigator.sendBeacon`
when the page goes away, and a beacon cannot set headers; an urlencoded body is what a beacon sends
without a CORS preflight, and it carries the token like every form of the site (`Visitor.check_csrf`).
`version` is the first 16 hex digits of the version's sha256 the player was given (its `data-resume`
key): a position sent for a version that is no longer the newest is refused (409), never stored under
the new one. Every answer is JSON with `Cache-Control: no-store`; a refusal is `{"error": ...}` with the
status (401 not logged in, 403 not theirs or a bad token, 404 unknown item or file or one that does
not play, 400 bad values): no redirect to the login page, which a script could not use.
"""

from __future__ import annotations

import json
from typing import Any

import bottle

from paidpdf.errors import AuthRequired, Conflict, InvalidInput, NotFound, PaidPdfError
from paidpdf.ownership import access, play_positions
from paidpdf.store import Doc
from paidpdf.web.context import WebContext
from paidpdf.web.request_fields import form

#: The player's key of a file version: the reader, the item, the file key and the version's sha256 prefix.
VERSION_DIGITS = 16


def position(web: WebContext, item_id: str, key: str) -> bottle.HTTPResponse:
    """The reader's position in the newest version of the file (0 when none is stored)."""
    return _answer_for(web, item_id, key, save=False)


def save_position(web: WebContext, item_id: str, key: str) -> bottle.HTTPResponse:
    """Store the reader's position (throttled by the player: every ~10 s while playing, on pause and
    on leaving the page); answers what is stored."""
    return _answer_for(web, item_id, key, save=True)


def _answer_for(web: WebContext, item_id: str, key: str, *, save: bool) -> bottle.HTTPResponse:
    try:
        user = web.visitor.current_user()
        if user is None:
            raise AuthRequired("log in to keep your place")
        if save:
            web.visitor.check_csrf()
        item = access.downloadable_item(web.store, user, item_id)
        row, newest = access.owned_file(web.store, user, item, key, None)
        if not str(row.get("media_type") or "").startswith(("audio/", "video/")):
            raise NotFound("this file does not play in the browser")
        found = _save(web, user, item, row, newest) if save else play_positions.stored(
            web.store.view(play_positions.DATA_FILE), user["id"], item["id"], str(row["key"]),
            str(newest["sha256"]),
        )
    except PaidPdfError as exc:
        status = exc.http_status if 400 <= exc.http_status < 600 else 500
        message = exc.message if status < 500 else "the position could not be kept"
        return _json(status, {"error": message})
    return _json(200, play_positions.public(found))


def _save(web: WebContext, user: Doc, item: Doc, row: dict[str, Any], newest: dict[str, Any]) -> Doc:
    sha256 = str(newest["sha256"])
    version = form("version", limit=80)
    if not version:
        raise InvalidInput("version is missing")
    if version != sha256[:VERSION_DIGITS]:
        raise Conflict("the file has a new version: reload the page")
    seconds = play_positions.parse_seconds(form("position", limit=40), "position")
    if seconds is None:
        raise InvalidInput("position is missing")
    duration = play_positions.parse_seconds(form("duration", limit=40), "duration")
    known = row.get("duration_ms")
    return play_positions.record(
        web.store, user["id"], item["id"], str(row["key"]), sha256=sha256, version=int(newest["version"]),
        position=seconds, duration=duration, known_ms=known if isinstance(known, int) else None,
    )


def _json(status: int, body: dict[str, object]) -> bottle.HTTPResponse:
    headers = {"Content-Type": "application/json", "Cache-Control": "private, no-store"}
    return bottle.HTTPResponse(json.dumps(body), status=status, headers=headers)


def library_positions(web: WebContext, user: Doc, rows: list[access.ShelfItem]) -> str:
    """The positions the library page hands its players (JSON in a data attribute: the CSP runs no
    inline script), keyed like the players' `data-resume`: reader, item, file key, version prefix.
    Only the files on the reader's shelf, and only positions stored for their newest version."""
    kept = play_positions.for_user(web.store.view(play_positions.DATA_FILE), user["id"])
    shown: dict[str, object] = {}
    for row in rows:
        if not row.can_download:
            continue
        for f in row.files:
            if not str(f.get("media_type") or "").startswith(("audio/", "video/")):
                continue
            sha256 = str(f.get("sha256") or "")
            doc = play_positions.current(kept.get(f"{row.item['id']}/{f['key']}"), sha256)
            if doc is not None:
                resume = f"{user['id']}:{row.item['id']}:{f['key']}:{sha256[:VERSION_DIGITS]}"
                shown[resume] = play_positions.public(doc)
    return json.dumps(shown, separators=(",", ":"))
