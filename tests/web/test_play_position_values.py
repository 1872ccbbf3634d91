"""The values a player may send as a position (`ownership.play_positions`): any text is either plain
decimal seconds that are finite and bounded, or one `InvalidInput`; never another exception, never
NaN or infinity. No shop involved (the endpoint's rules on both backends: test_play_positions.py)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paidpdf.errors import InvalidInput
from paidpdf.ownership import play_positions


@given(st.text(max_size=40))
def test_any_text_is_finite_bounded_seconds_or_one_refusal(text: str) -> None:
    try:
        value = play_positions.parse_seconds(text, "position")
    except InvalidInput as exc:
        assert exc.message.startswith("position")
        return
    assert value is None if text == "" else (value is not None and math.isfinite(value))
    assert value is None or 0 <= value <= play_positions.MAX_SECONDS


@given(st.floats(allow_nan=True, allow_infinity=True), st.one_of(st.none(), st.floats()),
       st.one_of(st.none(), st.integers(min_value=-5, max_value=10**9)))
def test_checked_values_keep_zero_le_position_le_duration(
    position: float, duration: float | None, known_ms: int | None
) -> None:
    try:
        kept, length = play_positions.checked(position, duration, known_ms)
    except InvalidInput:
        return
    assert math.isfinite(kept) and 0 <= kept <= play_positions.MAX_SECONDS
    assert length is None or (math.isfinite(length) and kept <= length)
    if known_ms and known_ms > 0:
        assert kept <= known_ms / 1000 + play_positions.SLACK_SECONDS + 0.05


@pytest.mark.parametrize("text", ["nan", "inf", "-0", "+1", "1e2", "0x10", "1_000", " 1", "1.", ".5", "٣"])
def test_what_is_not_plain_decimal_seconds_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        play_positions.parse_seconds(text, "position")
