"""A bought copy of a stamped item in every format that is not a PDF (EPUB, MP3, M4A, OGG, FLAC, WAV,
ZIP, MP4, WebM), on both backends: still a valid file of its format (checked again by
`formats.check_file`), names the order, `orders trace` finds the order and the buyer, a resume
(Range) joins the whole download byte for byte and the ETag is stable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paidpdf.content import formats
from paidpdf.content.item_options import set_options
from tests.cli_app import paidpdf_app
from tests.payments.shop import BUYER, PAID, Shop
from tests.stamp_media import FORMATS, add_all, make_media

BOTH_BACKENDS = True


@pytest.fixture(scope="module")
def stamp_media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_media(tmp_path_factory.mktemp("stamp-media"))


def test_every_format_is_stamped_for_its_buyer_valid_resumable_and_traced(
    shop: Shop, stamp_media: dict[str, Path], tmp_path: Path
) -> None:
    keys = add_all(shop.store, PAID, stamp_media)
    set_options(shop.store, PAID, stamp=True)
    shop.login()
    order, session_id = shop.buy()
    shop.sl.pay(session_id)
    shop.app.get(f"/checkout/success?session_id={session_id}")
    for fmt in FORMATS:
        url = f"/content/{PAID}/files/{keys[fmt]}"
        whole = shop.app.get(url)
        body = whole.body
        copy = tmp_path / f"leak-{fmt}.{fmt}"
        copy.write_bytes(body)
        assert body != stamp_media[fmt].read_bytes(), fmt
        assert formats.check_file(copy, copy.name).format == fmt  # still a valid file of its format
        assert f"order {order['id']}".encode() in body or (fmt == "zip" and order["id"].encode() in body)
        run = CliRunner().invoke(
            paidpdf_app(), ["--data", str(shop.data_dir), "orders", "trace", str(copy), "--json"],
            env=shop.cli_env(),
        )
        assert run.exit_code == 0, (fmt, run.stderr)
        traced = json.loads(run.stdout)
        assert (traced["order"], traced["buyer"], traced["item"]) == (order["id"], BUYER, PAID)
        assert traced["identifier"].encode() in body
        etag = whole.headers["ETag"]
        again = shop.app.get(url)
        assert again.body == body and again.headers["ETag"] == etag, fmt  # same owner, same bytes
        assert int(whole.headers["Content-Length"]) == len(body)
        for start in (1, len(body) // 3, len(body) - 40):
            part = shop.app.get(url, headers={"Range": f"bytes={start}-", "If-Range": etag}, status=206)
            assert part.body == body[start:], (fmt, start)
        assert shop.app.get(url, headers={"Range": "bytes=10-99"}, status=206).body == body[10:100]
        shop.app.get(url, headers={"If-None-Match": etag}, status=304)
