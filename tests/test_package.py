"""The package writer: linear in the size of a field and in the number of subdecks, the same
collection genanki writes, and what genanki would warn about reported at its note."""

from __future__ import annotations

import itertools
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import warnings

import genanki
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deckgen import package
from deckgen.build import build
from deckgen.errors import DeckgenError
from deckgen.model import BuildConfig
from deckgen.notetype import make_notetype
from tests.conftest import FIXTURES, ROOT
from tests.test_shapes import _calls


def _build(notes, out):
    return build(BuildConfig(sources=(notes,), outdir=out, timestamp=1_800_000_000))


def _named(notes):
    """Name the deck, so the folder's name brings no warning of its own."""
    notes.mkdir()
    (notes / "deckgen.toml").write_text('title = "시험 노트"\nslug = "test-notes"\n', encoding="utf-8")
    return notes


# --- genanki's field check, in one pass -----------------------------------------------------


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(["<", ">", "/", " ", "a", "1", "!", "-", "[", "CDATA", "\n", '"', "é",
                                 "<!--", "<![CDATA[", "<a ", "</b>", "<br/>", "<p>"]), max_size=30).map("".join))
def test_html_check_finds_what_genanki_finds(field):
    assert package.invalid_html_tags(field) == genanki.Note._INVALID_HTML_TAG_RE.findall(field)


class _Counted(str):
    """A field that counts the characters its `find` calls read: the work of the check's own
    searches, which a count of calls cannot see (one call may read the whole line)."""

    read = 0

    def find(self, sub, start=0, end=None):
        found = super().find(sub, start, len(self) if end is None else end)
        _Counted.read += (found + len(sub) if found >= 0 else len(self)) - start
        return found


def _read(field: str) -> int:
    _Counted.read = 0
    package.invalid_html_tags(_Counted(field))
    return _Counted.read


@pytest.mark.parametrize("unit, tail", [
    ("<a ", ">"),  # every tag's ">" at the end of the line: genanki reads the rest of the line for each
    ('<img alt="x\ny"> ', ""),  # a ">" on the next line
    ('<a title="<b"> ', ""),  # a "<" inside a tag
    ("<< >", ""),
])
def test_html_check_reads_each_character_a_bounded_number_of_times(unit, tail):
    small, large = unit * 2000 + tail, unit * 6000 + tail
    assert package.invalid_html_tags(unit * 20 + tail) == genanki.Note._INVALID_HTML_TAG_RE.findall(unit * 20 + tail)
    read_small, read_large = _read(small), _read(large)
    # the searches for ">" and a line's end each pass over a character at most once
    assert read_small <= 2 * len(small) and read_large <= 2 * len(large), (read_small, read_large)
    assert 2.9 < read_large / read_small < 3.1, (read_small, read_large)


def test_a_line_of_math_is_checked_once_and_not_by_genanki(tmp_path, monkeypatch):
    notes = _named(tmp_path / "notes")
    (notes / "math.md").write_text("## 수식이란 무엇인가요?\n\n" + "$a$ " * 3000 + "\n", encoding="utf-8")

    def refuse(*_):
        raise AssertionError("genanki's own field check ran")

    monkeypatch.setattr(genanki.Note, "_find_invalid_html_tags_in_field", classmethod(refuse))
    checked = []
    real = package.invalid_html_tags
    monkeypatch.setattr(package, "invalid_html_tags", lambda field: checked.append(len(field)) or real(field))
    report = _build(notes, tmp_path / "dist")
    assert report.package is not None and not report.diagnostics
    assert len(checked) == 5 and max(checked) > 100_000  # each field once, all on one line


# --- many subdecks --------------------------------------------------------------------------


class _CountingCursor:
    """A cursor that counts the characters of every statement and value sent to SQLite."""

    def __init__(self, cursor):
        self._cursor = cursor
        self.sent = 0

    def execute(self, sql, params=()):
        self.sent += len(sql) + sum(len(str(p)) for p in params)
        return self._cursor.execute(sql, params)

    def executemany(self, sql, rows):
        rows = list(rows)
        self.sent += len(sql) + sum(len(str(p)) for row in rows for p in row)
        return self._cursor.executemany(sql, rows)

    def __getattr__(self, name):
        return getattr(self._cursor, name)


