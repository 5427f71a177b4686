"""Bad and hostile input: compiler-style messages, safe cards, and nothing lost on failure."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES


def _build_one(run_cli, tmp_path: Path, name: str, *extra: str):
    notes = tmp_path / "notes"
    notes.mkdir(exist_ok=True)
    shutil.copy(FIXTURES / "errors" / name, notes / name)
    return run_cli("build", "notes", "-o", "dist", *extra)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bad_yaml.md", "notes/bad_yaml.md:3: error: front matter: expected ',' or ']', but got ':'"),
        ("binary.md", "notes/binary.md: error: not a text file (it contains NUL bytes)"),
        ("empty.md", "error: no questions found in notes"),
    ],
)
def test_bad_input_fails_with_a_located_error(run_cli, tmp_path, name, message):
    result = _build_one(run_cli, tmp_path, name)
    assert result.exit_code == 1
    assert message in result.stderr.splitlines()
    assert "Traceback" not in result.output + result.stderr
    assert not (tmp_path / "dist").exists()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("cp949.md", "notes/cp949.md: warning: file is not UTF-8; read it as CP949 (EUC-KR) — consider saving it as UTF-8"),
        ("list_front_matter.md", "notes/list_front_matter.md:1: warning: front matter is not a mapping; ignored"),
        ("missing_anchor.md", 'notes/missing_anchor.md:2: warning: link to "#9" matches no heading in this file; question skipped'),
        ("missing_anchor.md", 'notes/missing_anchor.md:8: warning: answer section "#2" is not linked from the question list; skipped'),
        ("duplicate.md", 'notes/duplicate.md:3: warning: duplicate question "같은 질문?" (also at notes/duplicate.md:1)'),
        ("unclosed_front_matter.md", "notes/unclosed_front_matter.md:1: warning: front matter is never closed "
         "(no second `---` line); read as ordinary text"),
    ],
)
def test_questionable_input_builds_with_a_located_warning(run_cli, tmp_path, anki, name, message):
    result = _build_one(run_cli, tmp_path, name)
    assert result.exit_code == 0, result.output
    assert message in result.stderr.splitlines()
    strict = _build_one(run_cli, tmp_path, name, "--strict")
    assert strict.exit_code == 1


def test_encodings_and_line_ends_read_cleanly(run_cli, tmp_path, anki):
    notes = tmp_path / "notes"
    notes.mkdir()
    for name in ("cp949.md", "bom_crlf.md", "cr_only.md", "tabs.md"):
        shutil.copy(FIXTURES / "errors" / name, notes / name)
    result = run_cli("build", "notes", "-o", "dist")
    assert result.exit_code == 0, result.output
    anki.import_package(next((tmp_path / "dist").glob("*.apkg")))
    by_question = {n["Question"]: n for n in anki.notes()}
    assert set(by_question) == {"인코딩 질문?", "줄바꿈 질문?", "옛 맥 질문?", "탭 질문?"}
    assert "<li>탭으로 들여 쓴 답\n<ul>\n<li>더 깊은 답</li>" in by_question["탭 질문?"]["Answer"]
    assert "한글 답변입니다." in by_question["인코딩 질문?"]["Answer"]
    assert "\r" not in by_question["줄바꿈 질문?"]["Answer"]
    assert "<li>둘째 줄</li>" in by_question["줄바꿈 질문?"]["Answer"]


def test_undecodable_file_says_how_to_convert(run_cli, tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "latin.md").write_bytes(b"- **q?**\n  - " + b"\xff\xfe\xfa\xfb\n")
    result = run_cli("build", "notes", "-o", "dist")
    assert result.exit_code == 1
    assert (
        "notes/latin.md:2: error: cannot decode the file as UTF-8 or CP949 (EUC-KR); "
        "save it as UTF-8 (e.g. `iconv -f <encoding> -t UTF-8`)"
    ) in result.stderr.splitlines()


def test_hostile_html_is_sanitised(run_cli, tmp_path, anki):
    result = _build_one(run_cli, tmp_path, "hostile.md")
    assert result.exit_code == 0, result.output
    anki.import_package(next((tmp_path / "dist").glob("*.apkg")))
    answer = anki.note_by_question("위험한 답?")["Answer"]
    for bad in ("<script", "alert(1)", "onerror", "javascript:", "<iframe", "onclick", "data:text"):
        assert bad not in answer
    assert "안전한 글" in answer and "<b>굵게</b>" in answer
    assert '<img src="data:image/gif;base64,' in answer


def test_images_are_packaged_under_hashed_lowercase_names(run_cli, tmp_path, anki):
    shutil.copytree(FIXTURES / "media", tmp_path / "notes", ignore=shutil.ignore_patterns("bad_*"))
    result = run_cli("build", "notes", "-o", "dist")
    assert result.exit_code == 0, result.output
    assert (
        'notes/images.md:5: warning: remote image "https://example.com/a.png" kept as a link '
        "(phones may be offline)"
    ) in result.stderr.splitlines()
    anki.import_package(next((tmp_path / "dist").glob("*.apkg")))
    answer = anki.note_by_question("그림이 있는 질문?")["Answer"]
    assert '<img src="diagram-one-923ef6d346b8.png" alt="구조도">' in answer
    assert '<img src="diagram-one-923ef6d346b8.png" width="100">' in answer
    assert '<a class="remote-image" href="https://example.com/a.png">원격</a>' in answer
    media = Path(anki.col.media.dir()) / "diagram-one-923ef6d346b8.png"
    assert media.read_bytes() == (FIXTURES / "media" / "img" / "Diagram One.PNG").read_bytes()


def test_images_outside_the_notes_or_missing_are_errors(run_cli, tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    shutil.copy(FIXTURES / "media" / "bad_images.md", notes / "bad_images.md")
    shutil.copy(FIXTURES / "media" / "img" / "Diagram One.PNG", tmp_path.parent / "outside.png")
    (notes / "img").mkdir()
    os.symlink(tmp_path.parent / "outside.png", notes / "img" / "link.png")
    with (notes / "bad_images.md").open("a", encoding="utf-8") as f:
        f.write("- **링크 그림?**\n  - ![링크](img/link.png)\n")
    result = run_cli("build", "notes", "-o", "dist")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert 'notes/bad_images.md:2: error: image "../../outside.png" lies outside the notes folder; copy it inside' in lines
    assert 'notes/bad_images.md:4: error: image "img/none.png" not found' in lines
    assert 'notes/bad_images.md:6: error: image "img/link.png" lies outside the notes folder; copy it inside' in lines


def test_images_in_a_question_are_packaged_or_reported_too(run_cli, tmp_path, anki):
    notes = tmp_path / "notes"
    (notes / "img").mkdir(parents=True)
    shutil.copy(FIXTURES / "media" / "img" / "Diagram One.PNG", notes / "img" / "d.png")
    (notes / "q.md").write_text("- **이 그림 ![구조](img/d.png) 은 무엇인가?**\n  - 구조도\n", encoding="utf-8")
    result = run_cli("build", "notes")
    assert result.exit_code == 0, result.output
    anki.import_package(next((tmp_path / "dist").glob("*.apkg")))
    assert anki.notes()[0]["Question"] == '이 그림 <img src="d-923ef6d346b8.png" alt="구조"> 은 무엇인가?'
    assert (Path(anki.col.media.dir()) / "d-923ef6d346b8.png").is_file()
    (notes / "q.md").write_text('- **없는 그림 <img src="img/none.png"> 은?**\n  - 답\n', encoding="utf-8")
    missing = run_cli("build", "notes")
    assert missing.exit_code == 1
    assert 'notes/q.md:1: error: image "img/none.png" not found' in missing.stderr.splitlines()


def test_front_matter_typos_under_deckgen_are_errors_at_their_lines(run_cli, tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    body = "\n## 스택이란?\n\n후입선출 구조다.\n"
    (notes / "a.md").write_text("---\ntitle: 가\ndeckgen:\n  shape: headings\n  shpae: qa\n---\n" + body, encoding="utf-8")
    (notes / "b.md").write_text("---\ndeckgen: {shape: qa, section: {x: lists}}\n---\n" + body, encoding="utf-8")
    (notes / "c.md").write_text("---\ndeckgen: headings\n---\n" + body, encoding="utf-8")
    (notes / "d.md").write_text("---\ndeckgen:\n  colour: red\n---\n" + body, encoding="utf-8")
    (notes / "e.md").write_text("---\ndeckgen:\n  shape: detials\n---\n" + body, encoding="utf-8")
    result = run_cli("build", "notes")
    assert result.exit_code == 1
    assert [line for line in result.stderr.splitlines() if "front matter" in line or "failed" in line] == [
        'notes/a.md:5: error: front matter: unknown setting "shpae" under deckgen (did you mean "shape"?)',
        'notes/b.md:2: error: front matter: unknown setting "section" under deckgen (did you mean "sections"?)',
        'notes/c.md:2: error: front matter: "deckgen" must be a mapping of settings (e.g. `deckgen: {shape: qa}`), '
        "not a string",
        'notes/d.md:3: error: front matter: unknown setting "colour" under deckgen (expected shape or sections)',
        'notes/e.md:3: warning: front matter: unknown shape "detials" (did you mean "details"?); detecting it instead',
        "error: build failed: 4 errors",
    ]
    assert "Traceback" not in result.output and not (tmp_path / "dist").exists()


def test_an_id_pinned_to_two_questions_is_an_error(run_cli, tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text("- **모멘텀은 무엇인가요?** <!-- id: momentum -->\n  - 관성을 쓴다.\n"
                                "- **아담은 무엇인가요?** <!-- id: adam -->\n  - 적응적이다.\n", encoding="utf-8")
    (notes / "b.md").write_text("## 네스테로프 모멘텀이란?\n\n<!-- id: momentum -->\n\n미리 가 본 곳의 기울기.\n",
                                encoding="utf-8")
    result = run_cli("build", "notes")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        'notes/b.md:1: error: the id "momentum" is pinned to two questions (also at notes/a.md:1); '
        "give each question an id of its own",
        "error: build failed: 1 error",
    ]
    assert not (tmp_path / "dist").exists() and not (notes / "deckgen.lock").exists()
    (notes / "b.md").write_text("## 네스테로프 모멘텀이란?\n\n<!-- id: nesterov -->\n\n미리 가 본 곳의 기울기.\n",
                                encoding="utf-8")
    assert run_cli("build", "notes").exit_code == 0


def test_a_python_without_the_dependencies_gets_a_one_line_hint(tmp_path):
    """`python build_deck.py` with a Python that has none of deckgen's libraries (a bare virtual
    environment, as the system's Python may be) says what to run, in one line."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True, timeout=120)
    python = str(bare / "bin" / "python")
    hint = ("error: deckgen needs its dependencies, and this Python lacks genanki, markdown-it-py, mdit-py-plugins, "
            "and 7 more: run `make deck`, or `pip install -e .` in a virtual environment\n")
    for command, cwd in (([python, str(ROOT / "build_deck.py"), "build", "nowhere"], tmp_path),
                         ([python, "-m", "deckgen", "build", "nowhere"], ROOT)):
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=60)
        assert (done.returncode, done.stderr, done.stdout) == (1, hint, ""), command
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bare"]


