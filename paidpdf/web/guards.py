"""`login_required`: a handler that needs a reader gets one, or the browser goes to the login page.

The route table reads better with the rule on the handler than with a check repeated in its body,
and a handler cannot forget it: the user it needs arrives as its second argument.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from paidpdf.store import Doc
from paidpdf.web.context import WebContext

P = ParamSpec("P")
R = TypeVar("R")


def login_required(
    handler: Callable[Concatenate[WebContext, Doc, P], R],
) -> Callable[Concatenate[WebContext, P], R]:
    """Call `handler(web, user, ...)` with the logged-in reader; `AuthRequired` (→ login) without one."""

    @functools.wraps(handler)
    def guarded(web: WebContext, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return handler(web, web.visitor.require_user(), *args, **kwargs)

    guarded.login_required = True  # type: ignore[attr-defined]
    return guarded


def needs_login(handler: Callable[..., Any]) -> bool:
    """Whether a handler in the route table is guarded (the route-table test lists the open ones)."""
    return bool(getattr(handler, "login_required", False))
