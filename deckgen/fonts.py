"""The cards' own Korean font: fixed subsets of it, cut ahead and shipped, as content-named woff2 media.

Cards must not depend on the reader's system fonts (many Android phones and Linux desktops have no
Hangul font worth reading), and AnkiDroid keeps whole fonts in memory, so a deck embeds subsets:
the base subset of each weight (the everyday Hangul, ASCII and punctuation) and, for the characters
beyond it that its cards use, the blocks that hold them (Latin, Greek and Cyrillic, symbols, 512
Hangul syllables, ...).

Every deckgen deck shares one notetype, and Anki keeps the CSS of one package for all of them, so
the CSS must not depend on a deck: it names every block of every weight, each with the
`unicode-range` of the characters it holds. A block is loaded only for a card that shows one of
its characters, and a deck ships the blocks its cards use, so a file the CSS names and a deck does
not ship is never asked for by that deck's cards. The blocks, their files and their ranges are
fixed per deckgen release: `python -m deckgen.fonts` cuts them from the fonts in templates/fonts/
and writes them, with their manifest, into templates/fonts/subsets/. Building cuts no font.
"""

from __future__ import annotations

import bisect
import hashlib
import html
import io
import json
import os
import re
import shutil
import string
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from deckgen.errors import DeckgenError
from deckgen.model import Note, NoteFile
from deckgen.notetype import templates_dir

FAMILY = "Deckgen KR"
"""The family name the CSS uses (and the subset's own name: the OFL reserves "Pretendard")."""
_POSTSCRIPT = "DeckgenKR"
_WEIGHTS = {400: ("regular", "Pretendard-Regular.otf"), 700: ("bold", "Pretendard-Bold.otf")}
_SUBSET_FORMAT = "4"  # bump when the subsetting options change (the shipped files are then cut anew)
MANIFEST = "blocks.json"
# The base set, in every deck's base subsets: the 2,350 Hangul syllables of KS X 1001 (the everyday
# set), the modern compatibility jamo (ㅋㅋ, ㄱ-ㅎ; the font lacks the archaic ones), ASCII and common
# punctuation. Every deck ships the same files; a rarer syllable or a symbol is in a block.
_KS_X_1001_HANGUL = bytes(
    byte for hi in range(0xB0, 0xC9) for lo in range(0xA1, 0xFF) for byte in (hi, lo)
).decode("euc-kr")
_EXTRA = (
    string.printable.strip() + " \u00a0"
    + "‘’“”…·•–—―※→←↑↓↔⇒×÷±≤≥≠≈∞°%‰′″"
    + "「」『』《》〈〉【】〔〕（）［］｛｝、。，．：；！？～·ㆍ"
    + "".join(chr(c) for c in range(0x3131, 0x318F))
    + _KS_X_1001_HANGUL
)
_TAG = re.compile(r"<[^>]*>")

# The blocks: every character the font draws beyond the base set is in the first block whose code
# points include it. Fixed: a block's file name and range are part of every deck's CSS.
BLOCKS: tuple[tuple[str, tuple[tuple[int, int], ...]], ...] = (
    ("latin", ((0x0080, 0x024F),)),
    ("latin-ext", ((0x0250, 0x036F), (0x1D00, 0x1DFF), (0x1E00, 0x1EFF), (0x2C60, 0x2C7F), (0xA720, 0xA7FF))),
    ("greek-cyrillic", ((0x0370, 0x052F), (0x1F00, 0x1FFF), (0x2DE0, 0x2DFF), (0xA640, 0xA69F))),
    ("punctuation", ((0x2000, 0x218F), (0x2E00, 0x2E7F))),
    ("symbols", ((0x2190, 0x2BFF), (0x1F800, 0x1F8FF))),
    ("cjk", ((0x3000, 0x30FF), (0x3190, 0x33FF), (0xFE10, 0xFE6F), (0xFF00, 0xFFEF), (0x1F100, 0x1F2FF))),
    *((f"hangul-{lo:x}", ((lo, min(lo + 0x1FF, 0xD7A3)),)) for lo in range(0xAC00, 0xD7A4, 0x200)),
    ("private", ((0xE000, 0xF8FF), (0xF0000, 0x10FFFF))),
    ("other", ((0x0000, 0x10FFFF),)),  # whatever else the font draws
)


