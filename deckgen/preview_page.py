"""The preview page: a Preview -> one HTML file that opens at once with 10,000 cards.

The page holds the cards' HTML as data (one JSON script) and an empty box per card under its
subdeck's heading; the page's script draws a card into its box when it comes near the screen. A
card is a `.card` element styled by the notetype's own CSS, as Anki's reviewer styles its <body>:
`nightMode` on the card, `mobile android` on <html> for the phone view. The notetype's
narrow-window rules (`@media (max-width: …)`) are repeated as container queries on each card's
view, so a card drawn 360 px wide in a wide window looks as in a 360-px window. Under `deckgen
watch` the page brings itself up to date after each build: it keeps the boxes of the cards whose
sides did not change (by their key), drawn and typeset, and draws only the others. The page's
own markup, CSS and script are real files in templates/preview/.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from html import escape

from deckgen.errors import count
from deckgen.notetype import templates_dir
from deckgen.preview import CSS_NAME, Preview, PreviewCard, view_key
from deckgen.textsafe import html_text

MATHJAX_ROUTE = "/_deckgen/mathjax/"
"""Where a page served by `deckgen watch` finds a MathJax that lies outside its folder."""
_WIDTH_MEDIA = re.compile(r"@media\s*\(\s*((?:max|min)-width\s*:\s*[0-9.]+(?:px|em|rem))\s*\)\s*\{")
_SLOT = re.compile(r"\{\{(\w+)\}\}")


@lru_cache(maxsize=1)
def _assets() -> tuple[str, str, str]:
    folder = templates_dir() / "preview"
    return tuple((folder / name).read_text(encoding="utf-8") for name in ("page.html", "page.css", "page.js"))


@lru_cache(maxsize=4)  # the same CSS for every build of `deckgen watch`
def container_css(css: str) -> str:
    """Repeat the CSS's window-width media queries as queries on the width of a card's view."""
    out = []
    for m in _WIDTH_MEDIA.finditer(css):
        depth, end = 1, m.end()
        while depth and end < len(css):
            depth += {"{": 1, "}": -1}.get(css[end], 0)
            end += 1
        out.append(f"@container pv-card ({m.group(1)}) {{{css[m.end():end - 1]}}}")
    return "\n".join(out)


class CardsData:
    """Writes the cards' data of one build after another (`deckgen watch` keeps one): the JSON of
    a card's two sides is made once and kept while the card shows the same.

    The data is a script, `window.deckgenCards = {decks, tags, cards}`, each card [front, back,
    deck, tags, source, number, status, key]: deck and tags index the lists of deck names and tag
    sets (as HTML text), which repeat from card to card; key is the card's view_key, by which a
    live page keeps the cards it drew when their two sides did not change. Its file is named by
    its content, so that a page never pairs with another build's data.

    The update is the same as JSON, but for the sides of the cards the last build had too, with
    the same key and source (null): a live page that has them takes them from its own data
    instead of loading all the cards.
    """

    def __init__(self) -> None:
        self._sides: dict[tuple[str, str], str] = {}
        """(key, source) -> the JSON of the two sides, of the last build's cards (the key leaves
        out the source line the back shows)."""

    def write(self, cards: list[PreviewCard], *, update: bool = False) -> tuple[str, str, str, str]:
        """Return the data script and its name, and (with `update`) the update and its name."""
        decks: dict[str, int] = {}
        tag_sets: dict[tuple[str, ...], int] = {}
        known, sides = self._sides, {}
        rows, changed = [], []
        for c in cards:
            key = c.key or view_key(c.front, c.back)
            both = sides.get(seen := (key, c.source)) or known.get(seen)
            if both is None:
                both = f"{_json(c.front)},{_json(c.back)}"
            sides[seen] = both
            rest = (f'{decks.setdefault(c.deck, len(decks))},{tag_sets.setdefault(c.tags, len(tag_sets))},'
                    f'{_json(c.source)},{c.number},"{c.status}","{key}"]')
            rows.append(f"[{both},{rest}")
            if update:
                changed.append(f"[null,null,{rest}" if seen in known else f"[{both},{rest}")
        self._sides = sides
        head = _json({"decks": [html_text(d) for d in decks], "tags": [[html_text(t) for t in ts] for ts in tag_sets]})
        data = f'window.deckgenCards={head[:-1]},"cards":[{",".join(rows)}]}};\n'
        text = f'{head[:-1]},"cards":[{",".join(changed)}]}}\n' if update else ""
        return data, _named("cards", data, "js"), text, _named("update", text, "json") if update else ""


def _named(kind: str, text: str, suffix: str) -> str:
    return f"{kind}-{hashlib.sha256(text.encode('utf-8', 'surrogatepass')).hexdigest()[:12]}.{suffix}"


def _json(value: object) -> str:
    # JSON is JavaScript but for two line breaks older engines reject inside strings.
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _article(card: PreviewCard, index: int) -> str:
    # Only an empty box per card is markup: 10,000 of them parse in a blink; the script fills
    # the ones near the screen from the data.
    status = f' data-status="{card.status}"' if card.status else ""
    return f'<article class="pv-card" id="card-{card.number}" data-i="{index}"{status}></article>'


def _decks(title: str, cards: list[PreviewCard]) -> tuple[str, str]:
    """The cards grouped by subdeck, in the deck's order, and the table of contents of them."""
    groups: dict[str, list[tuple[int, PreviewCard]]] = {}
    for i, card in enumerate(cards):
        groups.setdefault(card.deck, []).append((i, card))
    toc, sections = [], []
    for k, (deck, members) in enumerate(groups.items(), 1):
        sub = deck.removeprefix(f"{title}::") or deck
        depth = min(sub.count("::"), 3)
        shown_sub, shown_deck = html_text(sub.rsplit("::", 1)[-1]), html_text(deck)
        toc.append(f'<li class="pv-depth-{depth}" data-deck="{k}"><a href="#deck-{k}" title="{shown_deck}">'
                   f"<span>{shown_sub}</span><small>{len(members)}</small></a></li>")
        body = "".join(_article(card, i) for i, card in members)
        sections.append(f'<section class="pv-deck" id="deck-{k}" data-deck="{k}" data-name="{escape(deck)}">'
                        f'<h2 class="pv-deck-title">{html_text(sub)} <small>{shown_deck} · '
                        f'{count(len(members), "card")}</small></h2>{body}</section>')
    return "\n".join(toc), "\n".join(sections)


