"""Where an owner stopped playing, kept by the shop (`/content/<id>/files/<key>/position`): stored from
one browser and handed to another one's library page, only for owners, only sensible values, a new
version starting at 0, and nothing written for a refusal or a position that did not move. Runs on
both backends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from webtest import TestApp

from paidpdf.content import demo_media, item_file_changes, item_files
from paidpdf.ownership import play_positions
from tests.web.site import PAID, REMOTE, Site, logged_in, login

BOTH_BACKENDS = True


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("position-media")
    return {
        "m4a": demo_media.make_audio(folder / "talk.m4a", 12.0),
        "m4a-2": demo_media.make_audio(folder / "talk-2.m4a", 12.0, pitch=330.0),
    }


def _audio(site: Site, media: dict[str, Path]) -> dict[str, object]:
    _item, row = item_file_changes.add_file(site.store, PAID, media["m4a"], sample_seconds=2)
    return row


def _browser(site: Site, email: str | None) -> TestApp:
    app = TestApp(site.app.app, extra_environ={"REMOTE_ADDR": REMOTE})
    if email:
        login(app, email)
    return app


def _state(page: object) -> tuple[str, dict[str, dict[str, object]]]:
    """The library page's CSRF token and positions for the player (`#player-state`)."""
    tag = page.html.find(id="player-state")  # type: ignore[attr-defined]
    assert tag is not None and tag.has_attr("hidden")
    return str(tag["data-csrf"]), json.loads(tag["data-positions"])


def _fields(
    token: str, row: dict[str, object], position: str, duration: str | None = "12.0"
) -> dict[str, str]:
    fields = {"csrf_token": token, "version": str(row["sha256"])[:16], "position": position}
    if duration is not None:
        fields["duration"] = duration
    return fields


def test_a_position_stored_on_one_device_is_handed_to_another(site: Site, media: dict[str, Path]) -> None:
    row = _audio(site, media)
    url = f"/content/{PAID}/files/{row['key']}/position"
    phone = logged_in(site, "owner")
    token, positions = _state(phone.get("/library"))
    assert positions == {}
    stored = phone.post(url, _fields(token, row, "7.46"))
    assert stored.headers["Content-Type"] == "application/json"
    assert stored.headers["Cache-Control"] == "private, no-store"
    assert stored.json["position"] == 7.5 and stored.json["duration"] == 12.0  # kept to a tenth
    assert stored.json["version"] == row["version"] and stored.json["at_ms"] > 0
    assert phone.get(url).json == stored.json
    laptop = _browser(site, "owner@example.com")  # another device: no cookie, no storage in common
    _token, positions = _state(laptop.get("/library"))
    owner = site.user("owner@example.com")
    assert positions == {f"{owner['id']}:{PAID}:{row['key']}:{str(row['sha256'])[:16]}": stored.json}
    doc = site.store.view("accounts").get(play_positions.TABLE, f"{owner['id']}/{PAID}/{row['key']}")
    assert doc is not None and doc["sha256"] == row["sha256"] and doc["position"] == 7.5
    finished = laptop.post(url, _fields(_token, row, "0"))  # finished: it starts over, everywhere
    assert finished.json["position"] == 0
    assert phone.get(url).json["position"] == 0


def test_only_owners_store_or_read_a_position(site: Site, media: dict[str, Path]) -> None:
    row = _audio(site, media)
    url = f"/content/{PAID}/files/{row['key']}/position"
    owner = logged_in(site, "owner")
    token, _ = _state(owner.get("/library"))
    anonymous = _browser(site, None)
    for answer in (anonymous.get(url, status=401), anonymous.post(url, _fields(token, row, "3"), status=401)):
        assert answer.json == {"error": "log in to keep your place"}  # JSON, not the login page
    reader = _browser(site, "reader@example.com")  # does not own the item
    reader_token = reader.get("/account/password").html.find("input", attrs={"name": "csrf_token"})["value"]
    before = site.written("accounts")
    assert reader.get(url, status=403).json["error"]
    assert reader.post(url, _fields(reader_token, row, "3"), status=403).json["error"]
    assert reader.post(url, _fields(token, row, "3"), status=403).json["error"]  # the owner's token
    assert owner.post(url, _fields("forged", row, "3"), status=403).json["error"]  # CSRF
    assert owner.post(url, {k: v for k, v in _fields(token, row, "3").items() if k != "csrf_token"},
                      status=403).json["error"]
    assert site.written("accounts") == before


