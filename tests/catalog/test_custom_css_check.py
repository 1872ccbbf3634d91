"""The checker of the creator's stylesheet (`custom_css_check`): what it refuses and where it says so,
what it lets through, and that random text never crashes it nor slips a fetch from another host past it.
Storage and serving, on both backends: tests/web/test_custom_css.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import tinycss2
from hypothesis import given, settings
from hypothesis import strategies as st
from tinycss2 import ast

from paidpdf.content.custom_css_check import MAX_BYTES, check_stylesheet
from paidpdf.errors import InvalidInput

REFUSED = [
    ("a{background:url(https://evil.example/x)}", "1:14", "url(https://evil.example/x)"),
    ("a{background:url( 'https://evil.example/x' )}", "1:19", "outside the shop"),
    ("@import 'x.css';", "1:1", "@import"),
    ("@import url(/static/site.css) screen;", "1:1", "@import"),
    ("@IMPORT 'x.css';", "1:1", "@import"),
    ("@\\69mport 'x.css';", "1:1", "@import"),
    ("@media print {\n  @import 'x.css';\n}", "2:3", "@import"),
    ("a { b: @import }", "1:8", "@import"),
    ("a{b:u\\rl(//evil.example/x)}", "1:5", "url(//evil.example/x)"),
    ("a{b:\\75rl(//evil.example/x)}", "1:5", "url(//evil.example/x)"),
    ("A{B:URL(HTTPS://EVIL.EXAMPLE/X)}", "1:5", "url(HTTPS://EVIL.EXAMPLE/X)"),
    ("a{b:url('https\\3a //evil.example/x')}", "1:9", "url(https://evil.example/x)"),
    ("a{b:url('\\2f\\2f evil.example/x')}", "1:9", "url(//evil.example/x)"),
    ("a{b:url('/\\\\evil.example/x')}", "1:9", "outside the shop"),
    ("a{b:url(' //evil.example/x')}", "1:9", "outside the shop"),
    ("a{b:url('http:evil.example/x')}", "1:9", "outside the shop"),
    ("a{b:url(javascript:alert(1))}", "1:5", "syntax error"),  # "(" inside url(): a bad URL
    ("a{b:url('javascript:alert(1)')}", "1:9", "outside the shop"),
    ("a{b:url(data:text/html,x)}", "1:5", "url(data:text/html,x)"),
    ('a{b:image-set("https://evil.example/x" 1x)}', "1:15", "url(https://evil.example/x)"),
    ('a{b:-webkit-image-set("//evil.example/x" 2x)}', "1:23", "outside the shop"),
    ("a{b:image-set(url(//evil.example/x) 1x)}", "1:15", "outside the shop"),
    ("a{b:src('//evil.example/x')}", "1:9", "outside the shop"),
    ("a{b:cross-fade('//evil.example/x', red)}", "1:16", "outside the shop"),
    ("@font-face { font-family: F; src: url(//evil.example/f.woff) }", "1:35", "url(//evil.example/f.woff)"),
    ("@font-face { src: local(x), url(https://evil.example/f) format('woff') }", "1:29", "outside"),
    ("a { & b { background: url(https://evil.example) } }", "1:23", "outside the shop"),
    ("a{--x:'https://evil.example/i.png'} b{background:image-set(var(--x) 1x)}", "1:7", "reads as a URL"),
    ("a{--x:'//evil.example/i.png'}", "1:7", "reads as a URL"),
    ("a{b:expression(alert(1))}", "1:5", "expression() is not allowed"),
    ("a{b:EXPRESSION(alert(1))}", "1:5", "is not allowed"),
    ("a{behavior:url(x.htc)}", "1:3", "behavior property is not allowed"),
    ("a{-moz-binding:url(x.xml#b)}", "1:3", "-moz-binding property is not allowed"),
    ("a{b:url(x y)}", "1:5", "CSS syntax error"),
    ("a{b:'x\n}", "1:5", "CSS syntax error"),
    ("a { color }", "1:", "CSS syntax error"),
]

ACCEPTED = [
    "a { color: red }",
    ".x::after { content: 'Note: see https and //' }",  # prose, not a URL of another host
    "a { background: url(/covers/abc.png) }",
    "a { background: url('img/a.png'), url(../b.png), url(#f), url('?x=1') }",
    "a { background: url(data:image/png;base64,iVBORw0KGgo=) }",
    "a { background: url('data:image/svg+xml,%3Csvg%3E%3C/svg%3E') }",
    "a { background: image-set('/covers/a.png' 1x, url(/covers/b.png) 2x) }",
    "@font-face { font-family: F; src: url(/static/f.woff2) format('woff2'), local('Georgia') }",
    "@media (max-width: 30em) { .main { padding: 0 } }",
    "@keyframes k { from { opacity: 0 } 50% { opacity: .5 } to { opacity: 1 } }",
    ":root { --accent-2: #123456 } .n { &:hover { color: var(--accent-2) } }",
    "@namespace svg url(http://www.w3.org/2000/svg); svg|a { color: red }",
    "\ufeffa { color: red }",
    "a { color: red; }\n/* url(https://evil.example) in a comment fetches nothing */",
    "a { b: c",  # an unclosed block at the end: browsers close it, so does the spec
]


@pytest.mark.parametrize(("css", "where", "why"), REFUSED)
def test_refused_with_the_line_and_column(css: str, where: str, why: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_stylesheet(css.encode(), "my.css")
    message = refused.value.message
    assert message.startswith(f"my.css:{where}") and why in message, message
    assert "\n" not in message


@pytest.mark.parametrize("css", ACCEPTED)
def test_accepted(css: str) -> None:
    assert check_stylesheet(css.encode()) == css.removeprefix("\ufeff")


def test_size_encoding_and_emptiness() -> None:
    at_limit = b"/*" + b"x" * (MAX_BYTES - 16) + b"*/a{color:red}"
    assert len(at_limit) == MAX_BYTES and check_stylesheet(at_limit)
    for data, why in ((at_limit + b" ", "at most 65,536"), (b"a{color:red}\n\xe9", "my.css:2:1: not UTF-8"),
                      (b"", "holds no CSS rules"), (b"/* nothing */  ", "holds no CSS rules")):
        with pytest.raises(InvalidInput, match=re.escape(why)):
            check_stylesheet(data, "my.css")


# -- properties --------------------------------------------------------------------------------------
#: Pieces of stylesheets: harmless ones, structure, and every way of fetching from evil.example we know.
FRAGMENTS = [
    "a", " ", "{", "}", ";", ":", "(", ")", "'", '"', "\\", "\n", "\t", ",", ".", "#", "&", "1x", "é",
    "color", "red", "!important", "/*", "*/", "<!--", "-->", "\x00", "@media", "@font-face", "src:",
    "url(/covers/a.png)", "url(data:image/png;base64,AA)", "image-set('/i.png' 1x)", "'Note: x'",
    "var(--x)", "--x:", "url(", "evil.example", "//", "https:",
    "url(https://evil.example/a)", "url(//evil.example/a)", "URL(HTTP://EVIL.EXAMPLE)",
    "u\\rl(//evil.example)", "url('https\\3a //evil.example')", "image-set('//evil.example/i' 1x)",
    "src('//evil.example/f')", '-webkit-image-set("https://evil.example" 2x)',
    "@import ", "@IMPORT ", "@\\69mport ",
    "url(data:text/html,x)", "'//evil.example'", '"\\2f\\2f evil.example"', "'http:evil.example'",
    "expression(", "behavior:", "-moz-binding:", "url('/\\\\evil.example')", "cross-fade('//evil.example')",
]
#: Declaration values built from these parse, so more of the examples get past the syntax check.
VALUES = [
    "red", " ", ",", "1x", "url(/covers/a.png)", "url(data:image/png;base64,AA)", "'Note: x'", "var(--x)",
    "image-set('/i.png' 1x)", "local('Georgia')", "format('woff2')", "'evil.example'",
    "url(https://evil.example/a)", "url(//evil.example/a)", "URL(HTTP://EVIL.EXAMPLE)",
    "u\\rl(//evil.example)", "url('https\\3a //evil.example')", "image-set('//evil.example/i' 1x)",
    "src('//evil.example/f')", "IMAGE-SET(url(https://evil.example) 1x)", "'//evil.example'",
    "'http:evil.example'", "@import",
    "url(data:text/html,x)", "expression(1)", "cross-fade('//evil.example')", "url('/\\\\evil.example')",
]
PROPERTIES = ["color", "background", "--x", "src", "content", "behavior", "-moz-binding", "cursor"]
RULE_STARTS = ["a", ".x::after", "@font-face", "@media print { a", "@import 'x'; a", "a { & b"]


@st.composite
def _stylesheets(draw: st.DrawFn) -> str:
    rules = []
    for start in draw(st.lists(st.sampled_from(RULE_STARTS), min_size=1, max_size=4)):
        declarations = draw(st.lists(
            st.tuples(st.sampled_from(PROPERTIES), st.lists(st.sampled_from(VALUES), min_size=1, max_size=4)),
            max_size=4,
        ))
        body = "; ".join(f"{name}: {''.join(value)}" for name, value in declarations)
        rules.append(f"{start} {{ {body} }}" + " }" * start.count("{"))
    return "\n".join(rules)


FETCHING = {"url", "src", "image-set", "-webkit-image-set", "image", "-webkit-image", "cross-fade",
            "-webkit-cross-fade"}


def _flat(nodes: list[ast.Node], fetching: bool = False) -> Iterator[tuple[ast.Node, bool]]:
    """Every token of a flat tokenization (no rule structure: a different path from the checker's)."""
    for node in nodes:
        yield node, fetching
        if isinstance(node, ast.FunctionBlock):
            yield from _flat(node.arguments, node.lower_name in FETCHING)
        elif isinstance(node, (ast.CurlyBracketsBlock, ast.SquareBracketsBlock, ast.ParenthesesBlock)):
            yield from _flat(node.content)


def _leaves_the_shop(url: str, strict: bool) -> bool:
    clean = re.sub(r"[\t\n\r]", "", url.strip("".join(map(chr, range(33))))).replace("\\", "/").lower()
    if clean.startswith("//") or re.match(r"(https?|ftp|wss?|file|blob):", clean):
        return True
    return strict and bool(re.match(r"[a-z][a-z0-9+.-]*:", clean)) and not clean.startswith("data:image/")


def _fetches_elsewhere(text: str) -> bool:
    """An oracle: the stylesheet has an @import, or a URL (or a string a var() could make one) that
    leaves the shop."""
    tokens = tinycss2.parse_component_value_list(text, skip_comments=True)
    for node, fetching in _flat(tokens):
        if isinstance(node, ast.AtKeywordToken) and node.lower_value == "import":
            return True
        if isinstance(node, ast.URLToken) and _leaves_the_shop(node.value, strict=True):
            return True
        if isinstance(node, ast.StringToken) and _leaves_the_shop(node.value, strict=fetching):
            return True
    return False


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300).map(lambda t: t.encode("utf-8", "replace"))))
def test_random_bytes_are_refused_or_accepted_never_a_crash(data: bytes) -> None:
    try:
        check_stylesheet(data, "my.css")
    except InvalidInput as exc:
        assert "\n" not in exc.message and exc.message.startswith("my.css")


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join), _stylesheets()))
def test_nothing_accepted_fetches_from_another_host(text: str) -> None:
    try:
        accepted = check_stylesheet(text.encode(), "my.css")
    except InvalidInput as exc:
        assert "\n" not in exc.message
        return
    assert not _fetches_elsewhere(accepted), accepted
