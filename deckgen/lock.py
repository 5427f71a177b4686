"""Stage 4: the lock file — GUIDs, content hashes, mtimes and the version across rebuilds.

`deckgen.lock` (JSON, committed beside the notes) remembers every note's GUID and when its content
last changed. Anki updates a note only when the incoming mtime is strictly newer, so an unchanged
note keeps its old mtime (its tags and fields in Anki are left alone) and an edited one gets a new one.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from deckgen import ids
from deckgen.atomic import Staged
from deckgen.errors import DeckgenError
from deckgen.model import BuildConfig, CardNote, Change, DeckConfig, Note, NoteFile
from deckgen.notetype import notetype_hash
from deckgen.sources import display_path

LOCK_NAME = "deckgen.lock"
LOCK_FORMAT = 1


@dataclass(frozen=True, slots=True)
class Plan:
    """What this build will write: notes with GUIDs and mtimes, the version, what changed."""

    version: str
    cards: tuple[CardNote, ...]
    changes: tuple[Change, ...]
    notetype_mtime: int
    description: str
    up_to_date: bool
    notetype_changed: bool
    state: dict


def load(root: Path) -> dict | None:
    """Read the lock; a broken one is an error, never a silent fresh start (that duplicates cards)."""
    path = root / LOCK_NAME
    if not path.exists():
        return None
    shown = display_path(path)
    how = (
        f"restore it from version control (e.g. `git checkout -- {shown}`); deleting it makes "
        "every card a new note in Anki"
    )
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise DeckgenError(f"{shown}: error: cannot read the lock file: {exc}; {how}") from exc
    except json.JSONDecodeError as exc:
        raise DeckgenError(f"{shown}:{exc.lineno}: error: the lock file is corrupt ({exc.msg}); {how}") from exc
    if not isinstance(state, dict) or not isinstance(state.get("notes"), list):
        raise DeckgenError(f"{shown}: error: the lock file is not a deckgen lock; {how}")
    fmt = state.get("format")
    if not isinstance(fmt, int) or fmt > LOCK_FORMAT:
        raise DeckgenError(
            f"{shown}: error: the lock file was written by a newer deckgen (format {fmt}); "
            "upgrade deckgen to build this deck"
        )
    for n, entry in enumerate(state["notes"]):
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(k), str) for k in ("guid", "key", "file", "question", "hash")
        ) or not isinstance(entry.get("mtime"), int):
            raise DeckgenError(f"{shown}: error: the lock file's note {n + 1} is malformed; {how}")
    if not re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", str(state.get("version", ""))):
        raise DeckgenError(f"{shown}: error: the lock file has no valid version; {how}")
    return state


def _fields(note: Note, file: NoteFile) -> tuple[str, ...]:
    source = f"{file.source.rel}:{note.location.line}"
    chips = "".join(f'<span class="kw">{html.escape(w)}</span>' for w in note.keywords)
    return (note.question, note.answer, note.context, chips, source)


def _content_hash(fields: tuple[str, ...], tags: tuple[str, ...], deck: str) -> str:
    # The Source field's line number is left out: inserting a question above must not make every
    # note below it "edited" (and rewrite its tags in Anki). It is refreshed with the next real edit.
    h = hashlib.sha256()
    for part in (*fields[:4], fields[4].rsplit(":", 1)[0], " ".join(tags), deck):
        h.update(part.encode("utf-8") + b"\x1f")
    return h.hexdigest()[:20]


def _key(file: NoteFile, note: Note) -> str:
    if note.anchor:
        return f"{file.source.rel}{'#' + note.anchor}"
    return f"{file.source.rel}::{ids.fold(note.question_text)}" if not note.parent_key else (
        f"{file.source.rel}::{ids.fold(note.parent_key)}/{ids.fold(note.question_text)}"
    )


def plan(state: dict | None, deck: DeckConfig, files: list[NoteFile], css: str, config: BuildConfig) -> Plan:
    """Give every note its GUID and mtime, decide the version, and list what changed."""
    now = int(config.timestamp if config.timestamp is not None else time.time())
    old_notes = state["notes"] if state else []
    known = [
        ids.Known(e["guid"], e["key"], e["file"], e["question"], e.get("answer", ""), e.get("pinned", ""))
        for e in old_notes
    ]
    found: list[tuple[NoteFile, Note]] = [(f, n) for f in files for n in f.notes]
    seen_keys: dict[str, int] = {}
    seen: list[ids.Seen] = []
    for f, n in found:
        key = _key(f, n)
        count = seen_keys.get(key, 0)
        seen_keys[key] = count + 1
        if count:
            key = f"{key}~{count + 1}"
        seen.append(ids.Seen(key, f.source.rel, n.question_text, n.answer_text, n.pinned_id))
    pairs = ids.match(known, seen)

    used_guids = {k.guid for k in known}
    cards: list[CardNote] = []
    entries: list[dict] = []
    changes: list[Change] = []
    taken: set[str] = set()
    for s, ((file, note), info) in enumerate(zip(found, seen, strict=True)):
        deck_name = _deck_name(deck, file)
        tags = tuple(dict.fromkeys((*file.tags, *note.tags, *deck.tags)))
        fields = _fields(note, file)
        digest = _content_hash(fields, tags, deck_name)
        old = old_notes[pairs[s]] if s in pairs else None
        if old is not None:
            guid = old["guid"]
            mtime = old["mtime"] if old["hash"] == digest else max(now, old["mtime"] + 1)
            if ids.fold(old["question"]) != ids.fold(note.question_text):
                changes.append(Change("re-identified", note.question_text, old["question"]))
            elif old["hash"] != digest:
                changes.append(Change("edited", note.question_text, f"{file.source.rel}"))
            if old.get("deck") and old["deck"] != deck_name:
                changes.append(Change("moved", note.question_text, f'{old["deck"]} → {deck_name}'))
        else:
            guid = ids.new_guid(deck.slug, f"pin:{note.pinned_id}" if note.pinned_id else info.key)
            n = 2
            while guid in used_guids or guid in taken:
                guid = ids.new_guid(deck.slug, f"{info.key}~{n}")
                n += 1
            mtime = now
            changes.append(Change("added", note.question_text, file.source.rel))
        taken.add(guid)
        cards.append(CardNote(guid, fields, tags, deck_name, mtime, note))
        entries.append(
            {
                "guid": guid,
                "key": info.key,
                "file": file.source.rel,
                "question": note.question_text,
                "answer": info.answer,
                "hash": digest,
                "mtime": mtime,
                "deck": deck_name,
                **({"pinned": note.pinned_id} if note.pinned_id else {}),
            }
        )
    matched_old = set(pairs.values())
    for i, e in enumerate(old_notes):
        if i not in matched_old:
            changes.append(Change("removed", e["question"], e["file"]))

    nt_hash = notetype_hash(css)
    old_nt = (state or {}).get("notetype", {})
    nt_changed = old_nt.get("hash") != nt_hash
    nt_mtime = old_nt.get("mtime", 0) if not nt_changed else max(now, old_nt.get("mtime", 0) + 1)
    old_root = (state or {}).get("title")

    kinds = {c.kind for c in changes}
    if state is None:
        version = config.version or "1.0.0"
    elif config.version:
        version = config.version
    else:
        version = _bump(state["version"], kinds, nt_changed, old_root not in (None, deck.title))
    up_to_date = state is not None and not kinds and not nt_changed and version == state["version"]
    if state is not None and _vkey(version) < _vkey(state["version"]):
        raise DeckgenError(f"error: version {version} is older than the current {state['version']}")
    if state is not None and version == state["version"] and not up_to_date:
        # Even with its file gone from dist/, a released version never gets other content.
        raise DeckgenError(
            f"error: version {version} was already released with other content; "
            "set a newer one (--version or deckgen.toml), or none to get the next one"
        )
    created = state["created"] if up_to_date and "created" in state else now
    n_sub = sum(1 for c in cards if c.note.parent_key)
    stamp = datetime.fromtimestamp(created, UTC).strftime("%Y-%m-%d")
    description = (
        f"<b>{deck.title}</b> — version {version} ({stamp}) · "
        f"{len(cards)} notes ({n_sub} sub-questions) · built by deckgen"
    )
    new_state = {
        "format": LOCK_FORMAT,
        "slug": deck.slug,
        "title": deck.title,
        "version": version,
        "created": created,
        "notetype": {"hash": nt_hash, "mtime": nt_mtime},
        "notes": entries,
    }
    return Plan(
        version=version,
        cards=tuple(cards),
        changes=tuple(changes),
        notetype_mtime=nt_mtime,
        description=description,
        up_to_date=up_to_date,
        notetype_changed=nt_changed,
        state=new_state,
    )


def _deck_name(deck: DeckConfig, file: NoteFile) -> str:
    override = dict(deck.files).get(file.source.rel, {}).get("deck")
    sub = (override or file.title).replace("::", ":")
    return f"{deck.title}::{sub}"


def _vkey(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def _bump(version: str, kinds: set[str], notetype_changed: bool, renamed: bool) -> str:
    major, minor, patch = _vkey(version)
    if renamed:
        return f"{major + 1}.0.0"
    if kinds & {"added", "removed", "moved"}:
        return f"{major}.{minor + 1}.0"
    if kinds or notetype_changed:
        return f"{major}.{minor}.{patch + 1}"
    return version


def changelog_entry(plan: Plan, package: Path) -> str:
    """Describe this version's changes for CHANGELOG.md."""
    date = datetime.fromtimestamp(plan.state["created"], UTC).strftime("%Y-%m-%d")
    lines = [f"## {plan.version} — {date}", "", f"Package: `{package.name}`", ""]
    labels = {
        "added": "Added",
        "edited": "Edited",
        "re-identified": "Re-identified (kept its review history)",
        "moved": "Moved to another deck (Anki keeps its cards where they are: move them by hand)",
        "removed": "Removed (Anki keeps these notes: delete them by hand if you wish)",
    }
    for kind, label in labels.items():
        items = [c for c in plan.changes if c.kind == kind]
        if not items:
            continue
        lines.append(f"### {label}")
        for c in items:
            if kind == "re-identified":
                lines.append(f"- {c.detail} → {c.question}")
            elif kind in ("removed", "added", "edited"):
                lines.append(f"- {c.question} ({c.detail})")
            else:
                lines.append(f"- {c.question}: {c.detail}")
        lines.append("")
    if not plan.changes:
        why = "Templates or styling changed" if plan.notetype_changed else "Version set by hand"
        lines += [f"{why}; no note changed.", ""]
    return "\n".join(lines) + "\n"


def write_lock(staged: Staged, root: Path, plan: Plan) -> None:
    """Stage the new lock so it lands together with the package."""
    text = json.dumps(plan.state, ensure_ascii=False, indent=1) + "\n"
    staged.write_text(root / LOCK_NAME, text)


def append_changelog(staged: Staged, plan: Plan, outdir: Path, package: Path) -> None:
    """Stage CHANGELOG.md with this version's entry on top."""
    log = outdir / "CHANGELOG.md"
    previous = log.read_text(encoding="utf-8") if log.exists() else "# Changelog\n\n"
    head, _, rest = previous.partition("\n\n")
    staged.write_text(log, head + "\n\n" + changelog_entry(plan, package) + rest.lstrip("\n"))
