"""Math for a MathJax that runs without its `safe` extension, as Anki's and AnkiDroid's do.

Anki typesets every `\\(..\\)` and `\\[..\\]` on the card with MathJax 3, which autoloads its `html`
extension: `\\href{javascript:…}{x}` becomes a link that runs script, `\\style{position:fixed;…}{x}`
covers the card, `\\class` and `\\cssId` restyle it with the card's own CSS. The commands below are
refused: each is taken out with its arguments and the math it wraps is kept, in braces
(`\\href{u}{x}` gives `{x}`), so the formula still reads the same.

| refused | why | kept |
|---|---|---|
| `\\href{url}{math}`, `\\url{url}` | a link (`javascript:`, `data:`) | the math |
| `\\style`, `\\class`, `\\cssId` `{..}{math}` (html); `\\htmlStyle`, `\\htmlClass`, `\\htmlId`, `\\htmlData` (KaTeX names); `\\data` (MathJax 4) | any CSS, class, id or data attribute | the math |
| `\\bbox[options]{math}` when an option is a CSS declaration or a padding over 3em | any CSS | the math |
| `\\mmlToken{kind}[attributes]{text}` | a MathML token with any attribute (style, href) | the text |
| `\\unicode[..][font]{n}` | a character in any font | the character, unless it is a control or a TeX special |
| `\\require{ext}`, `\\setOptions[..]{..}`, `\\mathtoolsset{..}` | loads extensions or changes options for every card | nothing |

MathJax reads a command's name as the ASCII letters after a backslash and never joins two pieces
into one name (macro arguments are substituted with a space after a command word), so finding the
names in the text finds every use, also inside `\\def`, `\\text` or `\\ce`. Replacements always
leave braces, so taking a command out cannot glue letters onto the command before it.
"""

from __future__ import annotations

import bisect
import html
import re
import unicodedata
from dataclasses import dataclass

_LINK = "a link in math could run script on the card"
_ATTR = "a style, class or id in math could cover or restyle the card"
_TOKEN = "a MathML token in math can carry any attribute (a style, a link)"
_FONT = "\\unicode can set any font; the character itself is kept"
_LOAD = "loading MathJax extensions or changing its options from a card is not allowed"


@dataclass(frozen=True, slots=True)
class _Spec:
    args: str
    """The arguments MathJax reads, in order: "m" a mandatory one, "o" an optional [..] one."""
    keep: int | None
    """Which argument's math stays (in braces); None: nothing does."""
    why: str


_SPECS = {
    "href": _Spec("mm", 1, _LINK),
    "url": _Spec("m", None, _LINK),
    "style": _Spec("mm", 1, _ATTR),
    "class": _Spec("mm", 1, _ATTR),
    "cssId": _Spec("mm", 1, _ATTR),
    "data": _Spec("mm", 1, _ATTR),
    "htmlStyle": _Spec("mm", 1, _ATTR),
    "htmlClass": _Spec("mm", 1, _ATTR),
    "htmlId": _Spec("mm", 1, _ATTR),
    "htmlData": _Spec("mm", 1, _ATTR),
    "bbox": _Spec("om", 1, _ATTR),
    "mmlToken": _Spec("mom", 2, _TOKEN),
    "unicode": _Spec("oom", None, _FONT),
    "require": _Spec("m", None, _LOAD),
    "setOptions": _Spec("om", None, _LOAD),
    "mathtoolsset": _Spec("m", None, _LOAD),
}
REFUSED = frozenset(_SPECS)
"""The names of the refused commands (without the backslash)."""

_ANY = re.compile(r"\\(?:" + "|".join(sorted(_SPECS, key=len, reverse=True)) + r")(?![A-Za-z])")
_CS = re.compile(r"\\(?:([A-Za-z]+)|.)", re.S)
# What can open math for MathJax: Anki's delimiters, and `$$` and environments, which other
# MathJax configurations (an older AnkiDroid, MathJax's defaults) also read.
_OPENERS = re.compile(r"\\\(|\\\[|\\begin|\$\$")
# JavaScript's \s, which MathJax skips before an argument.
_SPACES = frozenset(" \t\n\r\f\v\u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff") | frozenset(
    chr(c) for c in range(0x2000, 0x200B)
)
_CODE_POINT = re.compile(r"x[0-9A-Fa-f]{1,8}|[0-9]{1,9}")
_TEX_SPECIAL = frozenset("\\{}$&#^_%~")
_BBOX_COLOR = re.compile(r"[A-Za-z0-9]+|#[0-9A-Fa-f]{6}|#[0-9A-Fa-f]{3}")
_BBOX_PADDING = re.compile(r"(\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(pt|em|ex|mu|px|in|cm|mm)")
_EM = {"em": 1.0, "ex": 0.431, "pt": 0.1, "px": 1 / 16, "mu": 1 / 18, "in": 7.2, "cm": 7.2 / 2.54,
       "mm": 7.2 / 25.4}
