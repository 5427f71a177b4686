"""CJK-friendly emphasis: `**Batch Normalization(BN)**은` is bold, as a Korean reader means it.

CommonMark decides whether a run of `*`, `_` or `~` may open or close from the characters on
either side of it ("flanking"). A run with punctuation on its inner side only counts when
whitespace or punctuation is on its outer side: a rule made for languages that put spaces
between words. Korean attaches particles (은, 를, 이다) straight to the word and Chinese and
Japanese use no spaces at all, so the closing `**` after `)` and before 은 stays literal.

This is the CJK-friendly amendment of the flanking rules (the markdown-cjk-friendly
specification, Unicode data as this Python has it): a CJK character on the outer side lets
the punctuation on the inner side through, and CJK punctuation no longer blocks a run. A
variation selector after a character counts as part of it. Text without CJK characters or
variation selectors is scanned exactly as markdown-it-py scans it.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_right
from functools import partial, wraps

from markdown_it import MarkdownIt
from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace
from markdown_it.rules_inline import emphasis, strikethrough
from markdown_it.rules_inline.state_inline import Scanned, StateInline

# Wide characters that default to emoji presentation (UTS #51): an emoji is no CJK letter, it
# stays punctuation-like as in CommonMark. Only wide ones matter, so a range may span narrow
# or unassigned code points. Supplementary planes: everything wide from U+1F000 on, except the
# enclosed ideographs of U+1F200..U+1F2FF that are text by default (🈂, 🈐, ...).
_EMOJI_RANGES = (
    (0x231A, 0x231B), (0x23E9, 0x23EC), (0x23F0, 0x23F0), (0x23F3, 0x23F3),
    (0x25FD, 0x25FE), (0x2614, 0x2615), (0x2648, 0x2653), (0x267F, 0x267F),
    (0x2693, 0x2693), (0x26A1, 0x26A1), (0x26AA, 0x26AB), (0x26BD, 0x26BE),
    (0x26C4, 0x26C5), (0x26CE, 0x26CE), (0x26D4, 0x26D4), (0x26EA, 0x26EA),
    (0x26F2, 0x26F3), (0x26F5, 0x26F5), (0x26FA, 0x26FA), (0x26FD, 0x26FD),
    (0x2705, 0x2705), (0x270A, 0x270B), (0x2728, 0x2728), (0x274C, 0x274C),
    (0x274E, 0x274E), (0x2753, 0x2755), (0x2757, 0x2757), (0x2795, 0x2797),
    (0x27B0, 0x27B0), (0x27BF, 0x27BF), (0x2B1B, 0x2B1C), (0x2B50, 0x2B50),
    (0x2B55, 0x2B55),
    (0x1F000, 0x1F1FF), (0x1F201, 0x1F201), (0x1F21A, 0x1F21A), (0x1F22F, 0x1F22F),
    (0x1F232, 0x1F236), (0x1F238, 0x1F23A), (0x1F250, 0x1F251), (0x1F300, 0x1FAFF),
)
_EMOJI_STARTS = [lo for lo, _hi in _EMOJI_RANGES]

# Hangul counts whatever its width; these are the Hangul letters whose width is N (jungseong
# and jongseong jamo), the rest of the script is W or H.
_HANGUL_NEUTRAL = ((0x1160, 0x11FF), (0xD7B0, 0xD7C6), (0xD7CB, 0xD7FB))

# Unicode gives unassigned code points here width W (so an ideograph newer than this
# Python's Unicode data still counts); elsewhere N.
_WIDE_WHEN_UNASSIGNED = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3FFFD))

# U+FE00..U+FE0E select a glyph and belong to the character before them; U+FE0F asks for
# emoji presentation and is not one of them.
_VARIATION_SELECTORS = range(0xFE00, 0xFE0F)
# Ideographic variation selectors follow an ideograph, so one before a run stands for CJK.
_IDEOGRAPHIC_VARIATION_SELECTORS = range(0xE0100, 0xE01F0)
# ‘ ’ “ ” are of ambiguous width; followed by U+FE01 they ask for their fullwidth form, and
# then count as CJK punctuation.
_FULLWIDTH_SELECTOR = "\ufe01"
_AMBIGUOUS_QUOTES = "\u2018\u2019\u201c\u201d"


def _in(ranges: tuple[tuple[int, int], ...], cp: int) -> bool:
    return any(lo <= cp <= hi for lo, hi in ranges)


def _width(ch: str) -> str:
    """East Asian Width of `ch`; unicodedata reports every unassigned code point as F."""
    if unicodedata.category(ch) == "Cn":
        return "W" if _in(_WIDE_WHEN_UNASSIGNED, ord(ch)) else "N"
    return unicodedata.east_asian_width(ch)


def _emoji(cp: int) -> bool:
    i = bisect_right(_EMOJI_STARTS, cp) - 1
    return i >= 0 and cp <= _EMOJI_RANGES[i][1]


def is_cjk(ch: str) -> bool:
    """True for a CJK character: fullwidth, halfwidth or wide but no emoji, or Hangul."""
    if ch < "\u1100":  # nothing before the Hangul jamo is wide, fullwidth or halfwidth
        return False
    width = _width(ch)
    if width in ("F", "H"):
        return True
    if width == "W":
        return not _emoji(ord(ch))
    return _in(_HANGUL_NEUTRAL, ord(ch))


def _punct(ch: str) -> bool:
    """Unicode punctuation as markdown-it-py's own scan tests it (categories P and S)."""
    return isMdAsciiPunct(ord(ch)) or isPunctChar(ch)


