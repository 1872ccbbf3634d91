"""A module that says `BOTH_BACKENDS = True` promises that its tests run on the data folder AND on
PostgreSQL. This plugin (registered from tests/conftest.py) makes that promise checkable: collection fails,
naming the test, when a test in such a module

- is not parametrized over `backend` with both "embedded" and "postgresql" (it builds its own site or store,
  or touches no shop at all), and
- is not marked `@pytest.mark.embedded_only(reason="...")` with a non-empty reason (a test of the data
  folder's own failure modes: a damaged file, a missing lock).

Why at collection: a test that quietly runs on one backend only looks, in the module and in the run's
summary, exactly like one that runs on both; only the collected items tell them apart.
"""

from __future__ import annotations

import pytest

BACKENDS = ("embedded", "postgresql")

MARKER = "embedded_only"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f'{MARKER}(reason="..."): in a BOTH_BACKENDS module, a test of the data folder\'s own failure modes '
        "(damaged files); runs on the data folder alone, and must say why",
    )


def embedded_only_reason(item: pytest.Item) -> str | None:
    """The reason the item is marked `embedded_only`, "" if marked without one, None if not marked."""
    marker = item.get_closest_marker(MARKER)
    if marker is None:
        return None
    reason = marker.kwargs.get("reason", marker.args[0] if marker.args else "")
    return str(reason).strip()


#: test (its node id without parameters) -> the backends its parametrization runs it on; recorded while
#: tests are generated, so that `-k` or a node id that picks one backend does not look like a broken promise.
_RUNS_ON: dict[str, set[str]] = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_generate_tests(metafunc: pytest.Metafunc):  # type: ignore[no-untyped-def]
    yield
    calls = getattr(metafunc, "_calls", [])
    _RUNS_ON[metafunc.definition.nodeid] = {str(c.params["backend"]) for c in calls if "backend" in c.params}


def problems(items: list[pytest.Item]) -> list[str]:
    """One line per test of a BOTH_BACKENDS module that does not keep the module's promise."""
    found: list[str] = []
    done: set[str] = set()
    for item in items:
        module = getattr(item, "module", None)
        if not isinstance(item, pytest.Function) or getattr(module, "BOTH_BACKENDS", False) is not True:
            continue
        name = item.nodeid.split("[", 1)[0]
        if name in done:
            continue
        done.add(name)
        reason = embedded_only_reason(item)
        backends = _RUNS_ON.get(name, set())
        if reason == "":
            found.append(f'{name}: marked embedded_only without a reason; write embedded_only(reason="...")')
        elif reason is None and not set(BACKENDS) <= backends:
            runs_on = ", ".join(sorted(backends)) or "no `backend` parameter"
            found.append(
                f"{name}: the module says BOTH_BACKENDS = True but this test runs on {runs_on} only; "
                "use the shared fixtures (backend, store, settings, cli, site, shop) or mark it "
                '@pytest.mark.embedded_only(reason="...")'
            )
    return found


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    found = problems(items)
    if found:
        raise pytest.UsageError("tests that do not run on both backends:\n  " + "\n  ".join(found))
