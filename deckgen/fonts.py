"""The deck's own Korean font: subset to the characters its cards use, as content-named woff2 media.

Cards must not depend on the reader's system fonts (many Android phones and Linux desktops have no
Hangul font worth reading), and AnkiDroid keeps whole fonts in memory, so a deck embeds a subset:
the everyday set of Hangul, ASCII and punctuation (the base subset), plus, when its cards use
characters beyond it that the font has, a small added subset of just those (named in the CSS by
`unicode-range`). Cutting a CJK font takes seconds, so subsets are cached on disk by (font file,
character set); the base subsets ship with deckgen, cut ahead (`python -m deckgen.fonts`), so a
first build on a new machine cuts nothing unless its cards need more than the base.
"""

from __future__ import annotations

import atexit
import hashlib
import html
import io
import os
import re
import shutil
import string
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from deckgen.cache import cache_dir
from deckgen.errors import DeckgenError, ignore_interrupts
from deckgen.model import NoteFile
from deckgen.notetype import templates_dir

FAMILY = "Deckgen KR"
"""The family name the CSS uses (and the subset's own name: the OFL reserves "Pretendard")."""
_POSTSCRIPT = "DeckgenKR"
_WEIGHTS = {400: ("regular", "Pretendard-Regular.otf"), 700: ("bold", "Pretendard-Bold.otf")}
_SUBSET_FORMAT = "4"  # bump when the subsetting options change, to invalidate cached subsets
# The base set, in every deck's base subsets: the 2,350 Hangul syllables of KS X 1001 (the everyday
# set), the modern compatibility jamo (ㅋㅋ, ㄱ-ㅎ; the font lacks the archaic ones), ASCII and common
# punctuation. Every deck then shares the same files, cut ahead; a deck using a rarer syllable or a
# symbol gets it in a small added subset.
_KS_X_1001_HANGUL = "".join(
    bytes([hi, lo]).decode("euc-kr") for hi in range(0xB0, 0xC9) for lo in range(0xA1, 0xFF)
)
_EXTRA = (
    string.printable.strip() + " \u00a0"
    + "‘’“”…·•–—―※→←↑↓↔⇒×÷±≤≥≠≈∞°%‰′″"
    + "「」『』《》〈〉【】〔〕（）［］｛｝、。，．：；！？～·ㆍ"
    + "".join(chr(c) for c in range(0x3131, 0x318F))
    + _KS_X_1001_HANGUL
)
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True, slots=True)
class FontFile:
    """One embedded subset: its weight, the file Anki receives (named as the media name) and, for an
    added subset, the characters it holds (its CSS unicode-range); "" for a base subset."""

    weight: int
    path: Path
    chars: str = ""


BASE_CHARS = frozenset(c for c in _EXTRA if c.isprintable() or c in " \u00a0")
"""The characters every deck's base subset holds (those of them the font has)."""


def card_text(files: list[NoteFile]) -> str:
    """Return each character a reader sees on the deck's cards once (tags stripped, entities decoded)."""
    seen: set[str] = set()
    for f in files:
        seen |= file_chars(f) if f.chars is None else f.chars
    return "".join(sorted(seen))


def file_chars(file: NoteFile) -> frozenset[str]:
    """Return the characters a reader sees on one file's cards, and in its name (the Source field)."""
    seen = set(file.source.rel)
    for note in file.notes:
        for fragment in (note.question, note.answer, note.context):
            seen.update(html.unescape(_TAG.sub(" ", fragment)) if "<" in fragment or "&" in fragment
                        else fragment)
        for word in note.keywords:
            seen.update(word)
    return frozenset(seen)


def added_chars(text: str, weight: int) -> str:
    """Return, sorted, the characters of `text` beyond the base set that the font of `weight` has."""
    beyond = {c for c in text if c not in BASE_CHARS and c.isprintable()}
    if not beyond:
        return ""
    cmap = _font_cmap(weight)
    return "".join(sorted(c for c in beyond if ord(c) in cmap))


