"""Sample content for the demo: a few short, real booklets (text on several pages) and a seeded catalog.

The PDFs are generated with fpdf2 rather than shipped as binaries, so the repository stays small and
the demo shows what a real upload goes through: the same checks, hashing, cover rendering and pricing
as `paidpdf content add`.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from paidpdf.config import Settings
from paidpdf.content import catalog
from paidpdf.errors import Conflict, InvalidInput
from paidpdf.money import to_decimal_text
from paidpdf.store import DataStore, Doc
from paidpdf.store.files.permissions import make_private_dir

#: A file the demo writes into its own data folder; only folders carrying it are ever wiped.
MARKER = ".paidpdf-demo"


@dataclass(frozen=True)
class Booklet:
    slug: str
    title: str
    subtitle: str
    price: int  # in cents; zero-decimal currencies use the same number of whole units
    colour: tuple[int, int, int]
    description: str
    chapters: tuple[tuple[str, str], ...]


BOOKLETS = (
    Booklet(
        slug="field-notes-on-city-birds",
        title="Field Notes on City Birds",
        subtitle="A free pocket guide for your lunch break",
        price=0,
        colour=(46, 125, 50),
        description="Twelve birds you can meet on any city street, and how to tell them apart.",
        chapters=(
            ("Why watch city birds", "Cities are full of birds that have learnt to live alongside us. A "
             "lunch break on a park bench is enough to meet a dozen species. All you need is patience, a "
             "little curiosity and, if you like, a cheap pair of binoculars."),
            ("Sparrows and finches", "House sparrows chatter in hedges and gutters; males wear a grey cap "
             "and a black bib. Goldfinches flash yellow wing bars and have a red face. Greenfinches are "
             "stocky, olive green and wheeze from the tops of trees in spring."),
            ("Crows, magpies and jackdaws", "Crows are all black and usually alone or in pairs. Magpies are "
             "black and white with a long tail that shines green in the sun. Jackdaws are smaller, with a "
             "grey nape and a pale, staring eye; they nest in chimneys."),
            ("Keeping notes", "Write down the date, the place, the weather and what the bird was doing. "
             "Over a season your notes become a small map of the life of your street."),
        ),
    ),
    Booklet(
        slug="sourdough-at-home",
        title="Sourdough at Home",
        subtitle="From starter to first loaf in one week",
        price=499,
        colour=(161, 98, 7),
        description="A gentle, day-by-day guide to keeping a starter and baking a crusty loaf.",
        chapters=(
            ("Day one: the starter", "Mix 50 g of wholemeal flour with 50 g of water in a clean jar. Cover "
             "loosely and leave it somewhere warm. Nothing much will happen today, and that is fine."),
            ("Days two to five: feeding", "Each day, discard half of the starter and feed it with 50 g of "
             "flour and 50 g of water. Bubbles appear, the smell turns from sour to pleasantly tangy, and "
             "the starter begins to double within a few hours of a feed."),
            ("Day six: the dough", "Mix 500 g of strong white flour, 350 g of water, 100 g of active "
             "starter and 10 g of salt. Stretch and fold the dough every half hour for two hours, then let "
             "it rise until it has grown by half."),
            ("Day seven: the bake", "Shape the dough, prove it overnight in the fridge and bake it in a "
             "preheated lidded pot at 240 C: twenty minutes with the lid on, twenty-five with it off. Let it "
             "cool for an hour before you cut it, however hard that is."),
        ),
    ),
    Booklet(
        slug="git-for-writers",
        title="Git for Writers",
        subtitle="Version control for manuscripts, not just code",
        price=999,
        colour=(21, 101, 192),
        description="Keep every draft, undo any change and write a book together, with git.",
        chapters=(
            ("Why writers need version control", "Files named final-v2-really-final.docx are a sign that "
             "you need history. Git keeps every saved version of your manuscript and lets you go back to "
             "any of them, compare two drafts line by line and try an idea without fear."),
            ("Your first repository", "Create a folder for the book, write each chapter as a plain text or "
             "Markdown file and run git init. Every time you finish a writing session, commit with a "
             "short message that says what changed."),
            ("Branches for bold ideas", "Want to tell chapter three from another point of view? Create a "
             "branch, rewrite freely and merge it back only if the new version is better. The old one is "
             "never lost."),
            ("Working with an editor", "Share the repository, let your editor work on a branch and review "
             "the differences before you accept them. Every suggestion stays visible and reversible."),
        ),
    ),
    Booklet(
        slug="watercolour-in-ten-lessons",
        title="Watercolour in Ten Lessons",
        subtitle="Washes, layers and light for complete beginners",
        price=1999,
        colour=(106, 27, 154),
        description="Ten short lessons that take you from a flat wash to a finished landscape.",
        chapters=(
            ("Materials", "Three tubes of paint are enough to start: a warm yellow, a cool red and a blue. "
             "Add one round brush, a block of cold-pressed paper and two jars of water, one for rinsing "
             "and one that stays clean."),
            ("Lessons one to three: washes", "Tilt the paper, load the brush generously and pull a bead of "
             "paint across the page. Practise a flat wash, a graded wash and a variegated wash until the "
             "edges stop surprising you."),
            ("Lessons four to seven: layers", "Watercolour is transparent: each layer changes the colour "
             "below. Let every layer dry completely before the next, and work from light to dark."),
            ("Lessons eight to ten: light", "The white of the paper is your only white. Plan where the "
             "light falls, paint around it and finish with a few dark accents that make the light shine."),
        ),
    ),
)


def _booklet_pdf(booklet: Booklet, target: Path) -> None:
    from fpdf import FPDF

    class _Pdf(FPDF):
        def footer(self) -> None:
            if self.page_no() > 1:
                self.set_y(-12)
                self.set_font("Helvetica", "", 8)
                self.set_text_color(120, 120, 120)
                self.cell(0, 6, f"{booklet.title} - page {self.page_no()}", align="C")

    pdf = _Pdf(format=(148, 210))  # A5 in mm
    pdf.set_title(booklet.title)
    pdf.set_author("paidpdf demo")
    pdf.set_auto_page_break(auto=True, margin=18)
    # Cover page: a coloured block with the title, so the rendered cover looks like one.
    pdf.add_page()
    pdf.set_fill_color(*booklet.colour)
    pdf.rect(0, 0, pdf.w, pdf.h, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("Helvetica", "B", 26)
    pdf.set_y(60)
    pdf.multi_cell(0, 12, booklet.title, align="C")
    pdf.ln(6)
    pdf.set_font("Helvetica", "", 13)
    pdf.multi_cell(0, 7, booklet.subtitle, align="C")
    pdf.set_y(-30)
    pdf.set_font("Helvetica", "I", 10)
    pdf.cell(0, 6, "A paidpdf sample booklet", align="C")
    # One page per chapter.
    for number, (heading, body) in enumerate(booklet.chapters, start=1):
        pdf.add_page()
        pdf.set_text_color(*booklet.colour)
        pdf.set_font("Helvetica", "B", 16)
        pdf.multi_cell(0, 9, f"{number}. {heading}")
        pdf.ln(3)
        pdf.set_text_color(30, 30, 30)
        pdf.set_font("Times", "", 12)
        pdf.multi_cell(0, 6, body)
    pdf.output(str(target))


def make_sample_pdfs(folder: Path) -> list[Path]:
    """Write the sample booklets into `folder` (created if needed) and return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for booklet in BOOKLETS:
        target = folder / f"{booklet.slug}.pdf"
        _booklet_pdf(booklet, target)
        paths.append(target)
    return paths


