"""Stable note identity: deterministic GUIDs, and matching notes that moved or were reworded.

Anki matches notes by GUID only, so a GUID must follow its question through edits. A question
seen for the first time gets a GUID derived from the deck and its identity key; once recorded
in the lock, the GUID stays with it: unchanged text, a pinned id, the same anchor with a similar
question, or, failing those, the closest vanished question by wording and answer.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

# Namespaces GUIDs by notetype kind too: a GUID that moved between notetypes would not update.
_KIND = "deckgen-qa-v1"


@dataclass(frozen=True, slots=True)
class Known:
    """A note as the lock remembers it."""

    guid: str
    key: str
    file: str
    question: str
    answer: str
    pinned: str = ""


@dataclass(frozen=True, slots=True)
class Seen:
    """A note as this build found it."""

    key: str
    file: str
    question: str
    answer: str
    pinned: str = ""


def fold(text: str) -> str:
    """Fold text for comparison: case, spaces and punctuation do not count."""
    return re.sub(r"[\W_]+", "", text.lower())


def new_guid(namespace: str, key: str) -> str:
    """Derive the GUID of a note seen for the first time."""
    import genanki  # imported here: a rebuild with nothing new never needs it

    return genanki.guid_for(_KIND, namespace, key)


def _grams(text: str) -> frozenset[str]:
    t = fold(text)
    if len(t) < 2:
        return frozenset({t}) if t else frozenset()
    return frozenset(t[i : i + 2] for i in range(len(t) - 1))


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
    index: dict[str, list[int]] = defaultdict(list)
    for k in rest_known:
        for g in _grams(known[k].question) | _grams(known[k].answer):
            index[g].append(k)
    scored: list[tuple[float, int, int]] = []
    for s in rest_seen:
        note = seen[s]
        hits: dict[int, int] = defaultdict(int)
        for g in _grams(note.question) | _grams(note.answer):
            for k in index.get(g, ()):
                hits[k] += 1
        by_key = [k for k in rest_known if known[k].key == note.key]
        for k in set(hits) | set(by_key):
            if not compatible(note, k):
                continue
            score = _score(known[k], note)
            if score > 0:
                scored.append((score, s, k))
    scored.sort(key=lambda t: (-t[0], t[1], t[2]))
    for _score_value, s, k in scored:
        if s not in pairs and k not in used:
            take(s, k)
    return pairs


def _score(old: Known, new: Seen) -> float:
    """How surely `new` is `old` edited; 0 when the evidence is too weak."""
    q = similarity(old.question, new.question)
    a = similarity(old.answer, new.answer) if old.answer and new.answer else 0.0
    same_key = old.key == new.key
    strong = q >= 0.6 or (q >= 0.3 and a >= 0.6) or (a >= 0.85 and q >= 0.15)
    if same_key:
        strong = strong or q >= 0.3 or a >= 0.5
    if not strong:
        return 0.0
    return q * 0.6 + a * 0.4 + (0.05 if old.file == new.file else 0.0) + (0.05 if same_key else 0.0)
