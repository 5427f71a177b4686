"""The card design as Anki shows it: rendered cards, the notetype's CSS and the embedded font."""

from __future__ import annotations

import html
import json
import re
import zipfile
from pathlib import Path

from fontTools.ttLib import TTFont

from deckgen import fonts
from deckgen.build import collect
from deckgen.errors import Problems
from deckgen.model import BuildConfig
from deckgen.notetype import template_files
from deckgen.style import card_css
from tests.conftest import FIXTURES, copy_fixture

FONT_FACE = re.compile(
    r'@font-face \{ font-family: "Deckgen KR"; src: url\("(_dg-kr-(regular|bold)(-x)?-[0-9a-f]{10}\.woff2)"\) '
    r'format\("woff2"\); font-weight: (\d+); font-style: normal; font-display: block;'
    r"(?: unicode-range: ([^;]+);)? \}"
)


def shown(card_html: str) -> str:
    """Return a rendered card side without the notetype CSS Anki puts in front of it."""
    return re.sub(r"<style>.*?</style>", "", card_html, flags=re.DOTALL)


def build_fixture(run_cli, tmp_path: Path) -> Path:
    src = copy_fixture("render", tmp_path / "notes")
    result = run_cli("build", str(src), "-o", str(tmp_path / "dist"))
    assert result.exit_code == 0, result.output
    return next((tmp_path / "dist").glob("*.apkg"))


def test_anki_renders_the_designed_cards(run_cli, tmp_path, anki):
    package = build_fixture(run_cli, tmp_path)
    anki.import_package(package)

    card = anki.note_by_question("경사 하강법은 무엇이고").cards()[0]
    question, answer = shown(card.question()), shown(card.answer())
    assert '<div class="dg-question">경사 하강법은 무엇이고, 학습률은 어떤 역할을 하나요?</div>' in question
    assert "dg-answer" not in question and "dg-context" not in question
    assert 'class="dg-answer"' in answer and 'class="dg-question"' in answer  # the back shows the front
    assert answer.index("dg-question") < answer.index('id="answer"') < answer.index("dg-answer")
    assert '<span class="kw">경사 하강법</span><span class="kw">학습률</span>' in answer
    assert "\\(L(\\theta)\\)" in answer and '<div class="math block">' in answer and "\\[" in answer
    assert 'class="dg-source"' in answer

    sub = anki.note_by_question("Non-Linearity라는 말의 의미").cards()[0]
    assert '<div class="dg-context">요즘 Sigmoid보다 ReLU를 많이 쓰는 이유는?</div>' in shown(sub.question())
    parent = shown(anki.note_by_question("요즘 Sigmoid보다").cards()[0].answer())
    assert '<dl class="subqs"><dt class="subq-q">Non-Linearity' in parent
    assert "<table>" in shown(anki.note_by_question("표로 비교").cards()[0].answer())
    assert '<pre class="code">' in shown(anki.note_by_question("ReLU를 코드로").cards()[0].answer())

    # Anki brings its own MathJax; a template that loaded another would fight it.
    assert not any("mathjax" in t.lower() or "<script" in t for t in template_files()[:2])

    notetype = card.note().note_type()
    faces = FONT_FACE.findall(notetype["css"])
    # The base subsets, then added ones for the characters beyond the base set (σ, ², − here),
    # each named by a unicode-range so that only cards using them fetch them.
    assert [(label, added, weight) for _, label, added, weight, _ in faces] == [
        ("regular", "", "400"), ("bold", "", "700"), ("regular", "-x", "400"), ("bold", "-x", "700")]
    assert [ranges for *_, ranges in faces][:2] == ["", ""]
    assert all("U+3C3" in ranges.split(", ") for *_, ranges in faces[2:])
    media = Path(anki.col.media.dir())
    with zipfile.ZipFile(package) as z:
        names = json.loads(z.read("media"))
        packaged = {name: z.read(number) for number, name in names.items()}
    for name, *_ in faces:
        assert (media / name).read_bytes() == packaged[name]
    assert '"Deckgen KR", "Pretendard", "Noto Sans KR"' in notetype["css"]


