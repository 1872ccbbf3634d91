"""Content files, covers and previews in an S3-compatible object store, for shops on several servers.

With `PAIDPDF_FILES_URL=s3://bucket/prefix` (and `PAIDPDF_S3_ENDPOINT_URL` for stores other than
AWS; credentials from the standard AWS variables) every file the shop stores also goes to
`<prefix>/content/<sha256>` or `<prefix>/covers/<name>` in the bucket, through boto3, when it is
stored; the data folder keeps the local copy it was written through (the same checks, hashing and
atomic placement as before). Any server can then serve any file: a download, after the entitlement
check, is either a 303 to a presigned GET valid for 5 minutes with the right Content-Disposition (the
bytes never pass through Python; `PAIDPDF_S3_DOWNLOADS=redirect`, the default) or streamed through the
shop with the same Range semantics as local files (`proxy`).

Object names are built only from a validated SHA-256 or cover name (see `blobs`), never from a request.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from paidpdf.errors import ConfigError, NotFound, StorageError, StorageUnavailable

#: How long a presigned download link works (the issue: at most 5 minutes).
PRESIGNED_SECONDS = 300
#: A signed link is handed out again for this long (so it still works 4 minutes after), per process.
REUSE_SIGNED_SECONDS = 60
SIGNED_KEPT = 1024
CHUNK = 1024 * 1024
MODES = ("redirect", "proxy")


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str

    @classmethod
    def parse(cls, url: str) -> S3Location:
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ConfigError(f"PAIDPDF_FILES_URL must look like s3://bucket/prefix, got {url!r}")
        return cls(parts.netloc, parts.path.strip("/"))

    def key(self, rel: str) -> str:
        return f"{self.prefix}/{rel}" if self.prefix else rel

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")


class ObjectFiles:
    """The bucket a shop's files are mirrored to and served from."""

    def __init__(self, url: str, *, endpoint_url: str | None = None, downloads: str = "redirect") -> None:
        import boto3
        from botocore.config import Config

        if downloads not in MODES:
            raise ConfigError(f"PAIDPDF_S3_DOWNLOADS must be one of {', '.join(MODES)}, got {downloads!r}")
        self.location = S3Location.parse(url)
        self.downloads = downloads
        config = Config(
            signature_version="s3v4",  # presigned links say how long they work (X-Amz-Expires)
            retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=30,
        )
        self._client: Any = boto3.client("s3", endpoint_url=endpoint_url, config=config)
        self._signed: OrderedDict[tuple[str, str, str], tuple[float, str]] = OrderedDict()
        self._signed_lock = threading.Lock()

    def describe(self) -> str:
        return self.location.describe()

    def _call(self, what: str, method: str, **params: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

        try:
            return getattr(self._client, method)(Bucket=self.location.bucket, **params)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("404", "NoSuchKey", "NotFound"):
                raise NotFound(f"no such file in {self.describe()}") from None
            raise StorageError(f"{what} in {self.describe()} failed: {code or exc}") from None
        except EndpointConnectionError:
            raise StorageUnavailable(f"the file store {self.describe()} cannot be reached") from None
        except BotoCoreError as exc:
            raise StorageError(f"{what} in {self.describe()} failed: {exc}") from None

    def ensure_bucket(self) -> None:
        """Create the bucket when it is missing (a fresh store; `paidpdf db init`)."""
        try:
            self._call("checking the bucket", "head_bucket")
        except NotFound:
            self._call("creating the bucket", "create_bucket")

    def put(self, rel: str, path: Path, content_type: str) -> None:
        """Upload a stored file (`content/<sha256>`, `covers/<name>`) unless an equal object exists."""
        size = path.stat().st_size
        try:
            found = self._call("looking up", "head_object", Key=self.location.key(rel))
            if int(found.get("ContentLength", -1)) == size:
                return  # content-addressed: same name and size is the same file
        except NotFound:
            pass
        with path.open("rb") as body:
            self._call("uploading", "put_object", Key=self.location.key(rel), Body=body,
                       ContentType=content_type, ContentLength=size)

    def size(self, rel: str) -> int:
        found = self._call("looking up", "head_object", Key=self.location.key(rel))
        return int(found["ContentLength"])

    def read(self, rel: str, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        """The object's bytes from `start` (`length` of them, or to the end), a chunk at a time."""
        params: dict[str, Any] = {"Key": self.location.key(rel)}
        if start or length is not None:
            end = "" if length is None else str(start + length - 1)
            params["Range"] = f"bytes={start}-{end}"
        body = self._call("reading", "get_object", **params)["Body"]
        try:
            yield from body.iter_chunks(CHUNK)
        finally:
            body.close()

    def open_range(self, rel: str, start: int, length: int) -> Blocks:
        """`length` bytes of the object from `start`, asked for now (a missing object is `NotFound`
        here, before an answer has begun), then handed on a chunk at a time."""
        params = {"Key": self.location.key(rel), "Range": f"bytes={start}-{start + length - 1}"}
        return Blocks(self._call("reading", "get_object", **params)["Body"])

    def presigned(self, rel: str, *, disposition: str, content_type: str) -> str:
        """A GET link valid for `PRESIGNED_SECONDS`, answering with these headers.

        Signing costs about half a millisecond of Python per download, so a link is reused for
        `REUSE_SIGNED_SECONDS`: every reader it is handed to still has at least four minutes to start.
        It names no reader (the shop checked entitlement before handing it out), so two owners of the
        same file getting the same link is the same as each getting their own."""
        key = (rel, disposition, content_type)
        now = time.monotonic()
        with self._signed_lock:
            found = self._signed.get(key)
            if found is not None and now - found[0] < REUSE_SIGNED_SECONDS:
                return found[1]
        url = self._sign(rel, disposition, content_type)
        with self._signed_lock:
            self._signed[key] = (now, url)
            self._signed.move_to_end(key)
            while len(self._signed) > SIGNED_KEPT:
                self._signed.popitem(last=False)
        return url

    def _sign(self, rel: str, disposition: str, content_type: str) -> str:
        params = {
            "Bucket": self.location.bucket, "Key": self.location.key(rel),
            "ResponseContentDisposition": disposition, "ResponseContentType": content_type,
        }
        url: str = self._client.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=PRESIGNED_SECONDS
        )
        return url

    def check(self) -> None:
        """`StorageUnavailable`/`StorageError` unless the bucket answers now (`/healthz`)."""
        self._call("checking the bucket", "head_bucket")


class Blocks:
    """An object's body as chunks; `close` gives its connection back even if it was never read."""

    def __init__(self, body: Any) -> None:
        self._body = body
        self._chunks: Iterator[bytes] = body.iter_chunks(CHUNK)

    def __iter__(self) -> Blocks:
        return self

    def __next__(self) -> bytes:
        return next(self._chunks)

    def close(self) -> None:
        self._body.close()


def local_path(root: Path, rel: str) -> Path:
    """The data folder's copy of `content/<sha256>` or `covers/<name>` (names validated by `blobs`)."""
    from paidpdf.store.files import blobs

    folder, name = rel.split("/", 1)
    return blobs.content_path(root, name) if folder == blobs.CONTENT_DIR else blobs.cover_path(root, name)


def content_type_of(rel: str) -> str:
    if rel.startswith("content/"):
        return "application/pdf"
    return {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}.get(rel.rsplit(".", 1)[-1], "")


def publish(store: Any, names: list[str]) -> None:
    """Mirror files the shop just stored (`content/<sha256>`, `covers/<name>`) to its object store, if it
    has one; called before the catalog row naming them is written, so no server ever lists a file the
    bucket does not have yet."""
    objects: ObjectFiles | None = getattr(store, "objects", None)
    if objects is None:
        return
    for rel in dict.fromkeys(names):
        objects.put(rel, local_path(store.root, rel), content_type_of(rel))


def hydrate(store: Any, names: list[str]) -> int:
    """Fetch into the data folder every named file it lacks (a backup or `db check` on a server that
    did not add the content works on local copies); returns how many were fetched."""
    objects: ObjectFiles | None = getattr(store, "objects", None)
    if objects is None:
        return 0
    from paidpdf.store.files import blobs

    fetched = 0
    for rel in dict.fromkeys(names):
        if local_path(store.root, rel).is_file():
            continue
        blobs.store_fetched(store.root, rel, objects.read(rel))
        fetched += 1
    return fetched