_MAX_PADDING_EM = 3.0  # what MathJax's safe extension allows (its lengthMax)


@dataclass(frozen=True, slots=True)
class Cleaned:
    """Math (or HTML holding math) with the refused commands taken out."""

    text: str
    refused: tuple[str, ...]
    """The refused commands that were taken out, each named once, in the order they came."""


def why(name: str) -> str:
    """Say why a refused command is taken out, for a warning."""
    return _SPECS[name].why


def message(name: str) -> str:
    """The warning for one refused command."""
    spec = _SPECS[name]
    kept = " (the math it wraps is kept)" if spec.keep is not None else ""
    return f"math command \\{name} removed{kept}: {spec.why}"


def neutralise(tex: str) -> Cleaned:
    """Take the refused commands out of TeX (the content of one `\\(..\\)` or `\\[..\\]`)."""
    if "\\" not in tex or not _ANY.search(tex):
        return Cleaned(tex, ())
    edits, refused = _scan(tex, 0, [len(tex)])
    return Cleaned(_apply(tex, edits), tuple(dict.fromkeys(refused)))


@dataclass(frozen=True, slots=True)
class _Arg:
    inner: int
    """Where its content starts (after `{` or `[`; the token itself when not in braces)."""
    end: int
    """Where its content ends."""
    after: int
    """Where MathJax goes on reading."""


@dataclass(frozen=True, slots=True)
class _Edit:
    start: int
    end: int
    text: str


def _skip(s: str, k: int, end: int) -> int:
    while k < end and s[k] in _SPACES:
        k += 1
    return k


def _argument(s: str, k: int, end: int) -> _Arg | None:
    """Read a mandatory argument as MathJax's GetArgument does; None where it reports one missing."""
    k = _skip(s, k, end)
    if k >= end or s[k] == "}":
        return None
    if s[k] == "{":
        depth, p = 0, k
        while p < end:
            c = s[p]
            if c == "\\":
                p += 2
                continue
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    return _Arg(k + 1, p, p + 1)
            p += 1
        return _Arg(k + 1, end, end)  # never closed: MathJax fails; everything up to here goes
    if s[k] == "\\":
        m = _CS.match(s, k)
        stop = min(m.end() if m else k + 1, end)
        return _Arg(k, stop, stop)
    return _Arg(k, k + 1, k + 1)


def _brackets(s: str, k: int, end: int) -> _Arg | None:
    """Read an optional `[..]` argument as MathJax's GetBrackets does; None if there is none."""
    k = _skip(s, k, end)
    if k >= end or s[k] != "[":
        return None
    depth, p = 0, k + 1
    while p < end:
        c = s[p]
        if c == "\\":
            p += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            if depth == 0:
                return _Arg(k + 1, p, p)  # MathJax stops with an error here
            depth -= 1
        elif c == "]" and depth == 0:
            return _Arg(k + 1, p, p + 1)
        p += 1
    return _Arg(k + 1, end, end)


def _bbox_safe(options: str) -> bool:
    """Tell whether `\\bbox[options]` sets only a background colour and a small padding."""
    for part in options.split(","):
        part = part.strip()
        if m := _BBOX_PADDING.fullmatch(part):  # MathJax reads a padding first, then a colour
            if float(m.group(1)) * _EM[m.group(2)] > _MAX_PADDING_EM:
                return False
        elif part and not _BBOX_COLOR.fullmatch(part):
            return False
    return True


def _character(s: str, arg: _Arg | None) -> str:
    """The character `\\unicode{n}` asks for, when it is one that is safe to write as it is."""
    if arg is None:
        return ""
    n = s[arg.inner:arg.end].strip()
    n = "x" + n[2:] if n.startswith("0x") else n
    if not _CODE_POINT.fullmatch(n):
        return ""
    code = int(n[1:], 16) if n[0] == "x" else int(n)
    if not 0 < code <= 0x10FFFF:
        return ""
    char = chr(code)
    if char in _TEX_SPECIAL or unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
        return ""
    return char


