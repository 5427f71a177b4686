"""Stable note identity: deterministic GUIDs, and matching notes that moved or were reworded.

Anki matches notes by GUID only, so a GUID must follow its question through edits. A question
seen for the first time gets a GUID derived from the deck's namespace and its identity key; once
recorded in the lock, the GUID stays with it: unchanged text, a pinned id, the same anchor with a
similar question, or, failing those, the closest vanished question by wording and answer.

The namespace is drawn at random at a deck's first build and kept in its lock, so two unrelated
decks never share a GUID, even from folders and files of the same names. A GUID begins with it
(`<namespace>:<hash>`), so a lock lost and rebuilt from a package gets its namespace back. Locks
written before namespaces keep their GUIDs, which were derived from the deck's slug.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import secrets
import unicodedata
from array import array
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

ANSWER_SKETCH = 240
"""How much of an answer's text is read to recognise it (while building; the lock keeps its sketch)."""
SKETCH_BINS = 40
"""How many parts an answer's sketch divides the hashes of its bigrams into, keeping the smallest of each."""
_EMPTY = 63  # a part of the sketch that no bigram of the answer falls in

# Namespaces GUIDs by notetype kind too: a GUID that moved between notetypes would not update.
_KIND = "deckgen-qa-v1"


class Known(NamedTuple):  # a tuple: a build makes one for every note of the lock
    """A note as the lock remembers it."""

    guid: str
    key: str
    file: str
    question: str
    answer: str
    """The start of its answer as text, as a lock of format 1 kept it ("" with a sketch)."""
    pinned: str = ""
    sketch: str = ""
    """Its answer's sketch (see `sketch`), as a lock of format 2 keeps it; else found from `answer`."""


class Seen(NamedTuple):
    """A note as this build found it."""

    key: str
    file: str
    question: str
    answer: str
    """The start of its answer as text; "" where only its sketch is kept."""
    pinned: str = ""
    sketch: str = ""
    """Its answer's sketch, compared where the text is not kept."""


_NOT_WORD = re.compile(r"[\W_]+")


def nfc(text: str) -> str:
    """Compose text to Unicode NFC: "한" typed, or as macOS tools write it (ㅎ+ㅏ+ㄴ), is one text.

    Every text and file name is composed as it is read, so identity, matching and messages never
    depend on how an editor or file system happened to store it. Fast when it already is NFC.
    """
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


@lru_cache(maxsize=1 << 16)  # a build folds each question several times (keys, matching, reports)
def fold(text: str) -> str:
    """Fold text for comparison: composition (NFC), case, spaces and punctuation do not count."""
    return _NOT_WORD.sub("", nfc(text).lower())


NAMESPACE = re.compile(r"[0-9a-z]{10}")
"""What a deck's namespace is: ten random lower-case letters and digits (about 52 bits)."""
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def new_namespace(seed: str | None = None) -> str:
    """Draw a deck's namespace at random; from `seed` instead, for a hermetic build."""
    if seed is None:
        return "".join(secrets.choice(_ALPHABET) for _ in range(10))
    number = int.from_bytes(hashlib.sha256(seed.encode("utf-8")).digest()[:8], "big")
    digits = []
    for _ in range(10):
        number, digit = divmod(number, 36)
        digits.append(_ALPHABET[digit])
    return "".join(digits)


def new_guid(namespace: str, key: str) -> str:
    """Derive the GUID of a note seen for the first time: the deck's namespace, then a hash."""
    import genanki  # imported here: a rebuild with nothing new never needs it

    return f"{namespace}:{genanki.guid_for(_KIND, namespace, key)}"


def legacy_guid(slug: str, key: str) -> str:
    """The GUID deckgen gave a new note before decks had namespaces: derived from the deck's slug."""
    import genanki

    return genanki.guid_for(_KIND, slug, key)


def namespace_of(guid: str) -> str | None:
    """Return the namespace a GUID was minted in, or None (a GUID from before namespaces)."""
    return guid[:10] if len(guid) > 11 and guid[10] == ":" and NAMESPACE.fullmatch(guid[:10]) else None


def _grams(text: str) -> frozenset[str]:
    t = fold(text)
    if len(t) < 2:
        return frozenset({t}) if t else frozenset()
    return frozenset(t[i : i + 2] for i in range(len(t) - 1))


_MIX = 0x9E3779B97F4A7C15  # Fibonacci hashing: spreads each bigram's code points over 32 bits
_MASK = (1 << 64) - 1


