"""Playback in the real browser (Debian's Chromium through Playwright) against a real `paidpdf serve`,
at phone and desktop sizes: an owner plays an audio file of an item from the library (HTML5 <audio>,
Range answers from the owner-checked route), stops, comes back and resumes where they stopped (the
shop's player script, allowed by the library page's own CSP); a visitor plays the public sample on
the item page. axe-core finds no serious or critical problem on either page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from paidpdf.content import demo_media, item_file_changes
from paidpdf.store import Store
from tests.browser import PAGE_SIZES, axe_violations, chromium
from tests.web.site import PAID, PASSWORD, Served

AUDIO = "walk-through.mp3"


def _log_in(page: Any, url: str) -> None:
    page.goto(url + "/login")
    page.get_by_label("Email").fill("owner@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/library")


@pytest.mark.browser
def test_an_owner_plays_audio_and_resumes_and_a_visitor_plays_the_sample(
    served: Served, tmp_path: Path
) -> None:
    audio = demo_media.make_audio(tmp_path / AUDIO, 12.0)
    _item, row = item_file_changes.add_file(Store(served.data_dir), PAID, audio, sample_seconds=4)
    file_url = f"/content/{PAID}/files/{row['key']}"
    sample_url = f"{file_url}/sample"
    problems: dict[str, list[str]] = {}
    with chromium() as browser:
        for size, viewport in PAGE_SIZES.items():
            context = browser.new_context(viewport=viewport)
            page = context.new_page()
            page.set_default_timeout(15_000)
            answers: list[int] = []

            def seen(answer: Any, into: list[int] = answers) -> None:
                if answer.url.endswith(file_url):
                    into.append(answer.status)

            page.on("response", seen)
            _log_in(page, served.url)
            player = page.locator(f'audio[src="{file_url}"]')
            assert player.is_visible(), size
            player.evaluate("el => { el.muted = true; return el.play(); }")
            page.wait_for_function("el => el.currentTime > 0.3 && !el.paused", arg=player.element_handle())
            player.evaluate("el => { el.currentTime = 7; }")  # the reader skips ahead, then stops
            page.wait_for_function("el => el.currentTime >= 7", arg=player.element_handle())
            player.evaluate("el => el.pause()")
            stored = page.wait_for_function(
                "() => Object.keys(localStorage).filter(k => k.startsWith('paidpdf:position:'))"
                ".map(k => localStorage.getItem(k)).find(v => Number(v) >= 7)"
            ).json_value()
            assert int(stored) >= 7, (size, stored)
            assert 206 in answers, (size, answers)  # the browser played it with Range requests

            page.goto(served.url + "/library")  # come back later: it starts where it stopped
            again = page.locator(f'audio[src="{file_url}"]')
            resumed = "el => el.readyState >= 1 && el.currentTime >= 7"
            page.wait_for_function(resumed, arg=again.element_handle())
            assert again.get_attribute("data-restored") == stored
            context.close()

            visitor = browser.new_context(viewport=viewport)
            shown = visitor.new_page()
            shown.set_default_timeout(15_000)
            shown.goto(served.url + f"/content/{PAID}")
            sample = shown.locator(f'audio[src="{sample_url}"]')
            assert sample.is_visible(), size
            sample.evaluate("el => { el.muted = true; return el.play(); }")
            shown.wait_for_function("el => el.currentTime > 0.3", arg=sample.element_handle())
            assert shown.evaluate(f"fetch('{file_url}', {{redirect: 'manual'}}).then(r => r.type)") in (
                "opaqueredirect",
            )  # the full file: only for owners (the visitor is sent to log in)
            visitor.close()

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