def _scan(s: str, start: int, run_ends: list[int]) -> tuple[list[_Edit], list[str]]:
    """Find the refused commands from `start` on; arguments never reach past the end of their run
    (`run_ends`, sorted: where MathJax's text stops, e.g. at an HTML element)."""
    edits: list[_Edit] = []
    refused: list[str] = []
    i = start
    while (j := s.find("\\", i)) >= 0:
        m = _CS.match(s, j)
        if m is None:  # a backslash at the very end
            break
        spec = _SPECS.get(m.group(1) or "")
        if spec is None:
            i = m.end()
            continue
        name = m.group(1)
        end = run_ends[min(bisect.bisect_right(run_ends, j), len(run_ends) - 1)]
        k = m.end()
        args: list[_Arg | None] = []
        for kind in spec.args:
            arg = _brackets(s, k, end) if kind == "o" else _argument(s, k, end)
            args.append(arg)
            if arg is not None:
                k = arg.after
            elif kind == "m":
                break  # MathJax stops at the missing argument; so does this
        if name == "bbox" and (args[0] is None or _bbox_safe(s[args[0].inner:args[0].end])):
            i = m.end()  # a colour and a padding only: nothing to refuse
            continue
        refused.append(name)
        kept = args[spec.keep] if spec.keep is not None and len(args) > spec.keep else None
        if kept is None:
            text = _character(s, args[-1] if len(args) == len(spec.args) else None) if name == "unicode" else ""
            edits.append(_Edit(j, k, "{" + text + "}"))
            i = k
            continue
        # `\href{u}{x}` -> `{x}`: what comes before the kept math goes, its braces stay (or are
        # added around a single token), and the kept math is read on for refused commands.
        edits.append(_Edit(j, kept.inner, "{"))
        closing = _Edit(kept.end, kept.after, "}")
        inner_edits, inner_refused = _scan(s[:kept.end], kept.inner, [kept.end])
        edits.extend(inner_edits)
        refused.extend(inner_refused)
        edits.append(closing)
        i = kept.after
    return edits, refused


def _apply(s: str, edits: list[_Edit]) -> str:
    out: list[str] = []
    at = 0
    for e in edits:
        out.append(s[at:e.start])
        out.append(e.text)
        at = e.end
    out.append(s[at:])
    return "".join(out)


# --- math inside HTML: a card field ---------------------------------------------------------

_UNIT = re.compile(
    r"(?P<comment><!--.*?(?:-->|$))"
    r"|(?P<tag><[A-Za-z/!?](?:[^>\"']|\"[^\"]*\"|'[^']*')*>)"
    r"|(?P<entity>&(?:#[0-9]+;?|#[xX][0-9A-Fa-f]+;?|[A-Za-z][A-Za-z0-9]*;?))"
    r"|(?P<text>[^<&]+|[<&])",
    re.S,
)
_TAG_NAME = re.compile(r"<(/?)([A-Za-z][^\s/>]*)")
# Elements whose text MathJax never typesets (its skipHtmlTags).
_SKIPPED = frozenset({"code", "pre", "script", "noscript", "style", "textarea", "annotation", "annotation-xml"})
# Elements MathJax reads as part of the text around them (its includeHtmlTags); any other element
# ends the text that math can span.
_JOINED = {"br": "\n", "wbr": ""}
# A class that makes MathJax typeset inside code or pre (Anki's, MathJax 2's and 3's defaults;
# MathJax matches it case by case).
_PROCESS_CLASS = re.compile(r"(?:tex2jax|mathjax)_process")
_CLASS_ATTR = re.compile(r"""(\sclass\s*=\s*)("[^"]*"|'[^']*'|[^\s>]+)""", re.I)


@dataclass(slots=True)
class _Piece:
    start: int
    end: int
    raw: str
    kind: str  # "text": its characters are the text; "atom": one entity or <br>; "tag": outside the text


