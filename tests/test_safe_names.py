"""Names and titles show as written on a card, in the deck description and in CHANGELOG.md, and
math or settings that could reach outside the card are refused at their line."""

from __future__ import annotations

from tests.test_card_safety import HOSTILE_NAME, HOSTILE_TITLE, _build, _imported


def test_a_file_name_and_a_deck_title_show_as_written(run_cli, tmp_path, anki):
    result = _build(run_cli, tmp_path, {HOSTILE_NAME: "- **파일 이름 질문?**\n  - 답\n"}, "--deck-name", HOSTILE_TITLE)
    assert result.exit_code == 0, result.output
    (card,) = _imported(anki, tmp_path)
    assert card.note()["Source"] == "&lt;img src=x onerror=alert(1)&gt;.md:1"
    assert '<div class="dg-source">&lt;img src=x onerror=alert(1)&gt;.md:1</div>' in card.answer()
    description = anki.col.decks.by_name(HOSTILE_TITLE)["desc"]
    assert description.startswith("<b>&lt;img src=x onerror=alert(2)&gt;</b> — version 1.0.0")


def test_the_changelog_holds_no_markup_or_control_characters(run_cli, tmp_path):
    result = _build(run_cli, tmp_path, {"evil\x1b[2J.md": "- **`<script>alert(1)</script>` 질문\x1b]0;t\x07?**\n  - 답\n"})
    assert result.exit_code == 0, result.output
    log = (tmp_path / "dist" / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "\x1b" not in log and "\x07" not in log and "<script" not in log
    assert "- &lt;script>alert(1)&lt;/script> 질문\\x1b]0;t\\x07? (evil\\x1b[2J.md)" in log


def test_media_root_outside_the_notes_is_a_located_error(run_cli, tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "deckgen.toml").write_text('title = "t"\nmedia_root = "/"\n', encoding="utf-8")
    result = _build(run_cli, tmp_path, {"q.md": "- **질문?**\n  - 답\n"})
    assert result.exit_code == 1
    assert any(line.startswith('notes/deckgen.toml:2: error: "media_root" = "/" lies outside the notes folder or its parent')
               for line in result.stderr.splitlines())


def test_refused_math_is_warned_at_its_line(run_cli, tmp_path):
    result = _build(run_cli, tmp_path, {"m.md": "- **질문?**\n  - 답\n  - $\\href{javascript:alert(1)}{x}$\n"})
    assert result.exit_code == 0, result.output
    assert ("notes/m.md:3: warning: math command \\href removed (the math it wraps is kept): "
            "a link in math could run script on the card") in result.stderr.splitlines()
    assert _build(run_cli, tmp_path, {}, "--strict").exit_code == 1


def test_a_file_name_that_is_not_utf8_is_a_located_error(run_cli, tmp_path):
    import os

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "ok.md").write_text("## 스택이란?\n\n후입선출.\n", encoding="utf-8")
    with open(os.path.join(os.fsencode(notes), b"bad\xff.md"), "w", encoding="utf-8") as f:
        f.write("## 큐란?\n\n선입선출.\n")
    result = run_cli("build", "notes", "-o", "dist")
    assert result.exit_code == 1
    assert "notes/bad\\xff.md: error: the file name is not valid UTF-8; rename the file" in result.stderr.splitlines()
    assert "Traceback" not in result.output + result.stderr
