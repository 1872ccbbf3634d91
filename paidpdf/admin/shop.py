"""`paidpdf shop ...`: the shop's name, tagline, about text, accent colour, logo, own stylesheet and
default language (`content.shop`, `content.custom_css`)."""

from __future__ import annotations

from pathlib import Path

import typer

from paidpdf.admin.context import state
from paidpdf.admin.output import JSON_OPTION, details, emit_json, when
from paidpdf.byte_sizes import human_size

app = typer.Typer(
    help="The shop's identity: name, tagline, about text, accent colour, logo, stylesheet.",
    no_args_is_help=True,
)


@app.command("set")
def set_cmd(
    ctx: typer.Context,
    name: str | None = typer.Option(
        None, "--name", metavar="NAME", help="Shown in the header, titles and mails."
    ),
    tagline: str | None = typer.Option(None, "--tagline", metavar="TEXT", help="One line under the name."),
    about_file: Path | None = typer.Option(
        None, "--about-file", metavar="FILE", help="About the shop, from a UTF-8 text file."
    ),
    accent: str | None = typer.Option(
        None, "--accent", metavar="#RRGGBB", help="Colour of links and buttons."
    ),
    logo: Path | None = typer.Option(None, "--logo", metavar="IMG", help="A PNG, JPEG or WebP logo."),
    css: Path | None = typer.Option(
        None, "--css", metavar="FILE.css", help="Your own stylesheet, served after ours (docs/web.md)."
    ),
    no_css: bool = typer.Option(False, "--no-css", help="Remove your stylesheet."),
    locale: str | None = typer.Option(
        None, "--locale", metavar="LANG", help="Default language of the site and mails: en, de, fr or es."
    ),
) -> None:
    """Set the shop's name, tagline, about text, accent colour, logo, stylesheet or language (live at once).

    Example: paidpdf shop set --name "Field & Oven" --tagline "Booklets for home bakers" --locale de
    """
    from paidpdf.content import shop

    found = shop.set_identity(
        state(ctx).creating_store, name=name, tagline=tagline, about_file=about_file, accent=accent,
        logo=logo, css=css, no_css=no_css, locale=locale,
    )
    _show(found)


@app.command("show")
def show_cmd(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Show the shop's identity.

    Example: paidpdf shop show --json
    """
    from paidpdf.content import shop

    found = shop.identity(state(ctx).store)
    if as_json:
        emit_json(found)
        return
    _show(found)


def _show(found: dict[str, object]) -> None:
    about = str(found["about"] or "")
    details(
        str(found["name"]),
        [
            ("name", found["name"]),
            ("tagline", found["tagline"]),
            ("about", (about[:200] + " …") if len(about) > 200 else about),
            ("accent", found["accent"]),
            ("logo", found["logo"] or "none"),
            ("stylesheet", _stylesheet(found)),
            ("locale", found["locale"]),
            ("updated", when(found["updated_at"], seconds=True) or "never (defaults)"),
        ],
    )


def _stylesheet(found: dict[str, object]) -> str:
    from paidpdf.content import custom_css

    if not found["css_sha256"]:
        return "none"
    size = human_size(int(str(found["css_bytes"])))
    return f"{size}, served at {custom_css.url_of(found)}"
