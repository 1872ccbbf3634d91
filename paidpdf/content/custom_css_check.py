"""Checking the creator's own stylesheet (`shop set --css`) before it is stored and served.

The site's CSP (`web/security.py`: `default-src 'self'; img-src 'self' data:; style-src 'self'`) would
stop a browser fetching from elsewhere anyway; the check keeps a stylesheet the CSP would half-break out
of the shop, says why at the line and column, and keeps the promise to readers that no page makes
their browser contact another host (privacy), whatever the CSP of a proxy in front turns out to be.

Refused: more than `MAX_BYTES`, text that is not UTF-8, any CSS syntax error (tinycss2 parses the
file as browsers do, per CSS Syntax Level 3, escapes decoded), any `@import`, `expression(...)` and the
old script-binding properties (`behavior`, `-moz-binding`), and any URL that could leave the shop:
in `url(...)` (quoted or not, `URL(`, `u\\rl(` alike: the tokenizer decodes escapes) and in the
strings of the functions that fetch (`image-set()`, `src()`, `image()`, `cross-fade()`, with their
`-webkit-` forms) only a path on this site (`/covers/NAME`, `img/x.png`, `#filter`) or a
`data:image/...` URL passes (the CSP allows `data:` images; an image can run no script and fetch
nothing). Since `var()` can move a string from a custom property into `image-set()`, a string
anywhere else that reads as a URL of another host (`//host`, `https:...`) is refused too; plain
text such as `content: "Note: …"` passes. The walk covers every token of every rule, nested rules and
custom properties included, so no grammar a browser accepts hides a token from it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import tinycss2
from tinycss2 import ast

from paidpdf.errors import InvalidInput

#: A stylesheet of a shop's own look fits in a few KB; 64 KB keeps every page's extra request small.
MAX_BYTES = 64 * 1024
#: Functions whose string arguments are URLs the browser fetches (CSS Images 4, CSS Values 4).
FETCHING_FUNCTIONS = frozenset({
    "url", "src", "image-set", "-webkit-image-set", "image", "-webkit-image",
    "cross-fade", "-webkit-cross-fade",
})
#: Old ways to run script from CSS (IE's expressions and behaviors, Firefox's XBL bindings).
SCRIPT_PROPERTIES = frozenset({"behavior", "-ms-behavior", "-moz-binding"})
SCRIPT_FUNCTIONS = frozenset({"expression", "-ms-expression"})
#: Schemes a browser fetches, or resolves as a host even without `//` (`https:evil.example` from an
#: https page is `https://evil.example`); any `scheme://` counts too.
_NETWORK_SCHEMES = frozenset({"http", "https", "ftp", "ws", "wss", "file", "blob", "filesystem"})
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*):")
_DATA_IMAGE = re.compile(r"data:image/(png|jpeg|gif|webp|avif|svg\+xml)[;,]", re.IGNORECASE)
#: What the URL parser ignores: leading and trailing C0 controls and spaces, tabs and newlines inside.
_STRIPPED = "".join(chr(c) for c in range(0x21))
_REMOVED = re.compile(r"[\t\n\r]")
_NO_IMPORT = "@import is not allowed: put the rules in this file (one stylesheet, from the shop)"


def check_stylesheet(data: bytes, source: str = "stylesheet") -> str:
    """The stylesheet's text when it passes every check; else `InvalidInput` naming `source:line:col`."""
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"{source} is {len(data):,} bytes: a shop stylesheet may have at most "
                           f"{MAX_BYTES:,} (64 KB)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _position(data, exc.start)
        raise InvalidInput(f"{source}:{line}:{column}: not UTF-8 text (save the file as UTF-8)") from None
    text = text.removeprefix("\ufeff")
    rules = tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True)
    if not rules:
        raise InvalidInput(f"{source} holds no CSS rules (to remove the shop's stylesheet: --no-css)")
    problem = _first_problem(rules)
    if problem is not None:
        node, why = problem
        raise InvalidInput(f"{source}:{node.source_line}:{node.source_column}: {why}")
    return text


def _position(data: bytes, offset: int) -> tuple[int, int]:
    before = data[:offset]
    line_start = before.rfind(b"\n") + 1
    return before.count(b"\n") + 1, len(before[line_start:].decode("utf-8", "replace")) + 1


