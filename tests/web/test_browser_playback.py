"""Playback in the real browser (Debian's Chromium through Playwright) against one real `paidpdf serve`
for the module, at phone and desktop sizes.

- An owner plays an audio file, and a video, of an item from the library (HTML5 <audio>/<video>,
  Range answers from the owner-checked route), stops, and resumes where they stopped on ANOTHER device
  (a new browser context: no cookie and no storage in common, signed in as the same reader): the shop
  keeps the position (`/content/<id>/files/<key>/position`), not the browser. Leaving the page while it
  plays keeps the place too (the player's `pagehide` beacon).
- A visitor plays the public sample (audio and video) on the item page; the full file is for owners.
- Every audio and video format the shop sells plays in the library (MP3, M4A/AAC, Ogg/Opus, FLAC,
  WAV, MP4/H.264+AAC, WebM/VP8+Opus), so docs/formats.md can say so.
- axe-core finds no serious or critical problem on the library or the item page.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from paidpdf.accounts import users
from paidpdf.content import demo_media, item_file_changes
from paidpdf.ownership import library
from paidpdf.store import Store
from tests.browser import PAGE_SIZES, axe_violations, chromium
from tests.formats import files as media_files
from tests.web.site import PAID, PASSWORD, UNOWNED_PAID, Served

AUDIO = "walk-through.mp3"
VIDEO = "shaping-the-loaf.webm"
#: Where each device size stops, and where it is playing when it leaves the page (the files last 12 s).
STOPS = {"phone": (5.0, 9.0), "desktop": (7.0, 10.0)}


def _log_in(page: Any, url: str) -> None:
    page.goto(url + "/login")
    page.get_by_label("Email").fill("owner@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/library")


def _device(browser: Any, viewport: dict[str, int], served: Served) -> tuple[Any, Any]:
    """A new browser context (another device: its own cookies and storage), signed in as the owner."""
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15_000)
    _log_in(page, served.url)
    return context, page


def _play_to(page: Any, player: Any, seconds: float) -> None:
    """Play (muted: headless autoplay rules), then skip ahead to `seconds` while playing."""
    player.evaluate("el => { el.muted = true; el.play(); }")  # not awaited: a stuck play() fails below
    page.wait_for_function("el => el.currentTime > 0.3 && !el.paused", arg=player.element_handle())
    player.evaluate(f"el => {{ el.currentTime = {seconds}; }}")
    page.wait_for_function(f"el => el.currentTime >= {seconds}", arg=player.element_handle())


def _kept(context: Any, served: Served, position_url: str, near: float) -> float:
    """The position the shop keeps for the reader (asked with this device's cookie), once it is within
    half a second of `near` (the player's POST may still be on its way), else what it is after 5 s."""
    kept = -1.0
    for _ in range(50):
        kept = float(context.request.get(served.url + position_url).json()["position"])
        if abs(kept - near) < 0.5:
            break
        time.sleep(0.1)
    return kept


def _resumes_at(page: Any, selector: str, seconds: float) -> None:
    """The player starts at `seconds` (the shop's position): it seeks there once it knows the length."""
    player = page.locator(selector)
    page.wait_for_function(
        f"el => el.readyState >= 1 && Math.abs(el.currentTime - {seconds}) < 0.6", arg=player.element_handle()
    )
    assert float(player.get_attribute("data-restored") or "0") == pytest.approx(seconds, abs=0.1)


def _left_at(context: Any, page: Any, served: Served, player: Any, position_url: str, seconds: float) -> None:
    """Play past `seconds` and leave the page while it plays: the shop has the place (the beacon)."""
    _play_to(page, player, seconds)
    page.goto(served.url + "/")  # pagehide: navigator.sendBeacon
    assert _kept(context, served, position_url, seconds) == pytest.approx(seconds, abs=0.5)


def _owner_resumes_on_another_device(
    browser: Any, served: Served, tag: str, file_url: str, size: str, viewport: dict[str, int], *,
    leave: bool = True,
) -> None:
    """Stop on one device, resume on a second; with `leave`, the second leaves the page while playing and
    a third resumes there (the pagehide beacon; the audio test does it, the video test saves the time)."""
    selector = f'{tag}[src="{file_url}"]'
    stop = STOPS[size][0]
    first, page = _device(browser, viewport, served)
    ranges: list[int] = []
    page.on("response", lambda a: ranges.append(a.status) if a.url.endswith(file_url) else None)
    page.goto(served.url + "/library")
    player = page.locator(selector)
    assert player.is_visible(), size
    _play_to(page, player, stop)
    player.evaluate("el => el.pause()")  # the reader stops
    assert _kept(first, served, file_url + "/position", stop) == pytest.approx(stop, abs=0.5)
    assert 206 in ranges, (size, ranges)  # the browser played it with Range requests
    first.close()

    second, other = _device(browser, viewport, served)  # another device, signed in as the same reader
    assert other.evaluate("() => Object.keys(localStorage).length") == 0  # nothing local to resume from
    _resumes_at(other, selector, stop)
    if not leave:
        second.close()
        return
    left = STOPS[size][1]
    _left_at(second, other, served, other.locator(selector), file_url + "/position", left)
    second.close()

    third, back = _device(browser, viewport, served)  # and back on a third: where it was left
    _resumes_at(back, selector, left)
    third.close()


def _visitor_plays_the_sample(browser: Any, served: Served, tag: str, file_url: str, viewport: Any) -> None:
    visitor = browser.new_context(viewport=viewport)
    shown = visitor.new_page()
    shown.set_default_timeout(15_000)
    shown.goto(served.url + f"/content/{PAID}")
    sample = shown.locator(f'{tag}[src="{file_url}/sample"]')
    assert sample.is_visible()
    sample.evaluate("el => { el.muted = true; return el.play(); }")
    shown.wait_for_function("el => el.currentTime > 0.3", arg=sample.element_handle())
    assert shown.evaluate(f"fetch('{file_url}', {{redirect: 'manual'}}).then(r => r.type)") in (
        "opaqueredirect",
    )  # the full file: only for owners (the visitor is sent to log in)
    assert shown.evaluate(f"fetch('{file_url}/position').then(r => r.status)") == 401  # and its place
    visitor.close()


@pytest.mark.browser
def test_an_owner_plays_audio_and_resumes_on_another_device_and_a_visitor_plays_the_sample(
    served: Served, tmp_path: Path
) -> None:
    audio = demo_media.make_audio(tmp_path / AUDIO, 12.0)
    _item, row = item_file_changes.add_file(Store(served.data_dir), PAID, audio, sample_seconds=4)
    file_url = f"/content/{PAID}/files/{row['key']}"
    problems: dict[str, list[str]] = {}
    with chromium() as browser:
        for size, viewport in PAGE_SIZES.items():
            _owner_resumes_on_another_device(browser, served, "audio", file_url, size, viewport)
            _visitor_plays_the_sample(browser, served, "audio", file_url, viewport)
            for name, path, owner in (("library", "/library", True), ("item", f"/content/{PAID}", False)):
                checked = browser.new_context(viewport=viewport, bypass_csp=True)
                look = checked.new_page()
                look.set_default_timeout(15_000)
                if owner:
                    _log_in(look, served.url)
                look.goto(served.url + path)
                for v in axe_violations(look):
                    problems.setdefault(f"{name}-{size}", []).append(f"{v['id']}: {v['help']}")
                checked.close()
    assert problems == {}


@pytest.mark.browser
def test_an_owner_plays_a_video_and_resumes_on_another_device_and_a_visitor_plays_its_sample(
    served: Served, tmp_path: Path
) -> None:
    video = media_files.write_video(tmp_path / VIDEO, seconds=12.0, size=(160, 120))  # VP8 + Opus
    _item, row = item_file_changes.add_file(Store(served.data_dir), PAID, video, sample_seconds=4)
    file_url = f"/content/{PAID}/files/{row['key']}"
    with chromium() as browser:
        for size, viewport in PAGE_SIZES.items():
            _owner_resumes_on_another_device(browser, served, "video", file_url, size, viewport, leave=False)
            _visitor_plays_the_sample(browser, served, "video", file_url, viewport)


@pytest.mark.browser
def test_every_audio_and_video_format_the_shop_sells_plays_in_the_library(
    served: Served, tmp_path: Path
) -> None:
    store = Store(served.data_dir)
    library.grant(store, users.require_user(store, "owner@example.com")["id"], UNOWNED_PAID)
    urls: dict[str, str] = {}
    for fmt in ("mp3", "m4a", "ogg", "flac", "wav"):
        made = media_files.write_audio(tmp_path / f"tone.{fmt}", seconds=3.0)
        urls[fmt] = f'audio[src="/content/{UNOWNED_PAID}/files/{_added(store, made)}"]'
    for fmt in ("mp4", "webm"):  # H.264 + AAC, VP8 + Opus
        made = media_files.write_video(tmp_path / f"clip.{fmt}", seconds=3.0, size=(160, 120))
        urls[fmt] = f'video[src="/content/{UNOWNED_PAID}/files/{_added(store, made)}"]'
    with chromium() as browser:
        context, page = _device(browser, PAGE_SIZES["desktop"], served)
        played = {}
        for fmt, selector in urls.items():
            player = page.locator(selector)
            player.evaluate("el => { el.muted = true; return el.play(); }")
            page.wait_for_function("el => el.currentTime > 0.3 || el.error", arg=player.element_handle())
            played[fmt] = player.evaluate("el => el.error ? 'error ' + el.error.code : 'played'")
            player.evaluate("el => el.pause()")
        context.close()
    assert played == dict.fromkeys(urls, "played")


def _added(store: Store, path: Path) -> str:
    _item, row = item_file_changes.add_file(store, UNOWNED_PAID, path, sample_seconds=0)
    return str(row["key"])
