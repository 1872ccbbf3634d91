"""One download answer's account with the download log and the item's download limit.

`admit` runs before any header is set (`source_answers.decide`, or before a redirect to the object
store): an answer without bytes is refused once every use is spent; an answer with bytes reserves
them first (`download_log.reserve`: one atomic store unit), so the limit holds against parallel
requests. `finished` runs once the body is over, often on the server's I/O loop, and only queues what
it leaves behind for the recorder's thread (`download_records`): the log record of a completed
download, the give-back of what an answer that stopped early did not send. `abandon` gives a
reservation back when the answer failed before its body was handed to the server.
"""

from __future__ import annotations

from paidpdf.ownership import download_budget, download_log
from paidpdf.store import SALES, Doc
from paidpdf.web.context import WebContext
from paidpdf.web.source_answers import Body


class Ledger:
    def __init__(
        self, web: WebContext, item: Doc, user_id: str, version: int, client: str, file: str = ""
    ) -> None:
        self._web = web
        self._file = file
        self._item = item
        self._user_id = user_id
        self._version = version
        self._client = client
        self._reservation: download_log.Reservation | None = None
        self._body: Body | None = None
        self._size = 0
        self._over = False

    def admit(self, body: Body | None, size: int) -> None:
        """Refuse (`DownloadLimitReached`) or reserve `body`'s bytes of a `size`-byte copy."""
        if download_budget.limit_of(self._item) is None:
            return  # no limit: nothing to check or reserve, and no store access
        if body is None:
            download_log.check(self._web.store.view(SALES), self._item, self._user_id, self._version, size)
            return
        self._reservation = download_log.reserve(
            self._web.store, self._item, self._user_id, self._version, body.length, size
        )
        self._body, self._size = body, size

    def finished(self, body: Body, size: int, sent: int) -> None:
        """The body is over with `sent` of its bytes handed on (once per answer)."""
        if self._over:
            return
        self._over = True
        self._web.download_recorder.ended(download_log.Delivery(
            self._user_id, self._item["id"], self._version, body.start, body.length, size, self._client,
            sent=sent, reservation=self._reservation, file=self._file,
        ))

    def abandon(self) -> None:
        """The answer failed before its body was handed on: nothing was sent."""
        if self._body is not None and not self._over:
            self.finished(self._body, self._size, 0)