def _files(notes, n: int) -> None:
    _named(notes)
    for i in range(n):
        (notes / f"q{i:04d}.md").write_text(f"# 주제 {i}\n\n## 질문 {i}번은 무엇인가요?\n\n답변 {i}입니다.\n",
                                            encoding="utf-8")


def _sent_for(tmp_path, monkeypatch, n: int) -> int:
    cursors = []
    real = package.write_collection

    def counting(cursor, *args):
        cursors.append(_CountingCursor(cursor))
        return real(cursors[-1], *args)

    monkeypatch.setattr(package, "write_collection", counting)
    monkeypatch.setattr(package, "_FORKS", False)  # written in this process, where it is counted
    _files(tmp_path / f"notes{n}", n)
    report = _build(tmp_path / f"notes{n}", tmp_path / f"dist{n}")
    assert report.notes == n
    return cursors[0].sent


def test_package_write_grows_linearly_with_the_number_of_subdecks(tmp_path, monkeypatch):
    # genanki reads every deck's JSON back and writes it again for each deck: there, 3× the
    # files sent 9× the characters to SQLite. Beyond what any package sends (schema, notetype),
    # 120 more files cost three times what 40 more do:
    base, small, large = (_sent_for(tmp_path, monkeypatch, n) for n in (20, 60, 180))
    assert 2.9 < (large - small) / (small - base) < 3.1, (base, small, large)


def _build_calls(make, sizes, tmp_path) -> tuple[int, ...]:
    """Count the calls of a whole build of `make(folder, n)`, for each n (see test_shapes._calls)."""
    out = []
    for n in sizes:
        make(tmp_path / f"notes{n}", n)
        out.append(_calls(lambda n=n: _build(tmp_path / f"notes{n}", tmp_path / f"dist{n}")))
    return tuple(out)


def _math_line(notes, n: int) -> None:
    _named(notes)
    (notes / "math.md").write_text("## 수식이란 무엇인가요?\n\n" + "$a$ " * n + "\n", encoding="utf-8")


@pytest.mark.parametrize("make, sizes", [(_files, (20, 60, 180)), (_math_line, (500, 1500, 4500))],
                         ids=["one-question files", "math spans on one line"])
def test_whole_build_grows_linearly(make, sizes, tmp_path):
    _build_calls(make, (2,), tmp_path)  # warm: imports, compiled patterns, the base font
    base, small, large = _build_calls(make, sizes, tmp_path)
    assert 2.8 < (large - small) / (small - base) < 3.2, (base, small, large)


def _rows(write) -> dict[str, list]:
    conn = sqlite3.connect(":memory:")
    write(conn.cursor())
    tables = [t for (t,) in conn.execute("select name from sqlite_master where type = 'table'")]
    return {t: conn.execute(f"select * from {t} order by rowid").fetchall() for t in tables}


@pytest.mark.parametrize("empty", ["none", "first", "last", "middle"])
def test_collection_rows_are_those_genanki_writes(empty):
    model = make_notetype(".card { color: red; }")
    content = []  # per deck: (GUID, mtime, tags, fields, note id, new-card position) of its notes
    for d in range(4):
        held = []
        if not (empty == "first" and d == 0 or empty == "last" and d == 3 or empty == "middle" and d == 1):
            for i in range(3):
                # A note whose Question is empty gets no card from genanki; ours must not either.
                question = "" if (d, i) == (2, 1) else f"질문 {d}-{i}"
                held.append((f"g{d}{i}", 1_700_000_000 + d * 10 + i, ("태그", f"t{i}"),
                             (question, "<p>답</p>", "", "", f"f{d}.md:{i}"), 1_700_000_000_000 + d * 10 + i,
                             d * 3 + i))
        content.append(held)

    def decks(with_notes: bool):
        out = []
        for d, held in enumerate(content):
            deck = genanki.Deck(package.deck_id(f"루트::{d}"), f"루트::{d}", description=f"설명 {d}")
            for guid, mtime, tags, fields, note_id, due in held if with_notes else ():
                deck.add_note(_GenankiTimedNote(model=model, fields=list(fields), tags=list(tags), guid=guid,
                                                due=due, mtime=mtime, note_id=note_id))
            out.append(deck)
        return out

    ours = _rows(lambda cur: package.write_collection(cur, model, decks(False), content, 1_800_000_000))
    theirs = _rows(lambda cur: genanki.Package(decks(True)).write_to_db(cur, 1_800_000_000, itertools.count(1)))
    assert ours == theirs
    assert len(ours["notes"]) in (9, 12) and len(ours["cards"]) == len(ours["notes"]) - 1


