"""Shared fixtures: a real data folder in tmp_path, settings pointing at it, the store and the CLI.

Areas keep their own fixtures in `tests/<area>/conftest.py`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from paidpdf.config import Settings
from paidpdf.store import DataStore, Store
from tests import parallel
from tests.cli_app import paidpdf_app

# Cheap argon2id parameters for every test (and the servers tests start); one accounts test asserts the
# memory-hard production parameters that apply when this variable is unset.
os.environ.setdefault("PAIDPDF_ARGON2_PROFILE", "test")
pytest_plugins = ["tests.backend_check", "tests.fresh_stores"]  # the BOTH_BACKENDS check; fresh_store


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one worker more than the cores, since many tests spend their time waiting on
    subprocesses, servers and fsync rather than on the CPU."""
    return len(os.sched_getaffinity(0)) + 1


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: object) -> None:
    """pytest-xdist's controller: every worker gets the run's lock folder (see tests/parallel.py)."""
    parallel.configure_node(node)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> object:
    """Each test runs under the run's shared lock; a `solo` test (it judges wall-clock time) alone."""
    with parallel.turn(item.config, item):
        return (yield)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    """A `solo` test's teardown no longer needs the machine to itself (see tests/parallel.py)."""
    parallel.teardown_begins(item)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under xdist, long tests start first and `solo` ones come last (see tests/parallel.py)."""
    parallel.order(config, items)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    return folder


#: `PAIDPDF_SECRET_KEY` for shops on PostgreSQL (required there: several servers share it).
PG_SECRET = "a-secret-key-for-the-postgresql-site-0123456789"


@pytest.fixture
def backend_env(backend: str, request: pytest.FixtureRequest) -> dict[str, str]:
    """The environment that points a shop at the test's backend: nothing for the data folder, a fresh
    database (and the secret key PostgreSQL requires) otherwise."""
    if backend == "embedded":
        return {}
    return {"PAIDPDF_DATABASE_URL": request.getfixturevalue("postgres_url"), "PAIDPDF_SECRET_KEY": PG_SECRET}


@pytest.fixture
def settings(data_dir: Path, backend_env: dict[str, str]) -> Settings:
    return Settings.from_env(backend_env, data_dir=data_dir)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A module that sets `BOTH_BACKENDS = True` runs each test that uses a shop (`store` here,
    `site` in tests/web, `shop` in tests/payments) on the data folder and on PostgreSQL; a test marked
    `embedded_only` (a damaged data file) runs on the data folder alone."""
    both = getattr(metafunc.module, "BOTH_BACKENDS", False)
    embedded_only = metafunc.definition.get_closest_marker("embedded_only") is not None
    if "backend" in metafunc.fixturenames and both and not embedded_only:
        metafunc.parametrize("backend", ["embedded", "postgresql"], indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """Where the test's shop keeps its documents: "embedded" unless the module runs on both."""
    return str(getattr(request, "param", "embedded"))


@pytest.fixture
def store(data_dir: Path, backend: str, settings: Settings) -> Iterator[DataStore]:
    if backend == "embedded":
        yield Store(data_dir)
        return
    pg = settings.open_store()
    try:
        yield pg
    finally:
        pg.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """One throwaway PostgreSQL cluster for the session, in memory where the machine allows (see
    `paidpdf/testing/postgres_cluster.py`)."""
    from paidpdf.testing.postgres_cluster import postgres_cluster, scratch_folder

    with postgres_cluster(scratch_folder("paidpdf-pg-")) as url:
        yield url


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """One SeaweedFS S3 gateway for the session (see `paidpdf/testing/seaweed.py`)."""
    import tempfile

    from paidpdf.testing.seaweed import seaweed

    folder = Path(tempfile.mkdtemp(prefix="paidpdf-s3-"))
    try:
        with seaweed(folder) as url:
            yield url
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh database of its own for one test, dropped after it (the cluster lives in memory)."""
    from paidpdf.testing.postgres_cluster import drop_database, new_database

    url = new_database(postgres_server)
    yield url
    drop_database(url)


@pytest.fixture
def cli(data_dir: Path, backend_env: dict[str, str]) -> Callable[..., Result]:
    """Run `paidpdf --data <tmp> ARGS...` in-process, on the test's backend, with `env` added to its
    environment; `result.stdout` / `result.stderr` are separate."""

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(
            paidpdf_app(), ["--data", str(data_dir), *args], input=input, env={**backend_env, **(env or {})}
        )

    return run
