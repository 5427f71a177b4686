"""The card design as Anki shows it: rendered cards, the notetype's CSS and the embedded font."""

from __future__ import annotations

import html
import json
import re
import zipfile
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from deckgen import fonts
from deckgen.build import collect
from deckgen.errors import Problems
from deckgen.model import BuildConfig
from deckgen.notetype import template_files
from deckgen.style import card_css, notetype_css
from tests.conftest import FIXTURES, copy_fixture

FONT_FACE = re.compile(
    r'@font-face \{ font-family: "Deckgen KR"; src: url\("(_dg-kr-(regular|bold)(-[a-z0-9-]+)?-[0-9a-f]{10}\.woff2)"\) '
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
    assert notetype["css"] == notetype_css()  # the same for every deck, whatever its cards hold
    faces = FONT_FACE.findall(notetype["css"])
    # The base subsets, then every block of each weight (the characters beyond the base set), each
    # named by a unicode-range so that only cards using its characters fetch it.
    assert [(label, block, weight, ranges) for _, label, block, weight, ranges in faces[:2]] == [
        ("regular", "", "400", ""), ("bold", "", "700", "")]
    assert len(faces) == 2 + 2 * len(fonts.blocks()) and all(ranges for *_, ranges in faces[2:])
    media = Path(anki.col.media.dir())
    with zipfile.ZipFile(package) as z:
        names = json.loads(z.read("media"))
        packaged = {name: z.read(number) for number, name in names.items() if name.startswith("_dg-kr-")}
    # The deck ships the base subsets and the blocks holding its characters beyond them (σ, ², −).
    used = [name for name, *_, ranges in faces if ranges and any(_covers(ranges, c) for c in "σ²−")]
    assert len(used) == 6 and set(packaged) == {faces[0][0], faces[1][0], *used}
    for name in packaged:
        assert (media / name).read_bytes() == packaged[name]
    assert '"Deckgen KR", "Pretendard", "Noto Sans KR"' in notetype["css"]


def _covers(ranges: str, char: str) -> bool:
    """Whether a CSS unicode-range holds `char`."""
    for span in ranges.split(", "):
        low, _, high = span.removeprefix("U+").partition("-")
        if int(low, 16) <= ord(char) <= int(high or low, 16):
            return True
    return False


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


def test_a_deck_ships_the_base_subsets_and_the_blocks_its_cards_use(monkeypatch, tmp_path):
    config = BuildConfig(sources=(FIXTURES / "render",), outdir=tmp_path)
    _, files, *_ = collect(config, Problems())
    monkeypatch.setattr(fonts, "_make_subset", lambda *a: pytest.fail("a build cut a font"))
    css, shipped = card_css(files)
    # Every file is one deckgen ships: base regular and bold, then the blocks of σ, ² and −.
    assert all(p.is_relative_to(fonts.shipped_dir()) and p.is_file() for p in shipped)
    assert [p.name.split("-")[2] for p in shipped] == ["regular", "bold"] * 4
    assert [fonts.blocks()[fonts.block_of(c)].name for c in "²σ−"] == ["latin", "greek-cyrillic", "symbols"]
    assert all(p.name == p.name.lower() and p.name.startswith("_") for p in shipped)
    # Another deck, with other characters, gets the same CSS and other blocks; "system" ships none.
    _, other, *_ = collect(BuildConfig(sources=(FIXTURES / "regen" / "v1",), outdir=tmp_path), Problems())
    css_other, shipped_other = card_css(other)
    assert css_other == css and shipped_other == shipped[:2]
    assert card_css(files, "system") == (css, [])
    assert fonts.unicode_range("²σ−") == "U+B2, U+3C3, U+2212"
    assert fonts.unicode_range("가각갂") == "U+AC00-AC02"


def test_the_shipped_subsets_are_current_and_hold_the_base_set_and_every_block():
    """The subsets cut ahead must match this font and these cutting options, and hold between them
    every character the font draws; `python -m deckgen.fonts` remakes them."""
    manifest = json.loads((fonts.shipped_dir() / fonts.MANIFEST).read_text(encoding="utf-8"))
    planned = fonts.plan_blocks()
    assert [b.name for b in fonts.blocks()] == [name for name, *_ in planned]
    for weight, label in ((400, "regular"), (700, "bold")):
        assert manifest["fonts"][str(weight)]["sha256"] == fonts._file_hash(fonts.source_font(weight))
        base = next(f.path for f in fonts.faces() if f.weight == weight and not f.unicode_range)
        assert base.parent.name == fonts._key(weight, "".join(sorted(fonts.BASE_CHARS))), label
        held = {chr(c) for c in TTFont(base).getBestCmap()}
        drawn = {chr(c) for c in TTFont(fonts.source_font(weight)).getBestCmap()}
        assert held == fonts.BASE_CHARS & drawn
        assert {"가", "힝", "ㅋ", "A", "…"} <= held and len(held) > 2_500
        assert TTFont(base)["name"].getDebugName(1) == fonts.FAMILY
        for block, (name, chars, spans) in zip(fonts.blocks(), planned, strict=True):
            path = block.files[weight]
            assert path.parent.name == fonts._key(weight, chars) and f"-{label}-{name}-" in path.name
            assert block.spans == spans
            assert {chr(c) for c in TTFont(path).getBestCmap()} == set(chars), path.name
            held |= set(chars)
        assert held == drawn  # the base subset and the blocks hold every character the font draws
    assert len(list(fonts.shipped_dir().rglob("*.woff2"))) == 2 + 2 * len(fonts.blocks())
