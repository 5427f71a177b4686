"""deckgen.toml: every setting, and every mistake reported at its line."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from deckgen import config
from deckgen.errors import Problems
from deckgen.model import BuildConfig
from deckgen.style import notetype_css


@pytest.fixture
def sources(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "sources"
    folder.mkdir()
    return folder


def load(folder: Path, text: str, **options) -> tuple[config.DeckConfig, list[str]]:
    (folder / "deckgen.toml").write_text(text, encoding="utf-8")
    problems = Problems()
    deck = config.load(folder, BuildConfig(sources=(folder,), outdir=folder / "dist", **options), problems)
    return deck, [str(d) for d in problems.items]


def test_every_setting_is_read(sources):
    (sources / "assets").mkdir()
    deck, messages = load(sources, '''
title = "딥러닝 면접"
slug = "DL Interview"
version = "2.1.0"
tags = ["면접", "deep learning"]
exclude = ["drafts/*.md", "old.md"]
font = "system"
media_root = "assets"

[files."01-basics.md"]
deck = "기초"
shape = "headings"

[files."02.md"]
shape = "list"
''')
    assert messages == []
    assert deck.title == "딥러닝 면접"
    assert deck.slug == "dl-interview"
    assert deck.version == "2.1.0"
    assert deck.tags == ("면접", "deep_learning")
    assert deck.exclude == ("drafts/*.md", "old.md")
    assert deck.font == "system"
    assert deck.media_root == "assets"
    assert deck.files == (("01-basics.md", {"deck": "기초", "shape": "headings"}), ("02.md", {"shape": "lists"}))


def test_defaults_without_a_file(sources):
    problems = Problems()
    deck = config.load(sources, BuildConfig(sources=(sources,), outdir=sources), problems)
    assert problems.items == []
    assert (deck.title, deck.slug, deck.version, deck.font, deck.media_root) == (
        "sources", "sources", "semver", "bundled", None)


def test_command_line_overrides_the_file(sources):
    deck, messages = load(sources, 'title = "파일의 제목"\n', deck_name="명령줄 제목")
    assert messages == [] and deck.title == "명령줄 제목"


def test_unknown_setting_is_an_error_at_its_line(sources):
    _, messages = load(sources, '# 덱 설정\n\ntitel = "딥러닝"\nmedia-root = "."\ncolour = "red"\n')
    assert messages == ['sources/deckgen.toml:3: error: unknown setting "titel" (did you mean "title"?)',
                        'sources/deckgen.toml:4: error: unknown setting "media-root" (did you mean "media_root"?)',
                        'sources/deckgen.toml:5: error: unknown setting "colour"']


def test_wrong_types_are_errors_at_their_lines(sources):
    _, messages = load(sources, '''title = 3
tags = "하나"
exclude = [1, 2]
slug = true
font = "fancy"
version = "latest"
media_root = "nowhere"
''')
    assert messages == [
        'sources/deckgen.toml:1: error: "title" must be a string, not a number',
        'sources/deckgen.toml:4: error: "slug" must be a string, not true/false',
        'sources/deckgen.toml:6: error: "version" must be "semver" or a version like "1.2.0", not "latest"',
        'sources/deckgen.toml:5: error: "font" must be "bundled" or "system", not "fancy"',
        'sources/deckgen.toml:7: error: "media_root" is not a folder: sources/nowhere',
        'sources/deckgen.toml:3: error: "exclude" must be a list of strings; item 1 is a number',
    ]


def test_file_settings_are_checked_in_their_own_table(sources):
    _, messages = load(sources, '''[files."a.md"]
deck = "가"

[files."b.md"]
deck = 2
shape = "tabel"
dek = "나"
colour = 1

[files."d.md"]
shape = "detail"

[files]
"c.md" = "headings"
''')
    assert messages == [
        'sources/deckgen.toml:7: error: unknown setting "dek" in [files."b.md"] (did you mean "deck"?)',
        'sources/deckgen.toml:8: error: unknown setting "colour" in [files."b.md"] (expected deck or shape)',
        'sources/deckgen.toml:5: error: "deck" must be a string, not a number',
        'sources/deckgen.toml:6: error: unknown shape "tabel" '
        "(expected one of anchored, bold-bullets, headings, details, qa, lists)",
        'sources/deckgen.toml:11: error: unknown shape "detail" (did you mean "details"?)',
        'sources/deckgen.toml:14: error: files."c.md" must be a table, not a string',
    ]


def test_a_key_named_like_a_setting_inside_a_multiline_string_is_not_taken_for_it(sources):
    _, messages = load(sources, 'slug = """\ntitel = 1\n"""\ntitel = "x"\n')
    assert messages == ['sources/deckgen.toml:4: error: unknown setting "titel" (did you mean "title"?)']


def test_broken_toml_is_an_error_at_its_line(sources):
    _, messages = load(sources, 'title = "a"\ntags = [\n"b",\n= 3\n')
    assert len(messages) == 1
    assert messages[0].startswith("sources/deckgen.toml:4: error: invalid TOML: ")


def test_settings_reach_the_package(run_cli, tmp_path, anki):
    notes = tmp_path / "notes"
    (notes / "assets" / "img").mkdir(parents=True)
    (notes / "assets" / "img" / "fig.png").write_bytes(
        (Path(__file__).parent / "fixtures" / "media" / "img" / "Diagram One.PNG").read_bytes()
    )
    (notes / "deckgen.toml").write_text(
        'title = "설정"\nversion = "3.0.0"\ntags = ["공통"]\nmedia_root = "assets"\n'
        'exclude = ["draft.md"]\n\n[files."a.md"]\ndeck = "첫 묶음"\n',
        encoding="utf-8",
    )
    (notes / "a.md").write_text(
        "# 운영체제\n\n## 메모리\n\n### 페이징이란?\n\n고정 크기 블록으로 메모리를 나눈다. ![그림](/img/fig.png)\n\n"
        "## 프로세스\n\n### 문맥 교환이란?\n\n실행 중인 프로세스를 바꾸는 일이다.\n",
        encoding="utf-8",
    )
    (notes / "draft.md").write_text("- **초안 질문?**\n  - 초안\n", encoding="utf-8")
    result = run_cli("build", "notes")
    assert result.exit_code == 0, result.output
    assert "2 notes (0 sub-questions) from 1 file" in result.output
    anki.import_package(tmp_path / "dist" / "notes-v3.0.0.apkg")
    paging = anki.note_by_question("페이징이란?")
    assert anki.deck_of(paging) == "설정::첫 묶음"
    assert {"공통", "메모리"} <= set(paging.tags)  # the only h1 is the title, not a section
    assert 'src="fig-' in paging["Answer"]
    assert paging["Context"] == "메모리"
    (notes / "a.md").write_text("### 페이징이란?\n\n바뀐 답.\n", encoding="utf-8")
    refused = run_cli("build", "notes")
    assert refused.exit_code == 1
    assert "error: version 3.0.0 was already released with other content" in refused.stderr


def test_system_font_embeds_no_font(run_cli, tmp_path, anki):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text("- **스택이란?**\n  - 나중에 넣은 것을 먼저 꺼내는 자료구조 σ\n", encoding="utf-8")
    for font, version in (("bundled", "1.0.0"), ("system", "1.1.0")):
        (notes / "deckgen.toml").write_text(f'font = "{font}"\nversion = "{version}"\n', encoding="utf-8")
        result = run_cli("build", "notes")
        assert result.exit_code == 0, result.output
    with zipfile.ZipFile(tmp_path / "dist" / "notes-v1.0.0.apkg") as bundled:
        assert sum(name.startswith("_dg-kr-") for name in json.loads(bundled.read("media")).values()) == 4
    with zipfile.ZipFile(tmp_path / "dist" / "notes-v1.1.0.apkg") as system:
        assert json.loads(system.read("media")) == {}
    anki.import_package(tmp_path / "dist" / "notes-v1.1.0.apkg")
    # The notetype is every deck's: its CSS stays the same, naming font files this deck does not ship.
    css = anki.note_by_question("스택이란?").note_type()["css"]
    assert css == notetype_css() and '"Deckgen KR", "Pretendard", "Noto Sans KR"' in css
    assert not list(Path(anki.col.media.dir()).glob("_dg-kr-*"))