def answer_grams(text: str) -> frozenset[int]:
    """The bigrams of an answer's folded text, its TeX commands read as their letters (see
    _plain_math), each as a 32-bit hash (what a sketch is made of).

    A bigram is its two code points as one 64-bit number (read from the text's UTF-32 in two
    passes, at even and odd places), hashed by multiplying with a large odd number: all of it in
    C calls, not a Python step per bigram (every note of a first build is sketched).
    """
    t = fold(_plain_math(text))
    if len(t) < 2:
        return frozenset({(ord(t) * _MIX & _MASK) >> 32}) if t else frozenset()
    raw = t.encode("utf-32-le")
    pairs = array("Q")
    pairs.frombytes(raw[: len(raw) // 8 * 8])
    pairs.frombytes(raw[4 : 4 + (len(raw) - 4) // 8 * 8])
    return frozenset(map((32).__rrshift__, map(_MASK.__and__, map(_MIX.__mul__, pairs))))


def sketch(text: str) -> str:
    """A short fingerprint of an answer, to recognise it again: how many distinct bigrams it has,
    and, with the bigrams' hashes shared out among SKETCH_BINS parts by their remainder, the
    smallest hash of each part, of which 6 bits are kept (one permutation hashing, b-bit: two
    answers agree in a part about as often as their bigrams are shared); 42 base64 characters,
    "" for no text."""
    grams = answer_grams(text)
    if not grams:
        return ""
    # Largest first, so that each part is left with its smallest.
    smallest = {h % SKETCH_BINS: h // SKETCH_BINS for h in sorted(grams, reverse=True)}
    packed = 0
    for i in range(SKETCH_BINS):
        value = smallest.get(i)
        packed |= (_EMPTY if value is None else value % _EMPTY) << (6 * i)
    raw = bytes([min(len(grams), 255)]) + packed.to_bytes(SKETCH_BINS * 6 // 8, "little")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


SKETCH = re.compile(r"[A-Za-z0-9_-]{42}")
"""What a sketch in a lock looks like (base64 without padding)."""

Sketch = tuple[int, tuple[int, ...]]
"""A sketch read: the answer's number of distinct bigrams, and the kept bits of each part."""


@lru_cache(maxsize=1 << 16)
def _unsketch(text: str) -> Sketch:
    """Read a sketch; (0, ()) if it is none."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        return 0, ()
    if len(raw) != 1 + SKETCH_BINS * 6 // 8:
        return 0, ()
    packed = int.from_bytes(raw[1:], "little")
    return raw[0], tuple((packed >> (6 * i)) & 63 for i in range(SKETCH_BINS))


def _sketch_keys(found: Sketch) -> frozenset[int]:
    """What two alike answers' sketches share: each part that holds a bigram, with its bits."""
    return frozenset(i * 64 + v for i, v in enumerate(found[1]) if v != _EMPTY)


def similarity(a: str, b: str) -> float:
    """Dice similarity of character bigrams: robust to typos, reordering and Korean spacing."""
    ga, gb = _grams(a), _grams(b)
    if not ga or not gb:
        return 0.0
    return 2 * len(ga & gb) / (len(ga) + len(gb))


def match(known: list[Known], seen: list[Seen]) -> dict[int, int]:
    """Pair each seen note (by index) with the known note (by index) that it continues."""
    pairs: dict[int, int] = {}
    used: set[int] = set()

    def take(s: int, k: int) -> None:
        pairs[s] = k
        used.add(k)

    # 1. Ids the user pinned in the markdown win outright.
    by_pin = {k.pinned: i for i, k in enumerate(known) if k.pinned}
    for s, note in enumerate(seen):
        if note.pinned and by_pin.get(note.pinned) is not None and by_pin[note.pinned] not in used:
            take(s, by_pin[note.pinned])

    # 2. The same wording: same file first, then anywhere (a question moved between files).
    by_text: dict[str, list[int]] = defaultdict(list)
    for i, k in enumerate(known):
        by_text[fold(k.question)].append(i)
    def compatible(note: Seen, k: int) -> bool:
        # A note pinned to one id never continues a note pinned to another.
        return not known[k].pinned or known[k].pinned == note.pinned

    for same_file in (True, False):
        for s, note in enumerate(seen):
            if s in pairs:
                continue
            for k in by_text.get(fold(note.question), ()):
                if k not in used and compatible(note, k) and (not same_file or known[k].file == note.file):
                    take(s, k)
                    break

    # 3. Vanished vs appeared: the best pairs by wording, answer and place, strongest first.
    rest_seen = [s for s in range(len(seen)) if s not in pairs]
    rest_known = [k for k in range(len(known)) if k not in used]
    if not rest_seen or not rest_known:
        return pairs
    place = _Places.of(known, seen, pairs)
    sketches = {k: _unsketch(known[k].sketch or sketch(known[k].answer)) for k in rest_known}
    new_sketches = {s: _unsketch(seen[s].sketch or sketch(seen[s].answer)) for s in rest_seen}
    index: dict[str | int, list[int]] = defaultdict(list)
    by_key: dict[str, list[int]] = defaultdict(list)
    for k in rest_known:
        by_key[known[k].key].append(k)
        for g in _grams(known[k].question) | _sketch_keys(sketches[k]):
            index[g].append(k)
    found: list[tuple[int, Sketch, set[int]]] = []
    for s in rest_seen:
        note, answer = seen[s], new_sketches[s]
        candidates: set[int] = set(by_key.get(note.key, ()))
        for g in _grams(note.question) | _sketch_keys(answer):
            candidates.update(index.get(g, ()))
        found.append((s, answer, {k for k in candidates if compatible(note, k)}))
    # The rarity of the bigrams of the questions compared, among all questions of the deck.
    compared = set().union(*(_grams(seen[s].question) for s, _, _ in found),
                           *(_grams(known[k].question) for _, _, ks in found for k in ks))
    weights = _rarity([k.question for k in known] + [n.question for n in seen], compared)
    scored: list[tuple[float, int, int]] = []
    for s, answer, candidates in found:
        for k in candidates:
            score = _score(known[k], seen[s], weights, sketches[k], answer, place)
            if score > 0:
                scored.append((score, s, k))
    scored.sort(key=lambda t: (-t[0], t[1], t[2]))
    for _score_value, s, k in scored:
        if s not in pairs and k not in used:
            take(s, k)
    return pairs


@dataclass(frozen=True, slots=True)
class _Places:
    """What the unchanged questions tell of the files: which file became which (a renamed file),
    and between which files the section numbers stayed as they were."""

    renamed: dict[str, str]
    numbers_kept: frozenset[tuple[str, str]]

    @classmethod
    def of(cls, known: list[Known], seen: list[Seen], pairs: dict[int, int]) -> _Places:
        went: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        same_number: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        for s, k in pairs.items():
            old, new = known[k], seen[s]
            went[old.file][new.file] += 1
            a, b = _number(old.key), _number(new.key)
            if a is not None and b is not None:
                tally = same_number[(old.file, new.file)]
                tally[0] += a == b
                tally[1] += 1
        renamed = {}
        for old_file, targets in went.items():
            new_file, n = max(targets.items(), key=lambda t: (t[1], t[0]))
            if new_file != old_file and n >= 2 and 2 * n > sum(targets.values()) and old_file not in targets:
                renamed[old_file] = new_file
        # Numbers are evidence only where the questions around kept theirs: at least 3, nearly all.
        kept = frozenset(files for files, (same, total) in same_number.items() if total >= 3 and same >= 0.9 * total)
        return cls(renamed, kept)

    def same_file(self, old: Known, new: Seen) -> bool:
        return old.file == new.file or self.renamed.get(old.file) == new.file

    def same_place(self, old: Known, new: Seen) -> bool:
        """The same anchor: a named one in the same (or renamed) file, or the same section number
        in a file whose other questions all kept their numbers."""
        if not self.same_file(old, new):
            return False
        a, b = _anchor(old.key), _anchor(new.key)
        if a is None or a != b:
            return False
        return not _NUMBERED.search("#" + a) or (old.file, new.file) in self.numbers_kept


def _anchor(key: str) -> str | None:
    """The anchor part of an identity key (`file#anchor`), if it has one."""
    if "::" in key or "#" not in key:  # a key made of the question's words, or a pinned id
        return None
    return key.rsplit("#", 1)[1]


def _number(key: str) -> str | None:
    """A section number an identity key ends with (`file#5`), or None."""
    anchor = _anchor(key)
    return anchor if anchor is not None and _NUMBERED.search("#" + anchor) else None


def _rarity(questions: list[str], only: set[str] | None = None) -> dict[str, float]:
    """Weigh each bigram by how rare it is among this deck's questions (inverse document frequency);
    with `only`, weigh those bigrams alone (of the questions a build compares).

    Question templates share their endings ("…이란 무엇인가요?", "What is …?"); what tells two
    questions apart is their rare words, so a shared ending alone must not look like a match.
    """
    df: dict[str, int] = defaultdict(int)
    if only is None:
        for q in questions:
            for g in _grams(q):
                df[g] += 1
    else:  # a few bigrams looked for in each question, not every question's bigrams made
        folded = [fold(q) for q in questions]
        for g in only:
            # A bigram is a question's if it is in its text; a question of one letter is its own.
            count = sum(1 for t in folded if g in t) if len(g) == 2 else sum(1 for t in folded if t == g)
            if count:
                df[g] = count
    n = len(questions) + 1
    return {g: math.log(n / c) + 0.1 for g, c in df.items()}


def weighted_similarity(a: str, b: str, weights: dict[str, float]) -> float:
    """Dice similarity of bigrams weighted by rarity: shared template words count for little."""
    ga, gb = _grams(a), _grams(b)
    if not ga or not gb:
        return 0.0
    top = max(weights.values(), default=1.0)
    wa = sum(weights.get(g, top) for g in ga)
    wb = sum(weights.get(g, top) for g in gb)
    shared = sum(weights.get(g, top) for g in ga & gb)
    return 2 * shared / (wa + wb)


_NUMBERED = re.compile(r"#\d+(?:[-.]\d+)*(?:~\d+)?$")


_TEX_COMMAND = re.compile(r"\\([A-Za-z]+)")


@lru_cache(maxsize=256)
def _tex_letter(name: str) -> str:
    """`lambda` -> λ, `Sigma` -> Σ; any other command -> nothing."""
    try:
        case = "CAPITAL" if name[0].isupper() else "SMALL"
        return unicodedata.lookup(f"GREEK {case} LETTER {name.upper()}")
    except KeyError:
        return ""


def _plain_math(text: str) -> str:
    """An answer's text with its TeX commands read as the letters they stand for (`\\lambda v` is
    `λv`, `\\frac{a}{b}` is `ab`): math added around the symbols of an answer leaves it alike."""
    if "\\" not in text:
        return text
    return _TEX_COMMAND.sub(lambda m: _tex_letter(m.group(1)), text)


def _answer_likeness(old: Sketch, new: Sketch) -> float:
    """How alike two answers are by their sketches; an answer cut out of a longer one (a split
    question) counts too.

    The share of the sketches' parts (that either answer has a bigram in) where they agree is
    about the share of the two answers' bigrams they have in common (less the chance that 6 bits
    of two different hashes agree), which with their numbers of bigrams tells how many they share.
    """
    (count, parts), (new_count, new_parts) = old, new
    if not count or not new_count or not parts or not new_parts:
        return 0.0
    filled = agree = 0
    for a, b in zip(parts, new_parts):
        if a != _EMPTY or b != _EMPTY:
            filled += 1
            agree += a == b
    if not filled:
        return 0.0
    chance = 1 / _EMPTY
    jaccard = max(0.0, (agree / filled - chance) / (1 - chance))
    return _likeness(jaccard * (count + new_count) / (1 + jaccard), count, new_count)


def _likeness(shared: float, count: int, new_count: int) -> float:
    shared = min(shared, count, new_count)
    dice = 2 * shared / (count + new_count)
    contained = shared / new_count if new_count >= 8 else 0.0
    return max(dice, 0.9 * contained)


def _score(old: Known, new: Seen, weights: dict[str, float], old_answer: Sketch, new_answer: Sketch,
           place: _Places) -> float:
    """How surely `new` is `old` edited; 0 when the evidence is too weak.

    Either the wording barely changed (a typo), or it changed but the answer stayed: a question
    reworded *and* answered anew is a new question, whatever template words it shares.
    """
    q = weighted_similarity(old.question, new.question, weights)
    a = _answer_likeness(old_answer, new_answer)
    # A key with a real anchor name is evidence; a bare section number is not (sections get
    # renumbered), unless the questions around it kept their numbers. A renamed file is the same file.
    same_key = (old.key == new.key and not _NUMBERED.search(old.key)) or place.same_place(old, new)
    strong = q >= 0.85 or (a >= 0.8 and q >= 0.3) or (same_key and (q >= 0.6 or a >= 0.8))
    if not strong:
        return 0.0
    return q * 0.6 + a * 0.4 + (0.05 if place.same_file(old, new) else 0.0) + (0.05 if same_key else 0.0)