def subset_fonts(files: list[NoteFile]) -> list[FontFile]:
    """Return the deck's font subsets: base regular and bold, then any added ones, made or cached."""
    text = card_text(files)
    base = "".join(sorted(BASE_CHARS))
    wanted = [(weight, base, "") for weight in sorted(_WEIGHTS)]
    wanted += [(weight, chars, chars) for weight in sorted(_WEIGHTS) if (chars := added_chars(text, weight))]
    found = {(weight, chars): _lookup(weight, chars) for weight, chars, _ in wanted}
    missing = [key for key, path in found.items() if path is None]
    if missing:
        # Cutting a CJK font takes seconds and tens of MB: cut each subset in a fresh process,
        # one a core, so the build's own process never holds the whole font.
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        with context.Pool(min(len(missing), os.cpu_count() or 1), initializer=ignore_interrupts) as pool:
            cut = pool.starmap(_make_subset, [(source_font(w), chars, w) for w, chars in missing])
        for (weight, chars), data in zip(missing, cut, strict=True):
            found[weight, chars] = _store(weight, chars, data)
    return [FontFile(weight, found[weight, chars], shown) for weight, chars, shown in wanted]


def font_face_css(fonts: list[FontFile]) -> str:
    """Return @font-face rules naming the subsets by their exact media names.

    An added subset comes after the base one of its weight, with a unicode-range: browsers look
    for a character in the last matching rule first and fetch the file only when a card needs it.
    """
    rules = []
    for font in fonts:
        only = f" unicode-range: {unicode_range(font.chars)};" if font.chars else ""
        rules.append(
            f'@font-face {{ font-family: "{FAMILY}"; src: url("{font.path.name}") format("woff2"); '
            f"font-weight: {font.weight}; font-style: normal; font-display: block;{only} }}"
        )
    return "\n".join(rules) + "\n"


def unicode_range(chars: str) -> str:
    """Return a CSS unicode-range for the sorted `chars`, consecutive code points as one span."""
    spans: list[list[int]] = []
    for point in map(ord, chars):
        if spans and point == spans[-1][1] + 1:
            spans[-1][1] = point
        else:
            spans.append([point, point])
    return ", ".join(f"U+{a:X}" if a == b else f"U+{a:X}-{b:X}" for a, b in spans)


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


def _lookup(weight: int, chars: str) -> Path | None:
    """Return the cached subset for these characters, if there is one."""
    key, label = _key(weight, chars), _WEIGHTS[weight][0]
    found = _cached(shipped_dir() / key, label)
    for root in () if found is not None else _cache_roots():  # lazily: the last root is made on use
        found = _cached(root / key, label)
        if found is not None:
            break
    return found


def _store(weight: int, chars: str, data: bytes) -> Path:
    """Put a freshly cut subset in the cache (or a folder of this process) and return its path."""
    return _write(_cache_roots(), weight, chars, data)


def _write(roots, weight: int, chars: str, data: bytes) -> Path:
    """Write a subset under the first of `roots` that takes it, named by its content hash."""
    label = _WEIGHTS[weight][0] + ("" if set(chars) == BASE_CHARS else "-x")
    key = _key(weight, chars)
    name = f"_dg-kr-{label}-{hashlib.sha256(data).hexdigest()[:10]}.woff2"
    problem = None
    for root in roots:
        folder, tmp = root / key, None
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, folder / name)
            return folder / name
        except OSError as exc:  # an unwritable cache: try the next place
            problem = exc
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
    raise DeckgenError(f"error: cannot write the font subsets: {problem}")


def _cached(folder: Path, label: str) -> Path | None:
    """Return the cached subset in `folder` if it is intact (its name carries its content hash)."""
    try:
        candidates = sorted(folder.glob(f"_dg-kr-{label}-*.woff2"))
    except OSError:
        return None
    for path in candidates:
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
        except OSError:
            continue
        if path.stem.endswith(digest):
            return path
    return None


def shipped_dir() -> Path:
    """Return the folder of subsets cut ahead and shipped with deckgen: a read-only cache."""
    return templates_dir() / "fonts" / "subsets"


def write_shipped() -> list[Path]:
    """Cut the base subsets of every weight into shipped_dir(), replacing what was there."""
    base = "".join(sorted(BASE_CHARS))
    shutil.rmtree(shipped_dir(), ignore_errors=True)
    return [_write([shipped_dir()], weight, base, _make_subset(source_font(weight), base, weight))
            for weight in sorted(_WEIGHTS)]


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


def _cache_roots():
    """Yield the cache folder, then a folder that lives as long as this process (cache unwritable)."""
    yield cache_dir()
    yield _process_folder()


@lru_cache(maxsize=1)
def _process_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="deckgen-fonts-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


if __name__ == "__main__":
    for made in write_shipped():
        print(made.relative_to(templates_dir().parent))