@dataclass(frozen=True, slots=True)
class FontFile:
    """One embedded subset: its weight, the file Anki receives (named as the media name), and the
    CSS unicode-range of its block ("" for a base subset, which holds no range)."""

    weight: int
    path: Path
    unicode_range: str = ""


@dataclass(frozen=True, slots=True)
class Block:
    """A fixed block of the font: its name, the spans of code points it holds, its file per weight."""

    name: str
    spans: tuple[tuple[int, int], ...]
    files: dict[int, Path]


BASE_CHARS = frozenset(c for c in _EXTRA if c.isprintable() or c in " \u00a0")
"""The characters every deck's base subset holds (those of them the font has)."""


def card_text(files: list[NoteFile]) -> str:
    """Return each character a reader sees on the deck's cards once (tags stripped, entities decoded)."""
    seen: set[str] = set()
    for f in files:
        seen |= file_chars(f) if f.chars is None else f.chars
    return "".join(sorted(seen))


def file_chars(file: NoteFile, last: dict[tuple, frozenset[str]] | None = None,
               kept: dict[tuple, frozenset[str]] | None = None) -> frozenset[str]:
    """Return the characters a reader sees on one file's cards, and in its name (the Source field).

    `last`: each note's characters by its texts, as the file's last parse left them in `kept` (a
    process that keeps its parses: a note an edit did not reach is not read again)."""
    seen = set(file.source.rel)
    for note in file.notes:
        texts = (note.question, note.answer, note.context, note.keywords)
        chars = last.get(texts) if last else None
        if chars is None:
            chars = _note_chars(note)
        if kept is not None:
            kept[texts] = chars
        seen |= chars
    return frozenset(seen)


def _note_chars(note: Note) -> frozenset[str]:
    seen: set[str] = set()
    for fragment in (note.question, note.answer, note.context):
        seen.update(html.unescape(_TAG.sub(" ", fragment)) if "<" in fragment or "&" in fragment else fragment)
    for word in note.keywords:
        seen.update(word)
    return frozenset(seen)


# -- What a build uses: the shipped files, read from their manifest ----------------------------


def shipped_dir() -> Path:
    """Return the folder of the subsets cut ahead and shipped with deckgen."""
    return templates_dir() / "fonts" / "subsets"


