"""Stripe's bracket form encoding: whatever the real library encodes, the stand-in decodes back."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stripe._encode import _api_encode  # the exact encoder StripeClient uses for v1 requests

from paidpdf.stripe_local import ApiError
from paidpdf.stripe_local.formdata import parse_query

keys = st.text(
    alphabet=st.characters(blacklist_characters="[]&=", blacklist_categories=("Cs",)), min_size=1, max_size=8
).filter(lambda k: not k.isdigit())
scalars = st.text(max_size=12)
values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, min_size=1, max_size=3) | st.dictionaries(keys, inner, min_size=1, max_size=3)
    ),
    max_leaves=12,
)


def _encode(params: dict[str, Any]) -> str:
    return urlencode(list(_api_encode(params))).replace("%5B", "[").replace("%5D", "]")


@given(st.dictionaries(keys, values, min_size=1, max_size=4))
def test_round_trip_with_the_stripe_encoder(params: dict[str, Any]) -> None:
    assert parse_query(_encode(params)) == params


def test_checkout_shape_and_empty_brackets() -> None:
    text = (
        "line_items[0][price_data][unit_amount]=1999&line_items[0][quantity]=1"
        "&line_items[1][quantity]=2&expand[]=line_items&expand[]=payment_intent&metadata[order]=ord_1"
    )
    assert parse_query(text) == {
        "line_items": [{"price_data": {"unit_amount": "1999"}, "quantity": "1"}, {"quantity": "2"}],
        "expand": ["line_items", "payment_intent"],
        "metadata": {"order": "ord_1"},
    }


@pytest.mark.parametrize("text", ["a=1&a[b]=2", "a[b]=2&a=1", "a]=1", "a[][b]=1"])
def test_contradictory_or_malformed_keys_are_400(text: str) -> None:
    with pytest.raises(ApiError) as caught:
        parse_query(text)
    assert caught.value.status == 400
