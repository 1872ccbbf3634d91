"""What an owner's copy says, as the fixed-width bytes each format's stamp slot takes.

Every format keeps a slot of a fixed number of bytes in its template (`templates`), so an owner's
copy has the template's length whoever they are: the text is padded with spaces, and the email is
shortened when the line would not fit (the identifier never is, it is what `orders trace` reads).
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

#: Bytes of the "Licensed to … · order … · <identifier>" line in chapters, tags and metadata.
LINE_BYTES = 240
#: Bytes of a slot that holds the identifier alone (an EPUB's package metadata).
IDENT_BYTES = 100


@dataclass(frozen=True)
class Stamp:
    """Who an owner's copy names: their email, the order that bought it (None: free or granted),
    `ref` (that order's id, else their account id) and the keyed identifier (`stamping.identifier`)."""

    email: str
    order_id: str | None
    ref: str
    ident: str

    def line(self, width: int = LINE_BYTES, *, xml: bool = False) -> bytes:
        """`Licensed to <email> · order <id> · <identifier>` as UTF-8, exactly `width` bytes; `xml`:
        escaped for an XML text node (the escaping is counted in the width)."""
        tail = f" · order {self.order_id} · {self.ident}" if self.order_id else f" · {self.ident}"
        shown = self.email
        while True:
            text = f"Licensed to {shown}{tail}"
            data = (escape(text) if xml else text).encode("utf-8")
            if len(data) <= width or not shown:
                break
            shown = shown[:-2] + "…" if len(shown) > 1 else ""
        if len(data) > width:
            data = self.ident_bytes(width)
        return data.ljust(width, b" ")

    def ident_bytes(self, width: int = IDENT_BYTES) -> bytes:
        """The identifier alone, padded to `width` bytes."""
        data = self.ident.encode("ascii")
        if len(data) > width:
            raise ValueError("the identifier is longer than its slot")
        return data.ljust(width, b" ")

    def license_text(self) -> bytes:
        """The `LICENSE-<order>.txt` added to a stamped ZIP."""
        order = f"Order: {self.order_id}\n" if self.order_id else ""
        return (
            f"Licensed to {self.email}\n{order}Identifier: {self.ident}\n\n"
            "This copy was delivered to the buyer named above for their own use.\n"
        ).encode()