def _notes(preview: Preview) -> str:
    """The build's warnings, and the notes removed since the last build, above the cards."""
    parts = []
    if preview.diagnostics:
        items = "".join(f"<li>{html_text(str(d))}</li>" for d in preview.diagnostics)
        parts.append(f'<details class="pv-note pv-warnings"><summary>{count(len(preview.diagnostics), "warning")}'
                     f"</summary><ul>{items}</ul></details>")
    if preview.removed:
        items = "".join(f"<li>{html_text(q)} <small>({html_text(f)})</small></li>" for q, f in preview.removed)
        parts.append(f'<details class="pv-note pv-removed"><summary>{count(len(preview.removed), "note")} removed '
                     "since the last build (Anki keeps them: delete them by hand if you wish)</summary>"
                     f"<ul>{items}</ul></details>")
    return "\n".join(parts)


@dataclass(frozen=True, slots=True)
class PageFiles:
    """The files of a preview page (see CardsData for the last four)."""

    page: str
    """index.html"""
    data: str
    data_name: str
    update: str
    """For a live page only, else empty."""
    update_name: str


def page_files(preview: Preview, *, mathjax: str | None, changed_only: bool = False, build: str = "",
               live: bool = False, waiting: bool = False, data: CardsData | None = None) -> PageFiles:
    """Return the page for `preview` (only its new and edited cards with `changed_only`) and its
    cards' data. `live`: the page follows `deckgen watch`'s builds; `waiting`: it is the page
    shown until one succeeds (it reloads whole then); `data`: what writes the data, kept from one
    build to the next by the watcher."""
    page, page_css, page_js = _assets()
    cards = [c for c in preview.cards if c.status or not changed_only]
    script, script_name, update, update_name = (data or CardsData()).write(cards, update=live and not waiting)
    new = sum(1 for c in preview.cards if c.status == "new")
    edited = sum(1 for c in preview.cards if c.status == "edited")
    if preview.first_build:
        label, why = "changed: all (no build yet)", "no deckgen.lock yet: every card is new"
    elif new or edited:
        label = f"changed since the last build ({new} new, {edited} edited)"
        why = "new and edited notes, against deckgen.lock (the last build)"
    else:
        label, why = "changed since the last build (none)", "no note changed since the last build (deckgen.lock)"
    toc, decks = _decks(preview.title, cards)
    only = f"(only the new and edited, of {len(preview.cards)})" if changed_only else ""
    slots = {
        "title": html_text(preview.title),
        "card_css": CSS_NAME,
        "page_css": page_css,
        "container_css": container_css(preview.css),
        "build": escape(build),
        "mathjax": escape(mathjax or ""),
        "live": "1" if live else "",
        "waiting": " data-waiting" if waiting else "",
        "live_badge": '<span class="pv-live pv-off" id="pv-live">○ connecting…</span>' if live else "",
        "count": f"{len(cards)} cards",
        "changed_only": only,
        "changed_title": why,
        "changed_label": escape(label),
        "changed_disabled": "" if new or edited else " disabled",
        "toc": toc,
        "notes": _notes(preview),
        "decks": decks,
        "data": script_name,
        "update": update_name,
        "page_js": page_js,
    }
    return PageFiles(_SLOT.sub(lambda m: slots[m.group(1)], page), script, script_name, update, update_name)
