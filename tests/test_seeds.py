"""The user's own two notes, where they are available: exactly the 26 notes a reader sees."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import SEEDS

pytestmark = pytest.mark.skipif(not SEEDS.is_dir(), reason="the user's seed notes are not beside this checkout")


def test_seed_documents_give_the_26_notes(run_cli, tmp_path, anki):
    notes_dir = tmp_path / "seeds"
    notes_dir.mkdir()
    for seed in sorted(SEEDS.glob("*.txt")):
        shutil.copy(seed, notes_dir / (seed.stem + ".md"))
    result = run_cli("build", str(notes_dir), "-o", str(tmp_path / "dist"))
    assert result.exit_code == 0, result.output
    assert "26 notes (7 sub-questions)" in result.output
    assert "1 skipped" in result.output
    first = next(p.name for p in notes_dir.glob("000_*.md"))
    assert f"seeds/{first}:91: warning: question has no answer" in result.stderr

    package = next((tmp_path / "dist").glob("seeds-v1.0.0.apkg"))
    anki.import_package(package)
    notes = anki.notes()
    assert len(notes) == 26
    sub = [n for n in notes if n["Context"]]
    assert len(sub) == 7
    assert sum("ReLU를 많이 쓰는데" in n["Context"] for n in sub) == 4
    assert sum("Gradient Descent에 대해서" in n["Context"] for n in sub) == 3
    gd = anki.note_by_question("Gradient Descent에 대해서 쉽게 설명한다면?")
    assert gd["Answer"].startswith("<p>우리가 원하고자 하는 목표에 도달하기 위해 방향을 설정하는 것</p>")
    bold = [n for n in notes if "문제편" in anki.deck_of(n)]
    assert len(bold) == 7
    assert all(set(n.tags) == {"Cheat_Sheet", "DL", "CheetSheet"} for n in bold)
