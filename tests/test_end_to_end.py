"""The whole path a user takes: `python build_deck.py` on the sample notes, imported into Anki."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from deckgen import fonts
from tests.conftest import ROOT


def _questions_in(folder: Path) -> int:
    """Count what a reader sees as top-level questions: index links and bold bullets."""
    count = 0
    for path in folder.glob("*.md"):
        text = path.read_text(encoding="utf-8")
        count += len(re.findall(r"^\* \[.+\]\(#\d+\)\s*$", text, re.M))
        count += len(re.findall(r"^- \*\*.+\*\*\s*$", text, re.M))
    return count


def test_build_deck_script_on_the_sample_notes(tmp_path, anki):
    work = tmp_path / "project"
    shutil.copytree(ROOT / "sources", work / "sources", ignore=shutil.ignore_patterns("deckgen.lock"))
    done = subprocess.run(
        [sys.executable, str(ROOT / "build_deck.py"), "build"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    packages = list((work / "dist").glob("dl-interview-v*.apkg"))
    assert [p.name for p in packages] == ["dl-interview-v1.0.0.apkg"]
    assert f"wrote dist/{packages[0].name}" in done.stdout
    summary = re.search(r"(\d+) notes \((\d+) sub-questions\) from 3 files, (\d+) skipped", done.stdout)
    assert summary, done.stdout
    notes, subs, skipped = map(int, summary.groups())
    # Every question a reader sees is a card: the top-level ones, less the placeholders, plus subs.
    assert notes == _questions_in(work / "sources") - skipped + subs
    assert (work / "sources" / "deckgen.lock").is_file()
    assert (work / "dist" / "CHANGELOG.md").is_file()

    result = anki.import_package(packages[0])
    imported = anki.notes()
    assert len(imported) == notes == len(result.log.new)
    decks = {anki.deck_of(n) for n in imported}
    assert decks == {"딥러닝 면접 노트::딥러닝 기초", "딥러닝 면접 노트::활성화 함수", "딥러닝 면접 노트::학습과 최적화"}
    for note in imported:
        assert note.note_type()["name"] == "deckgen Q&A"
        assert note["Question"].strip() and note["Answer"].strip()
        assert re.fullmatch(r"0\d-[a-z]+\.md:\d+", note["Source"])
    activation = [n for n in imported if anki.deck_of(n).endswith("활성화 함수")]
    assert all({"면접", "딥러닝", "활성화함수", "DL"} <= set(n.tags) for n in activation)
    with_context = [n for n in imported if n["Context"]]
    assert len(with_context) == subs
    math = [n for n in imported if "\\(" in n["Answer"]]
    assert math, "inline math reaches Anki as \\(...\\)"
    assert any("\\[" in n["Answer"] for n in imported)
    assert any('<pre class="code"><code class="language-python">' in n["Answer"] for n in imported)
    keyworded = [n for n in imported if n["Keywords"]]
    assert keyworded and all('<span class="kw">' in n["Keywords"] for n in keyworded)

    # What the reviewer shows: the card's rendered HTML from the imported notetype.
    card = with_context[0].cards()[0]
    front, back = card.question(), card.answer()
    assert 'class="dg-context"' in front and with_context[0]["Question"] in front
    assert with_context[0]["Answer"] in back and with_context[0]["Source"] in back


def test_same_cli_three_ways(tmp_path):
    for command in (
        [sys.executable, str(ROOT / "build_deck.py"), "--help"],
        [sys.executable, "-m", "deckgen", "--help"],
    ):
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0
        assert "Turn markdown study notes into versioned Anki decks." in done.stdout
        assert "build" in done.stdout
    deckgen = Path(sys.executable).parent / "deckgen"
    if deckgen.exists():  # the console script, when the project is installed in this environment
        done = subprocess.run([str(deckgen), "--help"], cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 0 and "build" in done.stdout


def test_wheel_ships_the_templates(tmp_path):
    # Build from a copy: setuptools writes build/ and *.egg-info beside the sources.
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for folder in ("deckgen", "templates"):
        shutil.copytree(ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__"))
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(src)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    wheel = next(tmp_path.glob("deckgen-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("deckgen/templates/front.html", "deckgen/templates/back.html", "deckgen/templates/style.css",
                   "deckgen/templates/fonts/Pretendard-Regular.otf", "deckgen/templates/fonts/OFL.txt",
                   "deckgen/templates/preview/page.html", "deckgen/templates/preview/page.css",
                   "deckgen/templates/preview/page.js"):
        assert needed in names
    shipped = {f"deckgen/templates/{p.relative_to(ROOT / 'templates').as_posix()}"
               for p in (ROOT / "templates" / "fonts" / "subsets").rglob("*.woff2")}
    # The base subsets and every block of each weight, cut ahead, and the manifest naming them.
    assert len(shipped) == 2 + 2 * len(fonts.blocks()) and shipped <= names
    assert "deckgen/templates/fonts/subsets/blocks.json" in names
