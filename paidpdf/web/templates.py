"""The Jinja2 environment and the fingerprint of the static files its pages link to."""

from __future__ import annotations

import hashlib
from pathlib import Path

import jinja2

from paidpdf.byte_sizes import human_size
from paidpdf.money import format_amount

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


def make_templates() -> jinja2.Environment:
    """Jinja2 with autoescape on for every template (user text is never markup)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.globals["format_amount"] = format_amount
    env.filters["human_size"] = human_size
    return env


def static_version() -> str:
    """A hash of the static files: links carry it, so a changed stylesheet gets a new URL."""
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.glob("*")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]
