"""Preview: every card's front and back on one offline page, with the package's own CSS and fonts.

`gather` runs the build's first stages (read, parse, plan) and returns each card as Anki renders
it from the shipped templates, with its deck, tags and whether it is new or edited since the last
build (the lock); `write_preview` writes the page (see preview_page.py) and the files it uses.
Nothing here writes a package or the lock.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from deckgen import lock as deck_lock
from deckgen.build import collect
from deckgen.errors import Problems
from deckgen.model import BuildConfig, Diagnostic
from deckgen.notetype import FIELDS, field_values, template_files
from deckgen.style import card_css

if TYPE_CHECKING:
    from deckgen.preview_page import CardsData, PageFiles

CSS_NAME = "card.css"
INDEX_NAME = "index.html"
MATHJAX_ENV = "DECKGEN_MATHJAX"
_MATHJAX_FILES = ("tex-chtml.js", "tex-svg.js", "tex-mml-chtml.js", "tex-mml-svg.js")
_MATHJAX_FOLDERS = ("", "es5")
# Anki's MathJax reads only \(...\) and \[...\]; the preview configures MathJax the same way.
_MATHJAX_CONFIG = (
    "window.MathJax={tex:{inlineMath:[['\\\\(','\\\\)']],displayMath:[['\\\\[','\\\\]']],"
    "processEscapes:false,processEnvironments:false,processRefs:false},"
    "options:{ignoreHtmlClass:'tex2jax_ignore',processHtmlClass:'tex2jax_process'}};"
)
_SECTION = re.compile(r"\{\{([#^])([^}]+)\}\}(.*?)\{\{/\2\}\}", re.DOTALL)
_FIELD = re.compile(r"\{\{([^#^/}][^}]*)\}\}")


@dataclass(frozen=True, slots=True)
class PreviewCard:
    """One card as the preview shows it."""

    number: int
    """1-based place in the deck: the page's `#card-N`."""
    deck: str
    tags: tuple[str, ...]
    source: str
    """The Source field as Anki holds it (HTML text), e.g. `notes/x.md:12`."""
    status: Literal["new", "edited", ""]
    """Against the lock, i.e. the last build: a new note, an edited one, or neither."""
    front: str
    back: str
    key: str = ""
    """What the two sides show but the Source line, as a short digest: a page of `deckgen watch`
    keeps a card it drew while its key stays the same (see _card_view)."""


@dataclass(frozen=True, slots=True)
class Preview:
    """What a preview shows and the files its page needs."""

    title: str
    cards: tuple[PreviewCard, ...]
    removed: tuple[tuple[str, str], ...]
    """(question, file) of each note of the last build that is gone."""
    first_build: bool
    """No lock yet: every card is new."""
    css: str
    files: tuple[tuple[str, Path], ...]
    """(name in the page's folder, file) of each font subset and image the cards use."""
    diagnostics: tuple[Diagnostic, ...]


@dataclass(frozen=True, slots=True)
class PreviewReport:
    """What a preview wrote."""

    index: Path
    cards: int
    mathjax: str | None
    """The MathJax script the page loads (relative to index.html), or None: math shows as TeX."""
    diagnostics: tuple[Diagnostic, ...]
    changed: int = 0
    """Cards new or edited since the last build."""


def render_template(template: str, fields: dict[str, str]) -> str:
    """Fill an Anki template: {{Field}}, {{#Field}}..{{/Field}}, {{^Field}}..{{/Field}}, {{FrontSide}}."""

    def section(m: re.Match) -> str:
        shown = bool(fields.get(m.group(2).strip(), "").strip())
        return m.group(3) if shown == (m.group(1) == "#") else ""

    previous = None
    while previous != template:
        previous, template = template, _SECTION.sub(section, template)
    return _FIELD.sub(lambda m: fields.get(m.group(1).strip(), ""), template)


def card_sides(fields: tuple[str, ...]) -> tuple[str, str]:
    """Return a note's front and back HTML as Anki renders them from the shipped templates."""
    return _card_view(field_values(fields))[:2]


