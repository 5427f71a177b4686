"""Profile one deckgen build of a benchmark corpus and show where the time goes, stage by stage.

    python bench/profile_build.py 10k              # cold full build (no lock, no output, no cache)
    python bench/profile_build.py 10k --case edit  # full build, then profile the rebuild after adding one question
    python bench/profile_build.py 10k --case nochange
    python bench/profile_build.py 10k --case server  # as `deckgen server` keeps it: profile the second edit

The corpus is copied aside first, so this never touches bench/corpus/ while run.py uses it.
Shares are of the profiled wall time (cProfile adds overhead, roughly evenly).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402

# (label, file suffix, function): cumulative time of these functions makes the stage table.
STAGES = [
    ("parse: markdown-it-py tokenise (whole files)", "markdown_it/main.py", "parse"),
    ("parse: SyntaxTreeNode build", "markdown_it/tree.py", "__init__"),
    ("parse: notes_for (answers -> notes)", "deckgen/parse.py", "notes_for"),
    ("render: markdown-it-py render", "markdown_it/renderer.py", "render"),
    ("render: renderInline", "markdown_it/renderer.py", "renderInline"),
    ("render: node.to_tokens", "markdown_it/tree.py", "to_tokens"),
    ("render: nh3 sanitize", "deckgen/render.py", "sanitize"),
    ("render: Pygments highlight", "deckgen/markdown.py", "_highlight"),
    ("text: tokens_text / inline_text", "deckgen/markdown.py", "tokens_text"),
    ("front matter YAML", "deckgen/frontmatter.py", "read"),
    ("duplicate check", "deckgen/build.py", "_warn_duplicates"),
    ("fonts: card_text + charset", "deckgen/fonts.py", "charset"),
    ("fonts: card_text", "deckgen/fonts.py", "card_text"),
    ("fonts: subset (fontTools)", "deckgen/fonts.py", "_make_subset"),
    ("fonts: cached subset lookup", "deckgen/fonts.py", "_cached"),
    ("style: card_css total", "deckgen/style.py", "card_css"),
    ("lock: load", "deckgen/lock.py", "load"),
    ("lock: plan (ids, hashes)", "deckgen/lock.py", "plan"),
    ("lock: ids.match", "deckgen/ids.py", "match"),
    ("lock: commit (JSON + changelog)", "deckgen/lock.py", "commit"),
    ("package: write_package total", "deckgen/package.py", "write_package"),
    ("package: notes -> sqlite", "deckgen/package.py", "write_collection"),
    ("package: field HTML check", "deckgen/package.py", "invalid_html_tags"),
    ("package: genanki Note() init", "genanki/note.py", "__init__"),
    ("package: zip", "deckgen/package.py", "_add"),
    ("collect total (read + parse)", "deckgen/build.py", "collect"),
    ("build total", "deckgen/build.py", "build"),
]


def cumtimes(stats: pstats.Stats) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for (filename, _line, func), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
        for _label, suffix, name in STAGES:
            if func == name and filename.replace(os.sep, "/").endswith(suffix):
                out[(suffix, name)] = max(out.get((suffix, name), 0.0), ct)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("size", nargs="?", default="10k")
    ap.add_argument("--case", choices=("full", "nochange", "edit", "server"), default="full")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--code", type=Path, default=REPO,
                    help="folder holding the deckgen package to profile (default: this checkout; "
                    "bench/out/snapshot is the copy the last run.py measured)")
    args = ap.parse_args()

    c = corpus.generate(args.size)
    work = HERE / "out" / "profile"
    shutil.rmtree(work, ignore_errors=True)
    src = work / "corpus"
    shutil.copytree(c.shape("deckgen"), src, ignore=shutil.ignore_patterns("deckgen.lock"))
    outdir = work / "dist"
    os.environ["XDG_CACHE_HOME"] = str(work / "xdg-cache")
    sys.path.insert(0, str(args.code.resolve()))
    t0 = time.perf_counter()
    from deckgen.build import build  # noqa: E402
    from deckgen.model import BuildConfig  # noqa: E402
    imports = time.perf_counter() - t0

    def run():
        return build(BuildConfig(sources=(src,), outdir=outdir))

    if args.case == "server":  # what the server keeps between builds (see deckgen/resident.py)
        from deckgen.build import keep_in_memory

        keep_in_memory()
    if args.case != "full":
        run()
    if args.case in ("edit", "server"):
        spec = corpus.make_file(0)
        (src / spec.name).write_text(corpus.bold_bullets(spec, insert=corpus.extra_question()), encoding="utf-8")
    if args.case == "server":  # the first edit rereads the file whole; the second only where it reached
        run()
        path = src / spec.name
        old, new = corpus.after_extra(corpus.extra_question(second=True))
        path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    run()
    prof.disable()
    total = time.perf_counter() - t0
    prof.dump_stats(work / f"{args.case}-{args.size}.pstats")
    stats = pstats.Stats(prof)
    times = cumtimes(stats)
    print(f"{args.case} build of {c.notes} notes: {total:.2f} s under cProfile "
          f"(imports before it: {imports:.2f} s)\n")
    print("| stage | cumulative s | share |\n|---|---:|---:|")
    for label, suffix, name in STAGES:
        t = times.get((suffix, name))
        if t:
            print(f"| {label} | {t:.2f} | {t / total:.0%} |")
    print()
    stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