class _GenankiTimedNote(genanki.Note):
    """genanki's note, written with its own mtime and id as deckgen writes each note: the note and
    its first card share the id, its other cards take the milliseconds after it."""

    def __init__(self, *args, mtime: int, note_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.mtime, self.note_id = mtime, note_id

    def write_to_db(self, cursor, timestamp, deck_id, id_gen):
        ids = (self.note_id, *(self.note_id + k for k in range(len(self.cards))))
        super().write_to_db(cursor, self.mtime, deck_id, iter(ids))


# --- what genanki warns about ---------------------------------------------------------------


def _image_notes(tmp_path):
    """A note whose image description runs over two lines: its `<img alt=…>` holds a line break,
    which genanki's check takes for a broken tag."""
    notes = _named(tmp_path / "notes")
    shutil.copy(FIXTURES / "media" / "img" / "Diagram One.PNG", notes / "d.png")
    (notes / "note.md").write_text("## 그림이란 무엇인가요?\n\n그림: ![여러\n줄 설명](d.png) 입니다.\n",
                                   encoding="utf-8")
    return notes


def test_genanki_finding_is_a_warning_at_the_note(run_cli, tmp_path, monkeypatch):
    notes = _image_notes(tmp_path).relative_to(tmp_path)  # run_cli works in tmp_path
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a Python warning leaking out would fail here
        result = run_cli("build", str(notes), "-o", str(tmp_path / "dist"))
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if "genanki" in line]
    assert lines == ["notes/note.md:1: warning: the Answer field holds what genanki takes for a "
                     'broken HTML tag: <img src="d-923ef6d346b8.png" alt="여러\\n줄 설명">'], result.stderr

    scratch = tmp_path / "scratch"  # where the collection is written before it is zipped
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    strict = run_cli("build", str(notes), "-o", str(tmp_path / "strict"), "--strict")
    assert strict.exit_code == 1
    assert "genanki takes for a broken HTML tag" in strict.stderr
    assert not (tmp_path / "strict").exists()  # --strict fails before anything is replaced
    assert list(scratch.iterdir()) == []  # the package being zipped meanwhile was waited for


def test_a_package_that_cannot_be_zipped_is_an_error_and_leaves_nothing(tmp_path):
    collection = tmp_path / "collection.anki2"
    collection.write_bytes(b"SQLite format 3\0")
    image = tmp_path / "gone.png"  # found when the notes were read, gone when the package is zipped
    zipping = package.Zipping(tmp_path / "deck-v1.0.0.apkg", tmp_path / ".deck.tmp", collection,
                              {"gone.png": image}, 1_700_000_000)
    with pytest.raises(DeckgenError, match=r"deck-v1\.0\.0\.apkg: error: cannot write the package: "):
        zipping.wait()
    assert not collection.exists()


forking = pytest.mark.skipif(not package._FORKS, reason="the package is written in a child process only on Linux")


@forking
def test_the_package_a_child_process_writes_is_the_one_written_here(tmp_path, monkeypatch):
    notes = _named(tmp_path / "notes")
    (notes / "a.md").write_text("- **학습률이란 무엇인가요?**\n  - 한 걸음의 크기 $\\eta$입니다.\n"
                                "- **과적합이란?**\n  - 훈련 데이터에만 맞는 것입니다.\n", encoding="utf-8")
    children = []
    real = package._Child

    def counted(work):
        children.append(work)
        return real(work)

    monkeypatch.setattr(package, "_Child", counted)
    monkeypatch.setattr(package, "_FORK_FROM", 0)  # a collection this small is written in a thread
    forked = _build(notes, tmp_path / "forked").package
    assert len(children) == 1
    (notes / "deckgen.lock").unlink()  # built again from the start, into another folder
    monkeypatch.setattr(package, "_FORKS", False)
    here = _build(notes, tmp_path / "here").package
    assert forked.name == here.name
    assert forked.read_bytes() == here.read_bytes()