def test_embedded_font_covers_every_character_on_the_cards(run_cli, tmp_path, anki):
    package = build_fixture(run_cli, tmp_path)
    anki.import_package(package)
    seen = set()
    for note in anki.notes():
        for value in (note["Question"], note["Answer"], note["Context"], note["Keywords"]):
            seen |= set(html.unescape(re.sub(r"<[^>]*>", "", value)))
    seen -= set(" \n\t")
    assert {"경", "학", "률", "σ", "∞", "—"} <= seen
    media = Path(anki.col.media.dir())
    for weight, label in ((400, "regular"), (700, "bold")):
        embedded = {}
        for name in media.glob(f"_dg-kr-{label}-*.woff2"):
            embedded |= TTFont(name).getBestCmap()
        drawn = {c for c in seen if ord(c) in TTFont(fonts.source_font(weight)).getBestCmap()}
        assert {"σ", "∞"} <= drawn
        missing = sorted(c for c in drawn if ord(c) not in embedded)
        assert not missing, f"the {label} subsets lack {missing}"


def test_font_subsets_are_cached_deterministic_and_survive_an_unwritable_cache(tmp_path, monkeypatch):
    config = BuildConfig(sources=(FIXTURES / "render",), outdir=tmp_path)
    _, files, *_ = collect(config, Problems())
    monkeypatch.setenv("DECKGEN_CACHE", str(tmp_path / "cache-a"))
    css, first = card_css(files)
    # The base subsets ship with deckgen; the added ones (σ, ², −) are cut into the cache.
    assert [p.name.split("-")[2] for p in first] == ["regular", "bold", "regular", "bold"]
    assert all(p.is_relative_to(fonts.shipped_dir()) for p in first[:2])
    assert all(p.is_relative_to(tmp_path / "cache-a") and "-x-" in p.name for p in first[2:])
    assert all(p.name == p.name.lower() and p.name.startswith("_") for p in first)

    stamps = [p.stat().st_mtime_ns for p in first]
    assert card_css(files) == (css, first)  # same characters: the cached files, no subsetting
    assert [p.stat().st_mtime_ns for p in first] == stamps

    (tmp_path / "not-a-folder").write_text("")
    monkeypatch.setenv("DECKGEN_CACHE", str(tmp_path / "not-a-folder" / "deckgen"))
    css_again, again = card_css(files)
    assert css_again == css  # same bytes, hence the same media names, from a fresh subset
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in first]
    assert not any(p.is_relative_to(tmp_path) for p in again[2:])

    assert fonts.added_chars(fonts.card_text(files), 400) == "²σ−"
    assert fonts.unicode_range("²σ−") == "U+B2, U+3C3, U+2212"
    assert fonts.unicode_range("가각갂") == "U+AC00-AC02"


def test_the_shipped_base_subsets_are_current_and_hold_the_base_set():
    """The subsets cut ahead must match this font and these cutting options, or every first
    build would cut them again; `python -m deckgen.fonts` remakes them."""
    base = "".join(sorted(fonts.BASE_CHARS))
    for weight, label in ((400, "regular"), (700, "bold")):
        path = fonts._lookup(weight, base)
        assert path is not None and path.is_relative_to(fonts.shipped_dir()), label
        held = {chr(c) for c in TTFont(path).getBestCmap()}
        drawn = {chr(c) for c in TTFont(fonts.source_font(weight)).getBestCmap()}
        assert held == fonts.BASE_CHARS & drawn
        assert {"가", "힝", "ㅋ", "A", "…"} <= held and len(held) > 2_500
        assert TTFont(path)["name"].getDebugName(1) == fonts.FAMILY
    assert len(list(fonts.shipped_dir().rglob("*.woff2"))) == 2
