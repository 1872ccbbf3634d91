"""Finding a form on a WebTest page by where it posts (shared by the web and payment tests)."""

from __future__ import annotations

from typing import Any

from webtest import TestResponse


def form_for(page: TestResponse, action: str) -> Any:
    """The form on `page` that posts to `action`."""
    for form in page.forms.values():
        if form.action == action:
            return form
    raise AssertionError(
        f"no form posting to {action} on {page.request.path}: {[f.action for f in page.forms.values()]}"
    )