def test_the_dependencies_checked_are_those_of_pyproject():
    import tomllib

    from deckgen.dependencies import REQUIRES, missing
    from tests.conftest import ROOT

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    assert sorted(REQUIRES) == sorted(re.split(r"[<>=!~ ]", d, maxsplit=1)[0] for d in declared)
    assert missing() == []  # this environment has them all


def test_an_old_python_is_told_which_it_needs(monkeypatch):
    import sys

    from deckgen import dependencies

    monkeypatch.setattr(sys, "version_info", (3, 10, 13, "final", 0))
    assert dependencies.old_python() == ("deckgen needs Python 3.11 or newer, and this is 3.10: run it with a newer one "
                                      "(e.g. `make deck PYTHON=python3.12`)")


def test_make_says_what_to_install_when_venv_or_npm_is_missing(tmp_path):
    """The Makefile's own messages, for a Python without venv (Debian's without python3-venv) and
    for `make test` without npm."""
    import subprocess

    from tests.conftest import ROOT

    make = shutil.which("make")
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    no_venv = subprocess.run([make, "-s", ".venv/bin/python", "PYTHON=false"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=60)
    assert no_venv.returncode != 0 and not (tmp_path / ".venv").exists()
    assert ("error: 'false -m venv' failed; on Debian or Ubuntu, install python3-venv "
            "(sudo apt-get install python3-venv)") in no_venv.stderr.splitlines()
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").touch()
    no_npm = subprocess.run([make, "-s", ".venv/mathjax/es5/tex-chtml.js"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60, env={"PATH": str(tmp_path / "nothing-here")})
    assert no_npm.returncode != 0
    assert ("error: make test fetches MathJax 3 with npm; install it (Debian: sudo apt-get install npm)"
            in no_npm.stderr.splitlines())