def view_key(front: str, back: str) -> str:
    """A digest (80 bits) of a card's two sides: cards with one key show the same sides."""
    digest = hashlib.blake2b(front.encode("utf-8", "surrogatepass"), digest_size=10)
    digest.update(b"\0")
    digest.update(back.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


_SOURCE_MARK = "\0"  # no field holds it: markdown-it turns NUL into U+FFFD, and no file name has one


@lru_cache(maxsize=1 << 14)  # `deckgen watch` renders again only the notes that changed
def _card_view(values: tuple[str, ...]) -> tuple[str, str, str, str]:
    """A note's front, back, Source field and key, as Anki shows them, from its field values as the
    package holds them (see notetype.field_values).

    The key is the view_key of the two sides with the Source field's text left out, where the back
    shows it once (its own line): a question added above a card moves its line number, and a
    live page then sets that line again instead of drawing the card anew."""
    front_t, back_t, _ = template_files()
    fields = dict(zip(FIELDS, values, strict=True))
    front = render_template(front_t, fields)
    source = fields["Source"]
    if source.strip():  # the back shows its line
        marked = render_template(back_t, {**fields, "Source": _SOURCE_MARK, "FrontSide": front})
        if marked.count(_SOURCE_MARK) == 1:
            return front, marked.replace(_SOURCE_MARK, source), source, view_key(front, marked)
    back = render_template(back_t, {**fields, "FrontSide": front})
    return front, back, source, view_key(front, back)


def card_document(body: str, *, css_href: str = CSS_NAME, mathjax: str | None = None,
                  night: bool = False, phone: bool = False) -> str:
    """Wrap one card side in a page shaped like Anki's reviewer: <body class="card">."""
    html_class = ' class="mobile android"' if phone else ""
    body_class = "card nightMode night_mode" if night else "card"
    script = ""
    if mathjax and ("\\(" in body or "\\[" in body):
        # Like AnkiDroid: load MathJax only where a card has math.
        script = f"<script>{_MATHJAX_CONFIG}</script><script src=\"{html.escape(mathjax)}\" async></script>"
    return (
        f'<!DOCTYPE html><html lang="ko"{html_class}><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="stylesheet" href="{html.escape(css_href)}">{script}</head>'
        f'<body class="{body_class}">{body}</body></html>'
    )


def mathjax_script(outdir: Path, given: Path | None = None) -> Path | None:
    """Find a MathJax 3 script: `given`, $DECKGEN_MATHJAX, mathjax/ beside the page, or the copy
    in the environment deckgen runs from (`make test` puts one in .venv/mathjax)."""
    places = [p for p in (given, os.environ.get(MATHJAX_ENV)) if p]
    places += [outdir / "mathjax", Path(sys.prefix) / "mathjax"]
    for place in map(Path, places):
        candidates = [place] if place.is_file() else [
            place / folder / name for folder in _MATHJAX_FOLDERS for name in _MATHJAX_FILES
        ]
        for script in candidates:
            if script.is_file():
                return script.resolve()
    return None


def find_mathjax(outdir: Path, given: Path | None = None) -> str | None:
    """Return the MathJax script for the page (relative when possible), or None if there is none."""
    script = mathjax_script(outdir, given)
    if script is None:
        return None
    try:
        return script.relative_to(outdir.resolve()).as_posix()
    except ValueError:
        return script.as_uri()


def gather(config: BuildConfig) -> Preview:
    """Read, parse and plan the deck as a build would; return its cards, changes and files."""
    problems = Problems()
    deck, files, media = collect(config, problems)
    problems.raise_if_failed(config.strict)
    css, fonts = card_css(files, deck.font)
    state = deck_lock.read(deck, problems)
    plan = deck_lock.plan(state, deck, files, css, config)
    before = {e["guid"]: e["hash"] for e in (state or {}).get("notes", ())}
    cards = []
    for n, (card, entry, packaged) in enumerate(zip(plan.cards, plan.state["notes"], plan.packaged, strict=True), 1):
        old = before.get(card.guid)
        status = "new" if old is None else "edited" if old != entry["hash"] else ""
        front, back, source, key = _card_view(packaged.values)  # the values the package holds, found once
        cards.append(PreviewCard(n, card.deck, card.tags, source, status, front, back, key))
    removed = tuple((c.question, c.detail) for c in plan.changes if c.kind == "removed")
    used = {**{p.name: p for p in fonts}, **media.files}
    return Preview(deck.title, tuple(cards), removed, state is None, css, tuple(used.items()),
                   tuple(problems.items))


def write_preview(config: BuildConfig, outdir: Path, mathjax: Path | None = None, *,
                  changed_only: bool = False, build: str = "", live: bool = False,
                  data: CardsData | None = None) -> PreviewReport:
    """Write outdir/index.html with every card (or only the new and edited ones), plus the CSS,
    fonts and images it uses. `live`: the page follows `deckgen watch`'s builds (`build` names this
    one, `data` is kept from one to the next: see preview_page.CardsData)."""
    from deckgen.preview_page import MATHJAX_ROUTE, page_files

    preview = gather(config)
    outdir.mkdir(parents=True, exist_ok=True)
    copy_files(preview.files, outdir)
    _write_if_changed(outdir / CSS_NAME, preview.css)
    script = mathjax_script(outdir, mathjax)
    url = None
    if script is not None:
        url = find_mathjax(outdir, script)
        if live and url.startswith("file:"):  # a served page reaches MathJax through the server
            url = MATHJAX_ROUTE + script.name
    files = page_files(preview, mathjax=url, changed_only=changed_only, build=build, live=live, data=data)
    write_page(outdir, files)
    changed = sum(1 for c in preview.cards if c.status)
    shown = changed if changed_only else len(preview.cards)
    return PreviewReport(outdir / INDEX_NAME, shown, url, preview.diagnostics, changed)


def write_page(outdir: Path, files: PageFiles) -> None:
    """Write the page and its data: the data first, as the page names it."""
    _write_named(outdir / files.data_name, files.data)
    if files.update_name:
        _write_named(outdir / files.update_name, files.update)
    write_atomic(outdir / INDEX_NAME, files.page)
    _remove_old_data(outdir, keep={files.data_name, files.update_name})


def copy_files(files: tuple[tuple[str, Path], ...], outdir: Path) -> None:
    """Copy the fonts and images the page uses beside it; a copy already there is kept."""
    wanted = dict(files)
    for stale in outdir.glob("_dg-kr-*.woff2"):
        if stale.name not in wanted:
            stale.unlink()
    for name, path in wanted.items():
        target = outdir / name
        try:
            there, here = target.stat(), path.stat()
            if there.st_size == here.st_size and there.st_mtime_ns == here.st_mtime_ns:
                continue
        except OSError:
            pass
        shutil.copy2(path, target)


def write_atomic(path: Path, text: str) -> None:
    """Replace a file whole: a browser reading it meanwhile gets the old page or the new one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _remove_old_data(outdir: Path, keep: set[str]) -> None:
    """Remove the data of earlier builds, but for the last minute's: a page loaded just before
    this one was written may still be reading its own."""
    now = time.time()
    for old in (*outdir.glob("cards-*.js"), *outdir.glob("update-*.json")):
        try:
            if old.name not in keep and now - old.stat().st_mtime > 60:
                old.unlink()
        except OSError:
            pass


def _write_named(path: Path, text: str) -> None:
    """Write a file named by its content, unless it is there already (the same name, the same text)."""
    try:
        if path.stat().st_size == len(text.encode("utf-8", "surrogatepass")):
            return
    except OSError:
        pass
    write_atomic(path, text)


def _write_if_changed(path: Path, text: str) -> None:
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except (OSError, UnicodeDecodeError):
        pass
    write_atomic(path, text)
