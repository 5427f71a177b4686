"""Property tests: any lock text or settings text is read, or refused with our own located errors."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from deckgen import config as deck_config
from deckgen import lock
from deckgen.errors import DeckgenError, Problems
from deckgen.model import BuildConfig
from tests.conftest import parse_text

_SHOWN = "notes/deckgen.lock"

_VALID = {
    "format": 1,
    "slug": "notes",
    "title": "노트",
    "version": "1.2.0",
    "created": 1_800_000_000,
    "notetype": {"hash": "0123456789abcdef", "mtime": 1_800_000_000},
    "notes": [
        {"guid": "abc!def#12", "key": "a.md#1", "file": "a.md", "question": "퍼셉트론은 무엇인가요?",
         "answer": "가장 단순한 신경망", "hash": "h1", "mtime": 1_800_000_000, "deck": "노트::a"},
        {"guid": "xyz~123+45", "key": "a.md::질문", "file": "a.md", "question": "질문?", "answer": "답",
         "hash": "h2", "mtime": 1_700_000_000, "deck": "노트::a", "pinned": "one"},
    ],
}

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
_PATHS = st.sampled_from(
    [("format",), ("version",), ("slug",), ("title",), ("created",), ("notetype",), ("notetype", "hash"),
     ("notetype", "mtime"), ("notes",), ("notes", 0), ("notes", 1)]
    + [("notes", n, key) for n in (0, 1)
       for key in ("guid", "key", "file", "question", "answer", "hash", "mtime", "deck", "pinned")]
)
_SPECIAL = st.sampled_from([2**63, -1, 10**400, True, "", " ", "1.0", "1.0.0", "x\ny", [], {}, None, 0.5,
                            "1" * 5000 + ".0.0", "abc!def#12"])
# Values of the right kind, so that many mutated locks are still locks and reach the planner.
_PLAUSIBLE = st.one_of(st.text(max_size=30), st.integers(0, lock.MAX_TIME),
                       st.sampled_from(["0.0.1", "9.99.999", "1.2.0", "1.3.0", "xyz~123+45", "a.md#1"]))


# The same lock as format 2 writes it: a row of values for each note, and an object with the rest.
_VALID_2 = {
    **{k: v for k, v in _VALID.items() if k != "notes"},
    "format": 2,
    "decks": {"a.md": "노트::a"},
    "columns": ["guid", "file", "question", "hash", "mtime", "added", "sketch"],
    "notes": [
        ["abc!def#12", "a.md", "퍼셉트론은 무엇인가요?", "h1", 1_800_000_000, 1_700_000_000, "CQ", {"key": "a.md#1"}],
        ["xyz~123+45", "a.md", "질문?", "h2", 1_700_000_000, None, "", {"key": "a.md::질문", "pinned": "one"}],
    ],
}
_PATHS_2 = st.sampled_from(
    [("format",), ("columns",), ("columns", 0), ("columns", 5), ("decks",), ("decks", "a.md"), ("notes",),
     ("notes", 0), ("notes", 1)]
    + [("notes", n, i) for n in (0, 1) for i in range(8)]
    + [("notes", n, 7, key) for n in (0, 1) for key in ("key", "deck", "pinned", "added")]
)


@st.composite
def _mutated(draw) -> str:
    # Each drawn value is copied: `[]` and `{}` in _SPECIAL are single objects, and one set twice
    # would end up inside itself.
    two = draw(st.booleans())
    state = json.loads(json.dumps(_VALID_2 if two else _VALID))
    for _ in range(draw(st.integers(0, 3))):
        path = draw(_PATHS_2 if two else _PATHS)
        target = state
        for key in path[:-1]:
            target = target[key] if isinstance(target, dict | list) and (
                key in target if isinstance(target, dict) else key < len(target)) else None
            if target is None:
                break
        if isinstance(target, dict):
            if draw(st.integers(0, 3)):
                target[path[-1]] = copy.deepcopy(draw(_PLAUSIBLE | _PLAUSIBLE | _JSON | _SPECIAL))
            else:
                target.pop(path[-1], None)
        elif isinstance(target, list) and isinstance(path[-1], int) and path[-1] < len(target):
            target[path[-1]] = copy.deepcopy(draw(_PLAUSIBLE | _JSON | _SPECIAL))
    text = json.dumps(state, ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 1])))
    cut = draw(st.sampled_from(["whole", "whole", "whole", "truncated", "conflict", "garbage"]))
    if cut == "truncated":
        text = text[: draw(st.integers(0, len(text)))]
    elif cut == "conflict":
        lines = text.splitlines()
        at = draw(st.integers(0, len(lines)))
        text = "\n".join(lines[:at] + ["<<<<<<< HEAD", "=======", ">>>>>>> theirs"] + lines[at:])
    elif cut == "garbage":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(max_size=10)) + text[at:]
    return text


_TEXT = st.one_of(
    _mutated(),
    st.text(max_size=300),
    _JSON.map(json.dumps),
    st.integers(0, 3000).map(lambda n: "[" * n + "]" * (n % 2) * n),
    st.integers(0, 3000).map(lambda n: '{"a":' * n + "1" + "}" * n),
)


def _deck():
    from deckgen.model import DeckConfig

    return DeckConfig(root=Path("/nonexistent/notes"), title="노트", slug="notes", tags=(), exclude=(), files=(),
                      version="semver", font="bundled", media_root=None)


_FILES = None


def _files():
    global _FILES
    if _FILES is None:
        parsed, _ = parse_text("- **퍼셉트론은 무엇인가요?**\n  - 가장 단순한 신경망\n- **새 질문?**\n  - 답\n", "a.md")
        _FILES = [parsed]
    return _FILES


def _read(data: bytes) -> None:
    try:
        state = lock.parse(data, _SHOWN)
    except DeckgenError as exc:
        assert exc.message.startswith("error: ")
        assert exc.diagnostics, exc.message
        for d in exc.diagnostics:
            assert d.severity == "error" and d.location.path == _SHOWN and d.location.line >= 0, str(d)
        return
    event("read")
    # What the reader lets through, a build can use: plan it, and write it back.
    try:
        planned = lock.plan(state, _deck(), _files(), "", BuildConfig(sources=(), outdir=Path("dist"),
                                                                        timestamp=1_900_000_000))
    except DeckgenError:
        return  # e.g. a version older than the lock's: refused with a message
    json.dumps(planned.state)
    assert lock.parse(lock.lock_text(planned.state).encode(), _SHOWN) == planned.state


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT)
def test_any_lock_text_is_read_or_refused_at_a_line(text):
    _read(text.encode("utf-8", "surrogatepass"))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated())
def test_a_lock_changed_anywhere_is_read_and_planned_or_refused(text):
    _read(text.encode("utf-8", "surrogatepass"))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_lock_bytes_are_read_or_refused_at_a_line(data):
    _read(data)


_TOML_PIECES = st.sampled_from(
    [
        'title = "노트"\n', 'slug = "x"\n', 'version = "1.2.3"\n', 'version = "semver"\n', 'version = 3\n',
        'tags = ["면접", 1]\n', 'tags = "a"\n', 'exclude = ["/"]\n', 'exclude = ["drafts/*.md", ""]\n',
        'font = "system"\n', 'font = 1\n', 'media_root = "\\u0000"\n', 'media_root = "../.."\n',
        '[files."a.md"]\n', '[files]\n', 'deck = "기초"\n', 'shape = "qa"\n', 'shape = "nope"\n',
        "[files.'b.md']\n", 'unknown = 1\n', "a = [[[[", "]]]]\n", '"""\n', "'''\n", "x = {a = {b = 1}}\n",
        "n = 1" + "0" * 5000 + "\n", "d = 1979-05-27T07:32:00Z\n", "[[files]]\n", "files = 1\n", "=\n", "#\n",
    ]
)
_TOML = st.one_of(st.text(max_size=200), st.lists(_TOML_PIECES, max_size=12).map("".join),
                  st.integers(0, 3000).map(lambda n: "a = " + "[" * n + "]" * n))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TOML)
def test_any_settings_text_gives_settings_or_located_problems(text):
    root = Path("/nonexistent/notes")
    problems = Problems()
    deck = deck_config.from_text(root, root / "deckgen.toml", text, BuildConfig(sources=(root,), outdir=root),
                                 problems)
    assert deck.title and deck.slug
    assert deck.font in deck_config.FONTS
    assert all(isinstance(p, str) and p.strip("/") for p in deck.exclude)
    for d in problems.items:
        assert d.location is not None and d.location.path == "/nonexistent/notes/deckgen.toml", str(d)
        assert d.location.line >= 0
