"""A note file's code blocks are highlighted once: a later parse of it in a new process reuses
their HTML (cache.CodeMemo) and builds no Pygments lexer for blocks that did not change."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from deckgen import cache

NOTES = """\
# 코드 예시

- **소프트맥스를 파이썬으로 쓰면?**
  - 최댓값을 빼서 넘침을 막습니다.

    ```python
    def softmax(x):
        e = np.exp(x - x.max())
        return e / e.sum()
    ```

- **주문이 세 번 넘는 사용자는?**
  - 묶어서 셉니다.

    ```SQL
    SELECT user_id, COUNT(*) FROM orders GROUP BY user_id HAVING COUNT(*) > 3;
    ```

- **모르는 언어의 블록은?**
  - 그대로 보입니다.

    ```nosuchlang extra words
    a <b> & c
    ```

- **언어가 없는 블록은?**
  - 이스케이프만 됩니다.

    ```
    plain <x> & y
    ```
"""

# Run in a new process, so nothing highlighted or looked up earlier is in memory: parse the notes
# as a build does, and say what came out and which lexers were built.
_PARSE = """
import json, sys
from pathlib import Path
from deckgen.build import collect
from deckgen.errors import Problems
from deckgen.model import BuildConfig
from deckgen import markdown

problems = Problems()
_deck, files, _media = collect(BuildConfig(sources=(Path(sys.argv[1]),), outdir=Path(sys.argv[2])), problems)
print(json.dumps({
    "notes": [repr(f.notes) + repr(f.prepared) for f in files],
    "errors": [str(d) for d in problems.items if d.severity == "error"],
    "lexers built": markdown._lexer.cache_info().misses,
    "lexer modules": sorted(m for m in sys.modules if m.startswith("pygments.lexers.") and not m[16:].startswith("_")),
}))
"""


def _parse(notes: Path, cache_dir: Path) -> dict:
    env = {**os.environ, "DECKGEN_CACHE": str(cache_dir)}
    done = subprocess.run([sys.executable, "-c", _PARSE, str(notes), str(notes.parent / "dist")],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["errors"] == []
    return found


def _forget_parses(cache_dir: Path) -> None:
    """Remove the stored parses but not the code memos: the file is parsed again, as after an edit."""
    for path in (cache_dir / "parse").iterdir():
        if not path.name.startswith("code-"):
            path.unlink()


def _memo(notes_file: Path, cache_dir: Path, monkeypatch) -> cache.CodeMemo:
    monkeypatch.setenv("DECKGEN_CACHE", str(cache_dir))
    return cache.CodeMemo(notes_file)


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "code.md").write_text(NOTES, encoding="utf-8")
    return folder


def test_a_parse_with_the_memo_builds_no_lexer_and_gives_the_same_notes(notes, tmp_path, monkeypatch):
    first = _parse(notes, tmp_path / "cache")
    assert first["lexers built"] == 3  # python, sql and the unknown one looked up
    assert first["lexer modules"] == ["pygments.lexers.python", "pygments.lexers.sql"]
    assert "<span class=\"k\">def</span>" in first["notes"][0] and "language-nosuchlang" in first["notes"][0]

    memo = _memo((notes / "code.md").resolve(), tmp_path / "cache", monkeypatch)
    # The block with no language is only escaped: it has no entry.
    assert sorted(name for name, _code in memo.get()) == ["nosuchlang", "python", "sql"]
    written = memo.path.stat()

    _forget_parses(tmp_path / "cache")
    again = _parse(notes, tmp_path / "cache")
    assert again["notes"] == first["notes"]
    assert again["lexers built"] == 0 and again["lexer modules"] == []
    assert (memo.path.stat().st_ino, memo.path.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)  # not rewritten


def test_editing_one_block_builds_only_its_lexer(notes, tmp_path, monkeypatch):
    _parse(notes, tmp_path / "cache")
    path = notes / "code.md"
    path.write_text(NOTES.replace("return e / e.sum()", "return e / np.sum(e)")
                    .replace("그대로 보입니다.", "그대로 보입니다, 색 없이."), encoding="utf-8")
    edited = _parse(notes, tmp_path / "cache")
    assert edited["lexers built"] == 1 and edited["lexer modules"] == ["pygments.lexers.python"]
    assert _parse(notes, tmp_path / "fresh cache")["notes"] == edited["notes"]  # as highlighted with no memo

    blocks = _memo(path.resolve(), tmp_path / "cache", monkeypatch).get()
    python = [code for name, code in blocks if name == "python"]
    assert len(python) == 1 and "np.sum(e)" in python[0]  # the new block, and not the old one
    assert sorted(name for name, _code in blocks) == ["nosuchlang", "python", "sql"]


def _stamped(other: str) -> str:
    fingerprint, version = cache._made_by().split("\0")
    return f"{fingerprint}\0{version}.1" if other == "pygments" else f"{'0' * len(fingerprint)}\0{version}"


@pytest.mark.parametrize("stale", ["deckgen's code", "pygments", "truncated", "foreign"])
def test_a_stale_or_broken_memo_is_ignored(stale, notes, tmp_path, monkeypatch):
    right = _parse(notes, tmp_path / "cache")
    memo = _memo((notes / "code.md").resolve(), tmp_path / "cache", monkeypatch)
    wrong = {key: "<pre>wrong</pre>" for key in memo.get()}
    # The check can fail: the same blocks under the right stamp are taken as they are.
    cache._store(memo.path, cache.Highlighted(cache._made_by(), wrong))
    _forget_parses(tmp_path / "cache")
    assert "<pre>wrong</pre>" in _parse(notes, tmp_path / "cache")["notes"][0]

    if stale == "truncated":
        memo.path.write_bytes(memo.path.read_bytes()[:40])
    elif stale == "foreign":
        cache._store(memo.path, wrong)  # the blocks alone, not a memo
    else:
        cache._store(memo.path, cache.Highlighted(_stamped(stale), wrong))
    _forget_parses(tmp_path / "cache")
    again = _parse(notes, tmp_path / "cache")
    assert again["notes"] == right["notes"]
    assert again["lexers built"] == 3
    kept = memo.get()  # written again, by this deckgen and Pygments
    assert sorted(name for name, _code in kept) == ["nosuchlang", "python", "sql"]
    assert "<pre>wrong</pre>" not in kept.values()


def test_a_parse_with_errors_keeps_no_memo(notes, tmp_path, monkeypatch):
    from deckgen.build import collect
    from deckgen.errors import Problems
    from deckgen.model import BuildConfig

    monkeypatch.setenv("DECKGEN_CACHE", str(tmp_path / "cache"))
    (notes / "code.md").write_text(NOTES + "\n- **그림은?**\n  - ![그림](missing.png)\n", encoding="utf-8")
    problems = Problems()
    collect(BuildConfig(sources=(notes,), outdir=tmp_path / "dist"), problems)
    assert [d.message for d in problems.errors] == ['image "missing.png" not found']
    assert not cache.CodeMemo((notes / "code.md").resolve()).path.exists()


def test_a_process_that_keeps_the_notes_keeps_their_blocks_in_the_memo(notes, tmp_path, monkeypatch):
    """`deckgen server` takes the notes an edit did not reach from its last parse, highlighting
    none of their blocks again: the memo it writes still holds them, for a later one-off build."""
    from deckgen import build
    from deckgen.errors import Problems
    from deckgen.model import BuildConfig
    from tests.conftest import keep_in_memory

    memo = _memo((notes / "code.md").resolve(), tmp_path / "cache", monkeypatch)
    keep_in_memory(monkeypatch)
    config = BuildConfig(sources=(notes,), outdir=tmp_path / "dist")
    build.collect(config, Problems())
    with (notes / "code.md").open("a", encoding="utf-8") as f:
        f.write("\n- **새 질문은?**\n  - 코드 없는 답입니다.\n\n    ```bash\n    ls -l\n    ```\n")
    _deck, files, _media = build.collect(config, Problems())
    assert len(files[0].notes) == 5
    assert sorted(name for name, _code in memo.get()) == ["bash", "nosuchlang", "python", "sql"]
