"""A build keeps Python's collector from sweeping the whole heap, and leaves it as it found it."""

from __future__ import annotations

import gc

from deckgen.build import build
from deckgen.model import BuildConfig


def test_a_build_runs_no_full_collection_and_restores_the_collector(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text(
        "".join(f"- **질문 {i}번은 무엇인가요?**\n  - 답 {i}: $x_{{{i}}}$ 와 `code_{i}`\n" for i in range(300)),
        encoding="utf-8")
    config = BuildConfig(sources=(notes,), outdir=tmp_path / "dist")
    runs = {0: 0, 1: 0, 2: 0}

    def seen(phase: str, info: dict) -> None:
        if phase == "start":
            runs[info["generation"]] += 1

    before = gc.get_threshold()
    gc.collect()
    gc.set_threshold(100, 5, 1)  # a full collection at nearly every chance
    gc.callbacks.append(seen)
    try:
        report = build(config)
        assert gc.get_threshold() == (100, 5, 1)
    finally:
        gc.callbacks.remove(seen)
        gc.set_threshold(*before)
    assert report.notes == 300
    assert runs[2] == 0  # never the whole heap
    assert runs[0] > 10 and runs[1] > 1  # the young generations, as usual
