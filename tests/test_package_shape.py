"""The package's shape as the next engineer and an installer see it: no import circles (every import
counted, those inside functions too), `paidpdf --help` loads no web or storage-engine module, a server
worker at idle loads no library it does not use yet, and an installed package puts nothing but `paidpdf`
into site-packages."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

from paidpdf.testing.serve_process import REPO

PACKAGE = REPO / "paidpdf"


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports_of(path: Path, name: str, modules: set[str]) -> set[str]:
    """The package's own modules one module imports, at its top or inside its functions."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = name.split(".") if is_package else name.split(".")[:-1]
                here = here[: len(here) - (node.level - 1)]
                base = ".".join([*here, base] if base else here)
            targets = [f"{base}.{alias.name}" for alias in node.names]
        for target in targets:
            while target and target not in modules:  # `from pkg import name` names a module or an attribute
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _import_graph() -> dict[str, set[str]]:
    paths = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    modules = set(paths)
    return {name: _imports_of(path, name, modules) for name, path in paths.items()}


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_walk_finds_a_circle_when_there_is_one() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _circles(graph) == [["a", "b", "c"]]


def test_no_module_of_the_package_imports_itself_through_others() -> None:
    graph = _import_graph()
    assert graph.get("paidpdf.admin.main")  # the walk sees the package
    assert _circles(graph) == []


#: What `paidpdf --help` must not load: the web app, the stand-in, the storage engines and their drivers.
ENGINE_PREFIXES = (
    "paidpdf.web", "paidpdf.stripe_local", "paidpdf.store.embedded", "paidpdf.store.postgres",
    "paidpdf.store.backends", "bottle", "waitress", "jinja2", "tinydb", "psycopg", "boto3", "stripe",
    "filelock",
)


def test_the_root_help_loads_no_web_or_storage_engine_module() -> None:
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "paidpdf", "--help"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )
    assert run.returncode == 0, run.stderr
    loaded = [line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines() if "|" in line]
    assert "paidpdf.admin.content" in loaded  # command modules are plain imports now
    assert [m for m in loaded if m.startswith(ENGINE_PREFIXES)] == []
    for command in ("orders", "users", "content", "bundles", "promos", "db", "shop", "demo", "serve"):
        assert f" {command} " in run.stdout, command


#: What a `serve --workers` worker does not need until a request does (issue 22: RSS per worker at idle):
#: the CLI, Stripe and its HTTP libraries (Buy, webhooks), feeds' XML, license sealing, PDF and media
#: tools (uploads, stamped downloads), the S3 and PostgreSQL drivers on an embedded shop.
IDLE_WORKER_SKIPS = (
    "typer", "rich", "paidpdf.admin.main", "stripe", "aiohttp", "requests", "lxml", "feedgen",
    "cryptography", "pypdf", "av", "fpdf", "boto3", "botocore", "psycopg",
)


def test_a_worker_at_idle_loads_no_library_it_does_not_use(tmp_path: Path) -> None:
    """A worker's imports and its site, built on an embedded shop, as `serve_worker` does."""
    code = (
        "import sys; from pathlib import Path; import paidpdf.admin.serve_worker; "
        "from paidpdf.config import Settings; from paidpdf.web import create_app; "
        f"settings = Settings.from_env({{'PAIDPDF_SECRET_KEY': 'k' * 40}}, data_dir=Path({str(tmp_path)!r}));"
        "create_app(settings); "
        "print(' '.join(sorted(sys.modules)))"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60,
                         env={"PATH": "/usr/bin:/bin", "PAIDPDF_ARGON2_PROFILE": "test"})
    assert run.returncode == 0, run.stderr
    loaded = run.stdout.split()
    assert "paidpdf.admin.site_server" in loaded and "paidpdf.web.app" in loaded
    assert [m for m in loaded if m.split(".")[0] in IDLE_WORKER_SKIPS or m in IDLE_WORKER_SKIPS] == []


def test_an_installed_package_adds_no_top_level_cli_or_reader_module(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md", "cli.py", "reader.py"):
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(PACKAGE, source / "paidpdf", ignore=shutil.ignore_patterns("__pycache__"))
    site = tmp_path / "site"
    run = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(site), str(source)],
        capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stderr
    top_level = sorted(p.name for p in site.iterdir() if not p.name.endswith((".dist-info", ".egg-info")))
    assert "cli.py" not in top_level and "reader.py" not in top_level
    assert top_level == ["bin", "paidpdf"] or top_level == ["paidpdf"], top_level
    assert (site / "paidpdf" / "__main__.py").is_file()
    assert (site / "paidpdf" / "web" / "templates").is_dir()  # package data still comes along
    script = (site / "bin" / "paidpdf").read_text()
    assert "from paidpdf.admin import main" in script