def scan_delims(state: StateInline, start: int, canSplitWord: bool) -> Scanned:
    """StateInline.scanDelims with the CJK-friendly flanking rules."""
    src = state.src
    marker = src[start]
    pos = start
    while pos < state.posMax and src[pos] == marker:
        pos += 1
    after = src[pos] if pos < state.posMax else " "  # the end of the text counts as a space

    before = src[start - 1] if start > 0 else " "
    # A variation selector belongs to the character it follows, so that character is what
    # stands before the run; after a space (or a lone selector) the sequence means nothing
    # and the selector is taken as an ordinary letter, as CommonMark takes it.
    base = before
    selected = False
    if ord(before) in _VARIATION_SELECTORS and start > 1:
        prior = src[start - 2]
        if not isWhiteSpace(ord(prior)) and ord(prior) not in _IDEOGRAPHIC_VARIATION_SELECTORS:
            base, selected = prior, True

    before_space = isWhiteSpace(ord(base))
    before_punct = _punct(base)
    before_cjk = (
        is_cjk(base)
        or (selected and before == _FULLWIDTH_SELECTOR and base in _AMBIGUOUS_QUOTES)
        or (not selected and ord(before) in _IDEOGRAPHIC_VARIATION_SELECTORS)
    )
    before_other_punct = before_punct and not before_cjk

    after_space = isWhiteSpace(ord(after))
    after_punct = _punct(after)
    after_cjk = is_cjk(after)
    after_other_punct = after_punct and not after_cjk

    # CommonMark: not followed by whitespace, and followed by punctuation only when preceded
    # by whitespace or punctuation. Here only non-CJK punctuation after the run asks that,
    # and a CJK character before it answers it as well.
    left_flanking = not after_space and (
        not after_other_punct or before_space or before_other_punct or before_cjk
    )
    # The mirror image: non-CJK punctuation before the run needs whitespace, punctuation or a
    # CJK character after it.
    right_flanking = not before_space and (
        not before_other_punct or after_space or after_punct or after_cjk
    )

    # Intraword `_` stays literal as in CommonMark (rules 2, 4, 6 and 8 are unchanged).
    can_open = left_flanking and (canSplitWord or not right_flanking or before_punct)
    can_close = right_flanking and (canSplitWord or not left_flanking or after_punct)
    return Scanned(can_open, can_close, pos - start)


def _scanning_cjk_friendly(tokenize):
    """Wrap a delimiter rule so the inline state it runs on scans runs with scan_delims.

    markdown-it-py builds its inline state itself, so the scan is swapped on the state for the
    rule's call rather than on the class, which every other parser shares. It is taken off again
    after the call: kept on the state, it would tie the state to itself (a reference cycle), and
    every inline run's state would stay in memory until the garbage collector came by.
    """

    @wraps(tokenize)
    def rule(state: StateInline, silent: bool) -> bool:
        state.scanDelims = partial(scan_delims, state)
        try:
            return tokenize(state, silent)
        finally:
            del state.scanDelims

    return rule


def cjk_friendly_plugin(md: MarkdownIt) -> None:
    """Use the CJK-friendly flanking rules for emphasis and strikethrough runs."""
    md.inline.ruler.at("emphasis", _scanning_cjk_friendly(emphasis.tokenize))
    md.inline.ruler.at("strikethrough", _scanning_cjk_friendly(strikethrough.tokenize))