def _first_problem(nodes: Iterable[ast.Node], *, fetching: bool = False) -> tuple[ast.Node, str] | None:
    for node in nodes:
        found = _problem(node, fetching=fetching)
        if found is not None:
            return found
    return None


def _problem(node: ast.Node, *, fetching: bool) -> tuple[ast.Node, str] | None:
    """The first refusal in `node` and everything inside it; `fetching` when `node` is a direct argument
    of a function that fetches its strings."""
    if isinstance(node, ast.ParseError):
        return node, f"CSS syntax error: {node.message}"
    if isinstance(node, ast.AtRule):
        return _at_rule_problem(node)
    if isinstance(node, ast.QualifiedRule):
        return _first_problem(node.prelude) or _block_problem(node.content)
    if isinstance(node, ast.Declaration):
        if node.lower_name in SCRIPT_PROPERTIES:
            return node, f"the {node.name} property is not allowed (it runs script in old browsers)"
        return _first_problem(node.value)
    if isinstance(node, ast.AtKeywordToken) and node.lower_value == "import":  # not at a rule's start
        return node, _NO_IMPORT
    if isinstance(node, ast.URLToken):
        return _url_problem(node, node.value)
    if isinstance(node, ast.StringToken):
        return _url_problem(node, node.value) if fetching else _string_problem(node)
    if isinstance(node, ast.FunctionBlock):
        if node.lower_name in SCRIPT_FUNCTIONS:
            return node, f"{node.name}() is not allowed (it runs script in old browsers)"
        return _first_problem(node.arguments, fetching=node.lower_name in FETCHING_FUNCTIONS)
    if isinstance(node, (ast.CurlyBracketsBlock, ast.SquareBracketsBlock, ast.ParenthesesBlock)):
        return _first_problem(node.content)
    return None


def _at_rule_problem(rule: ast.AtRule) -> tuple[ast.Node, str] | None:
    if rule.lower_at_keyword == "import":
        return rule, _NO_IMPORT
    if rule.lower_at_keyword == "namespace":  # a namespace's URL names it; nothing is fetched
        return None
    return _first_problem(rule.prelude) or _block_problem(rule.content)


def _block_problem(content: list[ast.Node] | None) -> tuple[ast.Node, str] | None:
    """A `{...}` block's declarations and nested rules (CSS Nesting, `@media`, `@font-face`)."""
    if content is None:
        return None
    parsed = tinycss2.parse_blocks_contents(content, skip_comments=True, skip_whitespace=True)
    return _first_problem(parsed)


def _url_problem(node: ast.Node, url: str) -> tuple[ast.Node, str] | None:
    if is_same_origin(url):
        return None
    return node, (f"url({_shown(url)}) is outside the shop: use a path on this site (like /covers/NAME) "
                  "or a data:image/... URL")


def _string_problem(node: ast.StringToken) -> tuple[ast.Node, str] | None:
    """A string outside a fetching function is text, unless it reads as another host's URL (it could
    reach `image-set()` through `var()`)."""
    if not names_another_host(node.value):
        return None
    return node, f'"{_shown(node.value)}" reads as a URL outside the shop (a shop stylesheet names none)'


def _shown(text: str) -> str:
    """`text` for a one-line message: at most 60 characters, control characters as `\\x..` escapes."""
    short = text if len(text) <= 60 else text[:57] + "..."
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in short)


def _normalized(url: str) -> str:
    """`url` as the URL parser reads it: outer controls and spaces stripped, tabs and newlines gone,
    backslashes as slashes (for http and https, which is what a relative URL here resolves against)."""
    return _REMOVED.sub("", url.strip(_STRIPPED)).replace("\\", "/")


def is_same_origin(url: str) -> bool:
    """True for a URL a browser resolves on the page's own origin without a request elsewhere: a path
    (absolute or relative), a query, a fragment, or a `data:image/...` URL."""
    clean = _normalized(url)
    if clean.startswith("//"):
        return False
    if _SCHEME.match(clean):
        return bool(_DATA_IMAGE.match(clean))
    return True


def names_another_host(text: str) -> bool:
    """True when `text` read as a URL reaches beyond this origin: `//host`, a network scheme, or any
    `scheme://`. Ordinary prose ("Note: see below") is not."""
    clean = _normalized(text)
    if clean.startswith("//"):
        return True
    scheme = _SCHEME.match(clean)
    if scheme is None:
        return False
    return scheme.group(1).lower() in _NETWORK_SCHEMES or clean[scheme.end():].startswith("//")