@lru_cache(maxsize=1)
def _manifest() -> tuple[dict[int, Path], tuple[Block, ...]]:
    """Return the base file of each weight and the blocks, as the shipped manifest lists them."""
    path = shipped_dir() / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        base = {int(w): shipped_dir() / name for w, name in data["base"].items()}
        blocks = tuple(
            Block(b["name"], tuple((lo, hi) for lo, hi in b["spans"]),
                  {int(w): shipped_dir() / name for w, name in b["files"].items()})
            for b in data["blocks"]
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DeckgenError(f"error: the font subsets of this deckgen installation cannot be read ({path}: {exc}); "
                           "reinstall deckgen, or run `python -m deckgen.fonts` in a source checkout") from exc
    return base, blocks


def blocks() -> tuple[Block, ...]:
    """Return every block of the font beyond the base set, in their fixed order."""
    return _manifest()[1]


@lru_cache(maxsize=1)
def _index() -> tuple[list[int], list[int], list[int]]:
    """Span starts, span ends and the block of each span, ordered by start, to find a code point."""
    spans = sorted((lo, hi, n) for n, block in enumerate(blocks()) for lo, hi in block.spans)
    return [s[0] for s in spans], [s[1] for s in spans], [s[2] for s in spans]


def block_of(char: str) -> int | None:
    """Return the index of the block drawing `char`, or None (a base character, or one no block has)."""
    if char in BASE_CHARS:
        return None
    starts, ends, which = _index()
    point = ord(char)
    i = bisect.bisect_right(starts, point) - 1
    return which[i] if i >= 0 and point <= ends[i] else None


@lru_cache(maxsize=1)  # the same for every build: `deckgen watch` asks on every save
def faces() -> tuple[FontFile, ...]:
    """Every face the CSS names, in the order of its rules: the base one of each weight, then each
    block of each weight, whose unicode-range holds exactly the characters of its file."""
    base, all_blocks = _manifest()
    return tuple([FontFile(weight, base[weight]) for weight in sorted(_WEIGHTS)] + [
        FontFile(weight, block.files[weight], unicode_range(block.spans))
        for block in all_blocks for weight in sorted(_WEIGHTS)])


def deck_fonts(files: list[NoteFile]) -> list[FontFile]:
    """Return the subsets a deck ships: the base ones, and every block its cards use, in each weight."""
    used = {n for c in card_text(files) if (n := block_of(c)) is not None}
    shipped = {face.path: face for face in faces()}
    wanted = [*_manifest()[0].values(), *(path for n in sorted(used) for path in blocks()[n].files.values())]
    return [shipped[path] for path in wanted]


def font_face_css(fonts: Sequence[FontFile]) -> str:
    """Return @font-face rules naming the subsets by their exact media names, in the given order."""
    rules = []
    for font in fonts:
        only = f" unicode-range: {font.unicode_range};" if font.unicode_range else ""
        rules.append(
            f'@font-face {{ font-family: "{FAMILY}"; src: url("{font.path.name}") format("woff2"); '
            f"font-weight: {font.weight}; font-style: normal; font-display: block;{only} }}"
        )
    return "\n".join(rules) + "\n"


def unicode_range(spans) -> str:
    """Return a CSS unicode-range for sorted spans of code points, or for sorted characters."""
    if isinstance(spans, str):
        spans = _spans(sorted(map(ord, spans)))
    return ", ".join(f"U+{a:X}" if a == b else f"U+{a:X}-{b:X}" for a, b in spans)


def _spans(points) -> list[tuple[int, int]]:
    """Join sorted code points into spans of consecutive ones."""
    spans: list[list[int]] = []
    for point in points:
        if spans and point == spans[-1][1] + 1:
            spans[-1][1] = point
        else:
            spans.append([point, point])
    return [(a, b) for a, b in spans]


# -- Cutting them: `python -m deckgen.fonts` ----------------------------------------------------


def source_font(weight: int) -> Path:
    """Return the full font file a weight is cut from."""
    return templates_dir() / "fonts" / _WEIGHTS[weight][1]


@lru_cache(maxsize=8)
def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _key(weight: int, chars: str) -> str:
    return "-".join((
        _file_hash(source_font(weight))[:16],
        hashlib.sha256(chars.encode("utf-8")).hexdigest()[:16],
        _SUBSET_FORMAT,
    ))


def plan_blocks() -> list[tuple[str, str, tuple[tuple[int, int], ...]]]:
    """Split what the font draws beyond the base set into the blocks: (name, characters, spans).

    A block's spans are exactly its characters: a browser fetches a block only for a character
    that it holds (never for a base character between two of its own).
    """
    cmap = _font_cmap(400)
    if cmap != _font_cmap(700):
        raise DeckgenError("error: the regular and bold fonts draw different characters; the blocks need one set")
    base = frozenset(map(ord, BASE_CHARS)) & cmap
    owned: dict[str, list[int]] = {name: [] for name, _ in BLOCKS}
    for point in sorted(cmap - base):
        name = next(name for name, ranges in BLOCKS if any(lo <= point <= hi for lo, hi in ranges))
        owned[name].append(point)
    return [(name, "".join(map(chr, points)), tuple(_spans(points)))
            for name, points in owned.items() if points]


def write_shipped() -> list[Path]:
    """Cut the base subsets and every block of each weight into shipped_dir(), with the manifest,
    replacing what was there."""
    import multiprocessing

    base = "".join(sorted(BASE_CHARS))
    planned = plan_blocks()
    jobs = [(weight, "", base) for weight in sorted(_WEIGHTS)]
    jobs += [(weight, name, chars) for name, chars, _ in planned for weight in sorted(_WEIGHTS)]
    with multiprocessing.get_context("spawn").Pool(os.cpu_count() or 1) as pool:
        cut = pool.starmap(_make_subset, [(source_font(w), chars, w) for w, _, chars in jobs])
    shutil.rmtree(shipped_dir(), ignore_errors=True)
    written = {(weight, name): _write(weight, name, chars, data)
               for (weight, name, chars), data in zip(jobs, cut, strict=True)}

    def rel(path: Path) -> str:
        return path.relative_to(shipped_dir()).as_posix()

    manifest = {
        "written by": "python -m deckgen.fonts",
        "fonts": {str(w): {"file": _WEIGHTS[w][1], "sha256": _file_hash(source_font(w))} for w in sorted(_WEIGHTS)},
        "format": _SUBSET_FORMAT,
        "base": {str(w): rel(written[w, ""]) for w in sorted(_WEIGHTS)},
        "blocks": [{"name": name, "spans": [list(s) for s in spans],
                    "files": {str(w): rel(written[w, name]) for w in sorted(_WEIGHTS)}}
                   for name, _, spans in planned],
    }
    (shipped_dir() / MANIFEST).write_text(manifest_text(manifest), encoding="utf-8")
    _manifest.cache_clear()
    _index.cache_clear()
    return [*written.values(), shipped_dir() / MANIFEST]


def manifest_text(manifest: dict) -> str:
    """The manifest as JSON, one line a block."""
    head = json.dumps({k: v for k, v in manifest.items() if k != "blocks"}, indent=1)
    blocks = ",\n".join("  " + json.dumps(b, separators=(", ", ": ")) for b in manifest["blocks"])
    return f'{head[:-2]},\n "blocks": [\n{blocks}\n ]\n}}\n'


def _write(weight: int, block: str, chars: str, data: bytes) -> Path:
    """Write a subset into the shipped folder, named by its weight, block and content hash."""
    label = _WEIGHTS[weight][0] + (f"-{block}" if block else "")
    folder = shipped_dir() / _key(weight, chars)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"_dg-kr-{label}-{hashlib.sha256(data).hexdigest()[:10]}.woff2"
    path.write_bytes(data)
    return path


@lru_cache(maxsize=4)
def _font_cmap(weight: int) -> frozenset[int]:
    """Return the code points the full font of `weight` draws."""
    from fontTools.ttLib import TTFont

    with TTFont(source_font(weight), lazy=True) as font:
        return frozenset(font.getBestCmap())


def _make_subset(source: Path, chars: str, weight: int) -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff2"
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14]
    options.name_languages = [0x409]
    # Hangul syllables are precomposed: kerning and Korean local forms are all the cards need, and
    # every further OpenType feature costs subsetting time on a CJK-sized font.
    options.layout_features = ["kern", "locl"]
    # Plain charstrings compress better with WOFF2's Brotli than CFF subroutines (about 10% smaller).
    options.desubroutinize = True
    # recalcTimestamp=False: the same characters must give the same bytes (and media name).
    # recalcBBoxes=False: the original bounds still hold for a subset, and recomputing them means
    # drawing every CFF glyph (a third of the time).
    font = TTFont(source, recalcTimestamp=False, recalcBBoxes=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    subsetter.subset(font)
    _rename(font, weight)
    font.flavor = "woff2"
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def _rename(font, weight: int) -> None:
    """Name the subset "Deckgen KR": the OFL forbids the reserved name on a modified font."""
    style = "Bold" if weight == 700 else "Regular"
    ps_name = f"{_POSTSCRIPT}-{style}"
    names = font["name"]
    for record in list(names.names):
        if record.nameID in (16, 17):
            names.removeNames(nameID=record.nameID)
    for name_id, value in ((1, FAMILY), (2, style), (3, f"{ps_name};deckgen subset"),
                           (4, f"{FAMILY} {style}"), (6, ps_name)):
        names.setName(value, name_id, 3, 1, 0x409)
    if "CFF " in font:
        cff = font["CFF "].cff
        top = cff.topDictIndex[0]
        cff.fontNames = [ps_name]
        top.FamilyName = FAMILY
        top.FullName = f"{FAMILY} {style}"


if __name__ == "__main__":
    for made in write_shipped():
        print(made.relative_to(templates_dir().parent))