@forking
def test_a_small_collection_is_written_in_this_process_and_a_large_one_in_a_child(tmp_path, monkeypatch):
    notes = _named(tmp_path / "notes")
    (notes / "a.md").write_text("- **학습률이란 무엇인가요?**\n  - 한 걸음의 크기입니다.\n", encoding="utf-8")
    children = []
    real = package._Child
    monkeypatch.setattr(package, "_Child", lambda work: children.append(work) or real(work))
    _build(notes, tmp_path / "small")
    assert children == []
    monkeypatch.setattr(package, "_FORK_FROM", 40)  # the fields of this one note are longer
    (notes / "deckgen.lock").unlink()
    _build(notes, tmp_path / "large")
    assert len(children) == 1


@forking
def test_what_stops_the_child_process_is_the_builds_error_and_leaves_no_scratch_file(tmp_path):
    made = []

    def collection():
        made.append(tmp_path / "collection.anki2")
        made[0].write_bytes(b"SQLite format 3\0")
        return made[0]

    image = tmp_path / "gone.png"  # found when the notes were read, gone when the package is zipped
    zipping = package.Zipping(tmp_path / "deck-v1.0.0.apkg", tmp_path / ".deck.tmp", collection,
                              {"gone.png": image}, 1_700_000_000)
    with pytest.raises(DeckgenError, match=r"deck-v1\.0\.0\.apkg: error: cannot write the package: "):
        zipping.wait()
    assert made == []  # written in the child, not here
    assert not (tmp_path / "collection.anki2").exists()


@forking
def test_the_child_process_finishes_the_package_through_ctrl_c(tmp_path):
    import os
    import signal

    def collection():  # Ctrl-C reaches the whole process group: here, the child alone
        os.kill(os.getpid(), signal.SIGINT)
        path = tmp_path / "collection.anki2"
        path.write_bytes(b"SQLite format 3\0")
        return path

    zipping = package.Zipping(tmp_path / "deck-v1.0.0.apkg", tmp_path / ".deck.tmp", collection, {}, 1_700_000_000)
    zipping.wait()
    import zipfile

    with zipfile.ZipFile(tmp_path / ".deck.tmp") as z:
        assert z.read("collection.anki2") == b"SQLite format 3\0"
    assert not (tmp_path / "collection.anki2").exists()


def test_genanki_finding_never_reaches_stderr_as_a_python_warning(tmp_path):
    notes = _image_notes(tmp_path)
    done = subprocess.run([sys.executable, "-m", "deckgen", "build", str(notes), "-o", str(tmp_path / "dist")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr and "warnings.warn" not in done.stderr, done.stderr
    assert f"{notes / 'note.md'}:1: warning: the Answer field holds" in done.stderr


def test_media_compressed_already_are_stored_as_they_are_and_the_rest_deflated(tmp_path):
    import zipfile

    notes = tmp_path / "notes"
    notes.mkdir()
    shutil.copy(FIXTURES / "media" / "img" / "Diagram One.PNG", notes / "diagram.PNG")
    (notes / "a.md").write_text("- **그림은 무엇을 보여 주나요?**\n  - ![그림](diagram.PNG)\n"
                                "- **학습률이란 무엇인가요?**\n  - 한 걸음의 크기입니다.\n", encoding="utf-8")
    report = build(BuildConfig(sources=(notes,), outdir=tmp_path / "dist", timestamp=1_800_000_000))
    with zipfile.ZipFile(report.package) as z:
        names = json.loads(z.read("media"))
        kinds = {names.get(i.filename, i.filename): i.compress_type for i in z.infolist()}
        assert z.testzip() is None  # every member reads back, its CRC right
    fonts = [name for name in kinds if name.endswith(".woff2")]
    images = [name for name in kinds if name.lower().endswith(".png")]
    assert fonts and images, kinds
    assert {kinds[name] for name in [*fonts, *images]} == {zipfile.ZIP_STORED}
    assert kinds["collection.anki2"] == kinds["media"] == zipfile.ZIP_DEFLATED
