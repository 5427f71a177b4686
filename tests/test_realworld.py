"""The real-world corpus (`../shared/realworld`, beside the repository): real collections read
as a user builds them, scored against a reader's ground truth in real Anki.

The corpus belongs to its authors and is not part of this repository: without it this test skips.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REALWORLD = Path(__file__).resolve().parents[2] / "shared" / "realworld"
pytestmark = pytest.mark.skipif(not (REALWORLD / "score.py").exists(), reason="no shared/realworld")


def test_every_answered_question_of_the_corpus_is_one_intact_note(tmp_path):
    deckgen = Path(sys.executable).parent / "deckgen"
    env = {**os.environ, "DECKGEN_CACHE": str(tmp_path / "cache")}
    result = subprocess.run(
        [sys.executable, str(REALWORLD / "score.py"), str(deckgen), "--python", sys.executable,
         "--keep", str(tmp_path / "run")],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    last = next(line for line in reversed(result.stdout.splitlines()) if line.startswith("realworld:"))
    figures = dict(re.findall(r"(intact recall|intact precision) ([0-9.]+)", last))
    assert float(figures["intact recall"]) >= 0.97, last
    assert float(figures["intact precision"]) >= 0.97, last
    total = next(line for line in result.stdout.splitlines() if line.startswith("| **all**"))
    made, unanswered = re.search(r"\| (\d+)/(\d+) \| \d+/\d+ \|$", total).groups()
    assert made == "0", f"{made} of {unanswered} unanswered questions became notes"