def seed_demo(store: DataStore, settings: Settings) -> list[Doc]:
    """Add the sample booklets to the catalog (one free, the others 4.99, 9.99 and 19.99)."""
    items = []
    with tempfile.TemporaryDirectory(prefix="paidpdf-demo-") as scratch:
        paths = make_sample_pdfs(Path(scratch))
        for booklet, path in zip(BOOKLETS, paths, strict=True):
            items.append(
                catalog.add_item(
                    store,
                    path,
                    title=booklet.title,
                    price_text=to_decimal_text(booklet.price, settings.currency),
                    currency=settings.currency,
                    description=booklet.description,
                    item_id=booklet.slug,
                )
            )
    return items


#: The demo's items in other formats, made at demo time (`demo_media`): an EPUB and an audio file.
MEDIA_ITEMS = (
    ("tea-slowly", "Tea, Slowly", 399, "tea-slowly.epub",
     "A short ebook (EPUB) on brewing loose-leaf tea without fuss. Read the first chapter on this page."),
    ("twelve-quiet-tones", "Twelve Quiet Tones", 299, "twelve-quiet-tones.m4a",
     "Forty seconds of gentle tones (M4A audio). Hear the sample here; owners play it in their library."),
)
_TEA = (
    ("Water", "Start with fresh, cold water.\n\nBring it just to the boil for black tea; let it rest a minute"
     " for green."),
    ("Leaves", "A teaspoon per cup is plenty.\n\nGood leaves unfurl; give them room in the pot."),
    ("Time", "Three minutes, then taste.\n\nTea that waits too long turns bitter; pour it off the leaves."),
)


