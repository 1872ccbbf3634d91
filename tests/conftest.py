"""Shared fixtures: a real data folder in tmp_path, settings pointing at it, the store and the CLI.

Areas keep their own fixtures in `tests/<area>/conftest.py`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from paidpdf.admin import build_app
from paidpdf.config import Settings
from paidpdf.store import DataStore, Store, open_store

# Cheap argon2id parameters for every test (and the servers tests start); one accounts test asserts the
# memory-hard production parameters that apply when this variable is unset.
os.environ.setdefault("PAIDPDF_ARGON2_PROFILE", "test")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    return folder


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return Settings.from_env({}, data_dir=data_dir)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A module that sets `BOTH_BACKENDS = True` runs each test that uses a shop (`store` here,
    `site` in tests/web, `shop` in tests/payments) on the data folder and on PostgreSQL."""
    if "backend" in metafunc.fixturenames and getattr(metafunc.module, "BOTH_BACKENDS", False):
        metafunc.parametrize("backend", ["embedded", "postgresql"], indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """Where the test's shop keeps its documents: "embedded" unless the module runs on both."""
    return str(getattr(request, "param", "embedded"))


@pytest.fixture
def store(data_dir: Path, backend: str, request: pytest.FixtureRequest) -> Iterator[DataStore]:
    if backend == "embedded":
        yield Store(data_dir)
        return
    pg = open_store(data_dir, request.getfixturevalue("postgres_url"))
    try:
        yield pg
    finally:
        pg.close()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """One throwaway PostgreSQL cluster for the session (see `paidpdf/testing/postgres_cluster.py`)."""
    import tempfile

    from paidpdf.testing.postgres_cluster import postgres_cluster

    with postgres_cluster(Path(tempfile.mkdtemp(prefix="paidpdf-pg-"))) as url:
        yield url


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """One SeaweedFS S3 gateway for the session (see `paidpdf/testing/seaweed.py`)."""
    import tempfile

    from paidpdf.testing.seaweed import seaweed

    with seaweed(Path(tempfile.mkdtemp(prefix="paidpdf-s3-"))) as url:
        yield url


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A fresh database of its own for one test."""
    from paidpdf.testing.postgres_cluster import new_database

    return new_database(postgres_server)


@pytest.fixture
def cli(data_dir: Path) -> Callable[..., Result]:
    """Run `paidpdf --data <tmp> ARGS...` in-process; `result.stdout` / `result.stderr` are separate."""

    def run(*args: str, input: str | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(build_app(), ["--data", str(data_dir), *args], input=input, env={})

    return run