@pytest.mark.parametrize(
    ("position", "duration", "why"),
    [
        ("-1", "12.0", "seconds"), ("nan", "12.0", "seconds"), ("inf", "12.0", "seconds"),
        ("Infinity", "12.0", "seconds"), ("1e3", "12.0", "seconds"), ("7,5", "12.0", "seconds"),
        ("", "12.0", "missing"), ("9" * 12, "12.0", "seconds"), ("99999999", None, "range"),
        ("8", "7", "past the duration"), ("3", "0", "duration is out of range"),
        ("3", "nan", "seconds"), ("30", "40", "past the end of the file"),  # the file is 12 s long
    ],
)
def test_bad_values_are_a_400_and_write_nothing(
    site: Site, media: dict[str, Path], position: str, duration: str | None, why: str
) -> None:
    row = _audio(site, media)
    url = f"/content/{PAID}/files/{row['key']}/position"
    owner = logged_in(site, "owner")
    token, _ = _state(owner.get("/library"))
    before = site.written("accounts")
    answer = owner.post(url, _fields(token, row, position, duration), status=400)
    assert why in answer.json["error"], answer.json
    assert site.written("accounts") == before


def test_unknown_files_versions_and_files_that_do_not_play_are_refused(
    site: Site, media: dict[str, Path]
) -> None:
    row = _audio(site, media)
    owner = logged_in(site, "owner")
    token, _ = _state(owner.get("/library"))
    before = site.written("accounts")
    pdf_key = item_files.primary(site.item(PAID))["key"]
    for path in (
        f"/content/{PAID}/files/no-such-file/position", f"/content/no-such-item/files/{row['key']}/position",
        f"/content/{PAID}/files/{pdf_key}/position", "/content/Not%20an%20id/files/x/position",
    ):
        assert owner.get(path, status=404).json["error"], path
        assert owner.post(path, _fields(token, row, "3"), status=404).json["error"], path
    url = f"/content/{PAID}/files/{row['key']}/position"
    assert owner.post(url, {**_fields(token, row, "3"), "version": "0" * 16}, status=409).json["error"]
    assert "missing" in owner.post(url, {**_fields(token, row, "3"), "version": ""}, status=400).json["error"]
    owner.post(url, {**_fields(token, row, "3"), "position": "x" * 5000}, status=400)
    assert site.written("accounts") == before


def test_a_new_version_starts_at_zero_and_an_old_one_is_not_stored_under_it(
    site: Site, media: dict[str, Path]
) -> None:
    row = _audio(site, media)
    url = f"/content/{PAID}/files/{row['key']}/position"
    owner = logged_in(site, "owner")
    token, _ = _state(owner.get("/library"))
    owner.post(url, _fields(token, row, "6"))
    _item, new = item_file_changes.update_file(site.store, PAID, media["m4a-2"], name=str(row["key"]))
    assert owner.get(url).json["position"] == 0  # the new version: from the start
    _token, positions = _state(owner.get("/library"))
    assert positions == {}
    owner.post(url, _fields(token, row, "8"), status=409)  # a player of the old version, still open
    assert owner.post(url, _fields(token, new, "2")).json["version"] == new["version"]


def test_a_position_that_did_not_move_is_not_written_again(site: Site, media: dict[str, Path]) -> None:
    row = _audio(site, media)
    url = f"/content/{PAID}/files/{row['key']}/position"
    owner = logged_in(site, "owner")
    token, _ = _state(owner.get("/library"))
    first = owner.post(url, _fields(token, row, "5.0")).json
    before = site.written("accounts")
    assert owner.post(url, _fields(token, row, "5.6")).json == first  # under a second: kept as it was
    assert site.written("accounts") == before
    assert owner.post(url, _fields(token, row, "6.5")).json["position"] == 6.5
    assert site.written("accounts") != before


def test_a_beacon_body_without_a_duration_is_enough(site: Site, media: dict[str, Path]) -> None:
    """What `navigator.sendBeacon` sends from a page going away: an urlencoded body (no custom header
    can be set), the token in it; the duration may be unknown yet."""
    row = _audio(site, media)
    url = f"/content/{PAID}/files/{row['key']}/position"
    owner = logged_in(site, "owner")
    token, _ = _state(owner.get("/library"))
    body = "&".join(f"{k}={v}" for k, v in _fields(token, row, "4.2", None).items())
    beacon = {"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"}
    answer = owner.post(url, body, headers=beacon)
    assert answer.json["position"] == 4.2 and answer.json["duration"] is None