def neutralise_html(fragment: str) -> Cleaned:
    """Take the refused commands out of the math MathJax would find in an HTML fragment.

    The text is read as MathJax reads it (entities decoded, `<br>` as a line break, code and pre
    skipped), from the first place math can start; classes that would make MathJax typeset inside
    code are removed.
    """
    if "_process" in fragment and _PROCESS_CLASS.search(fragment):
        fragment = _CLASS_ATTR.sub(_without_process_class, fragment)
    if "\\" not in fragment and "&" not in fragment:
        return Cleaned(fragment, ())
    if not _ANY.search(fragment) and not (
        ("&#" in fragment or "&bsol" in fragment) and _ANY.search(html.unescape(fragment))
    ):
        return Cleaned(fragment, ())
    pieces, text, run_ends = _read(fragment)
    opener = _OPENERS.search(text)
    if opener is None:
        return Cleaned(fragment, ())
    edits, refused = _scan(text, opener.start(), run_ends)
    if not edits:
        return Cleaned(fragment, ())
    return Cleaned(_rebuild(pieces, text, edits), tuple(dict.fromkeys(refused)))


def _without_process_class(m: re.Match) -> str:
    value = m.group(2)
    quote = value[0] if value[:1] in "\"'" else ""
    inner = value[1:-1] if quote else value
    kept = " ".join(c for c in inner.split() if not _PROCESS_CLASS.fullmatch(c))
    if not kept:
        return ""
    quote = quote or '"'
    return f"{m.group(1)}{quote}{kept}{quote}"


def _read(fragment: str) -> tuple[list[_Piece], str, list[int]]:
    """Split HTML into pieces and the text MathJax sees; return where each run of text ends."""
    pieces: list[_Piece] = []
    chars: list[str] = []
    run_ends: list[int] = []
    n = 0
    skipping = 0
    for m in _UNIT.finditer(fragment):
        raw = m.group()
        kind = m.lastgroup
        if kind == "comment":
            pieces.append(_Piece(n, n, raw, "tag"))
            continue
        if kind == "tag":
            name = _TAG_NAME.match(raw)
            tag = name.group(2).lower() if name else ""
            closing = bool(name and name.group(1))
            if tag in _SKIPPED and not raw.endswith("/>"):
                skipping = max(0, skipping - 1) if closing else skipping + 1
            if tag in _JOINED and not skipping:
                value = _JOINED[tag]
                pieces.append(_Piece(n, n + len(value), raw, "atom"))
                chars.append(value)
                n += len(value)
                continue
            pieces.append(_Piece(n, n, raw, "tag"))
            run_ends.append(n)
            continue
        if skipping:
            pieces.append(_Piece(n, n, raw, "tag"))
            continue
        value = html.unescape(raw) if kind == "entity" else raw
        pieces.append(_Piece(n, n + len(value), raw, "atom" if kind == "entity" else "text"))
        chars.append(value)
        n += len(value)
    run_ends.append(n)
    return pieces, "".join(chars), run_ends


def _rebuild(pieces: list[_Piece], text: str, edits: list[_Edit]) -> str:
    deleted = bytearray(len(text) + 1)
    # What replaces deleted text is written where that text was (after any tag before it); what
    # is only added (a closing brace at the end of a run) goes before the tag that ends the run.
    replacing: dict[int, str] = {}
    adding: dict[int, str] = {}
    for e in edits:
        deleted[e.start:e.end] = b"\x01" * (e.end - e.start)
        if e.text:
            into = replacing if e.end > e.start else adding
            into[e.start] = into.get(e.start, "") + html.escape(e.text, quote=False)
    out: list[str] = []
    pending = sorted({*replacing, *adding})
    done = 0

    def flush(upto: int, at_text: bool) -> None:
        nonlocal done
        while done < len(pending) and pending[done] <= upto:
            at = pending[done]
            if at == upto and not at_text and at in replacing:
                out.append(adding.get(at, ""))
                adding.pop(at, None)
                return  # the replacement waits for the text it replaces
            out.append(adding.pop(at, "") + replacing.get(at, ""))
            done += 1

    for piece in pieces:
        flush(piece.start, piece.kind != "tag")
        if piece.kind == "tag":
            out.append(piece.raw)
        elif piece.kind == "atom":
            if not any(deleted[piece.start:piece.end]):
                out.append(piece.raw)
        else:
            for k in range(piece.start, piece.end):
                flush(k, True)
                if not deleted[k]:
                    out.append(text[k])
    flush(len(text), True)
    return "".join(out)
