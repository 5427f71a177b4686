"""How fast markdown engines render the same answers: what bounds a full build from below.

Renders every answer of a corpus (cut into questions as bench/floor.py does) with each engine
installed, in one process, and prints one JSON line per engine: its median wall time over the
repetitions and its ratio to markdown-it-py, which deckgen and the floor use. run.py runs it from
its own virtualenv (bench/.venvs/engines), so the compiled engines never enter deckgen's.

    python bench/engines.py CORPUS_DIR [--reps 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from floor import questions


def engines() -> dict[str, object]:
    """Return a render function per installed engine, each with math and tables turned on."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    found: dict[str, object] = {
        "markdown-it-py + dollarmath": MarkdownIt("commonmark").enable("table").use(dollarmath_plugin).render,
    }
    try:  # the Rust port of markdown-it: no dollar-math plugin
        import markdown_it_pyrs

        found["markdown-it-pyrs (no math)"] = markdown_it_pyrs.MarkdownIt("commonmark").enable("table").render
    except ImportError:
        pass
    try:  # pulldown-cmark, in Rust: math and tables are options
        import pyromark

        options = pyromark.Options.ENABLE_MATH | pyromark.Options.ENABLE_TABLES
        found["pyromark (pulldown-cmark)"] = lambda text: pyromark.html(text, options=options)
    except ImportError:
        pass
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    answers = [a for path in sorted(args.corpus.glob("*.md"))
               for _, a in questions(path.read_text(encoding="utf-8"))]
    walls: dict[str, float] = {}
    for name, render in engines().items():
        times = []
        for _ in range(args.reps):
            start = time.perf_counter()
            for answer in answers:
                render(answer)
            times.append(time.perf_counter() - start)
        walls[name] = statistics.median(times)
    base = next(iter(walls.values()))
    for name, wall in walls.items():
        print(json.dumps({"engine": name, "answers": len(answers), "wall": wall, "ratio": wall / base}))


if __name__ == "__main__":
    main()