def seed_media(store: DataStore, settings: Settings) -> list[Doc]:
    """Add the demo's EPUB and audio items, generated now (`demo_media`: no binaries in the repository)."""
    from paidpdf.content import demo_media

    items = []
    with tempfile.TemporaryDirectory(prefix="paidpdf-demo-media-") as scratch:
        for slug, title, price, name, description in MEDIA_ITEMS:
            path = Path(scratch) / name
            if name.endswith(".epub"):
                demo_media.make_epub(path, title, list(_TEA), identifier=slug)
            else:
                demo_media.make_audio(path, 40.0, pitch=330.0)
            items.append(catalog.add_item(
                store, path, title=title, price_text=to_decimal_text(price, settings.currency),
                currency=settings.currency, description=description, item_id=slug, preview_seconds=15,
            ))
    return items


#: The demo shop's membership (added by `paidpdf demo`, not by the test seeds, whose pages stay plan-free).
DEMO_PLAN = "all-access"


def seed_demo_plan(store: DataStore, settings: Settings) -> Doc:
    """One monthly plan covering every item, with a 7-day trial (the stand-in's test clock moves time:
    `paidpdf stripe-local advance 31d`)."""
    from paidpdf.memberships import plans

    return plans.add(
        store, DEMO_PLAN, title="All Access", price_text=to_decimal_text(999, settings.currency),
        currency=settings.currency, interval="month", trial_days=7,
        description="Every booklet in the shop, and every one we add, for as long as you are a member.",
    )


@dataclass(frozen=True)
class DemoFolder:
    """The demo's data folder and whether it was made now (`fresh`: seed it) or kept from a run before."""

    path: Path
    fresh: bool
    wiped: tuple[str, ...] = ()


#: What `--fresh` keeps: backups made inside the demo shop are never deleted by the demo.
KEPT_ON_FRESH = ("backups",)


def prepare_folder(folder: Path, *, fresh: bool = False) -> DemoFolder:
    """The demo's own data folder: kept as it is from a run before (its items, orders and backups), or
    with `fresh` emptied first, all but `backups/`; a new or empty folder is marked as the demo's.

    Anything else is refused, so the demo can never delete someone's real data.
    """
    if folder.is_symlink():
        raise InvalidInput(f"demo folder {folder} is a symbolic link; choose a plain folder with --folder")
    wiped: list[str] = []
    if folder.exists():
        if not folder.is_dir():
            raise InvalidInput(f"demo folder {folder} is a file; choose another one with --folder")
        if (folder / MARKER).is_file():
            if not fresh:
                return DemoFolder(folder, fresh=False)
            for entry in sorted(folder.iterdir()):
                if entry.name in KEPT_ON_FRESH or entry.name == MARKER:
                    continue
                wiped.append(entry.name)
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
        elif any(folder.iterdir()):
            raise Conflict(
                f"{folder} exists and was not created by the demo; refusing to use it (use --folder)"
            )
    try:
        make_private_dir(folder)
        note = "Created by `paidpdf demo`; `paidpdf demo --fresh` empties it (but for backups/).\n"
        (folder / MARKER).write_text(note)
    except OSError as exc:
        raise InvalidInput(f"cannot create demo folder {folder}: {exc.strerror}") from None
    return DemoFolder(folder, fresh=True, wiped=tuple(wiped))
