"""Hostile notes build into cards that run no script and leak nothing: checked on what the official
Anki importer stores and renders, and, where it is about what runs, in headless Chromium with the
real MathJax 3 configured the way Anki configures it."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from deckgen.model import BuildConfig
from deckgen.preview import write_preview
from tests.conftest import FIXTURES
from tests.test_anki_render import _mathjax
from tests.test_render_chromium import start_chromium

HOSTILE_NAME = "<img src=x onerror=alert(1)>.md"
HOSTILE_TITLE = "<img src=x onerror=alert(2)>"

MATH = r"""- **수식 링크?**
  - $\href{javascript:alert(1)}{클릭}$ 과 $$\style{position:fixed;top:0;left:0;width:100vw;height:100vh}{\text{덮개}}$$
  - \\(\class{x}{y} + \cssId{answer}{z} + \bbox[position:fixed;inset:0]{w}\\) 와 \\(\mmlToken{mi}[href="javascript:alert(2)"]{m}\\)
  - <div>\(\href{javascript:alert(3)}{h}\)</div>
  - <code class="tex2jax_process">\(\href{javascript:alert(4)}{c}\)</code>
"""

HOSTILE_LINKS = """- **링크 답?**
  - <a href=" data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">공백</a>
    <a href="&#32;data:text/html,x">엔티티</a> <a href="java&#x09;script:alert(1)">탭</a>
    <a href="da&#x09;ta:text/html,x">탭2</a> <a href="&#1;javascript:alert(1)">제어</a>
    <a href="DATA:text/html,x">대문자</a> <a href="https://example.com/">웹</a>
"""


def _build(run_cli, tmp_path: Path, files: dict[str, str], *extra: str):
    notes = tmp_path / "notes"
    notes.mkdir(exist_ok=True)
    for name, text in files.items():
        (notes / name).write_text(text, encoding="utf-8")
    return run_cli("build", "notes", "-o", "dist", *extra)


def _imported(anki, tmp_path: Path):
    anki.import_package(next((tmp_path / "dist").glob("*.apkg")))
    return [anki.col.get_card(cid) for cid in anki.col.find_cards("")]


def test_a_file_name_and_a_deck_title_bring_no_tag_into_anki(run_cli, tmp_path, anki):
    result = _build(run_cli, tmp_path, {HOSTILE_NAME: "- **파일 이름 질문?**\n  - 답\n"},
                    "--deck-name", HOSTILE_TITLE)
    assert result.exit_code == 0, result.output
    (card,) = _imported(anki, tmp_path)
    for shown in (card.question(), card.answer(), card.note()["Source"]):
        assert "<img" not in shown and "onerror=" not in shown.replace("onerror=alert(1)&gt;", "")
    assert card.note()["Source"].endswith(".md:1")
    description = anki.col.decks.by_name(HOSTILE_TITLE)["desc"]
    assert description.startswith("<b>") and "<img" not in description and "version 1.0.0" in description


def test_the_preview_page_shows_hostile_names_as_text(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / HOSTILE_NAME).write_text("- **파일 이름 질문?**\n  - 답\n", encoding="utf-8")
    (notes / "deckgen.toml").write_text(f'title = "{HOSTILE_TITLE}"\n', encoding="utf-8")
    out = tmp_path / "preview"
    write_preview(BuildConfig(sources=(notes,), outdir=out), out)
    page = (out / "index.html").read_text(encoding="utf-8")
    (script,) = out.glob("cards-*.js")
    data = json.loads(script.read_text(encoding="utf-8").removeprefix("window.deckgenCards=").rstrip().rstrip(";"))
    (card,) = data["cards"]
    # The page draws a card from these pieces of HTML: front, back, deck, tags, source line.
    pieces = [card[0], card[1], card[4], *data["decks"], *(t for ts in data["tags"] for t in ts)]
    shown = html.escape(HOSTILE_TITLE)  # as text: `&lt;img …&gt;`
    assert shown in page and shown in data["decks"][0] and html.escape(HOSTILE_NAME) in card[4]
    for text in (page, *pieces):
        assert "<img" not in text and "onerror=alert(1)>" not in text


def test_links_with_a_hidden_scheme_never_reach_a_card(run_cli, tmp_path, anki):
    assert _build(run_cli, tmp_path, {"links.md": HOSTILE_LINKS}).exit_code == 0
    (card,) = _imported(anki, tmp_path)
    hrefs = re.findall(r'href="([^"]*)"', card.answer())
    assert hrefs == ["https://example.com/"], hrefs
    assert "공백" in card.answer() and "대문자" in card.answer()


def test_raw_html_images_are_packaged_reported_or_linked_like_markdown_ones(run_cli, tmp_path, anki):
    notes = tmp_path / "notes"
    (notes / "img").mkdir(parents=True)
    shutil.copy(FIXTURES / "media" / "img" / "Diagram One.PNG", notes / "img" / "d.png")
    images = ("- **그림 답?**\n  - 답\n\n    <div>\n    <img src=https://tracker.example/p.gif>\n"
              "    <img src=img/d.png width=50>\n    </div>\n")
    result = _build(run_cli, tmp_path, {"images.md": images})
    assert result.exit_code == 0, result.output
    assert ('notes/images.md:5: warning: remote image "https://tracker.example/p.gif" kept as a link '
            "(phones may be offline)") in result.stderr.splitlines()
    (card,) = _imported(anki, tmp_path)
    answer = card.answer()
    assert '<img src="d-923ef6d346b8.png" width="50">' in answer
    assert '<a class="remote-image" href="https://tracker.example/p.gif">' in answer
    assert re.findall(r"<img\b[^>]*>", answer) == ['<img src="d-923ef6d346b8.png" width="50">']
    assert (Path(anki.col.media.dir()) / "d-923ef6d346b8.png").is_file()

    (notes / "images.md").write_text("- **없는 그림?**\n  - 답\n\n    <p><img src=missing.png></p>\n",
                                     encoding="utf-8")
    missing = run_cli("build", "notes", "-o", "dist")
    assert missing.exit_code == 1
    assert 'notes/images.md:4: error: image "missing.png" not found' in missing.stderr.splitlines()
    assert "Traceback" not in missing.output + missing.stderr


def test_sound_and_speech_tags_in_an_answer_play_nothing(run_cli, tmp_path, anki):
    (tmp_path / "notes").mkdir()
    result = _build(run_cli, tmp_path, {"sound.md": "- **소리 [sound:q.mp3] 질문?**\n"
                                        "  - 답 [sound:_dg-secret.mp3] 와 [anki:tts lang=ko_KR]말[/anki:tts]\n"
                                        "  - `[sound:code.mp3]`\n"})
    assert result.exit_code == 0, result.output
    (card,) = _imported(anki, tmp_path)
    assert card.question_av_tags() == [] and card.answer_av_tags() == []
    shown = html.unescape(re.sub(r"<[^>]+>", "", card.answer()))
    assert "[sound:_dg-secret.mp3]" in shown and "[sound:code.mp3]" in shown and "[sound:q.mp3]" in shown
    # The same text left as it was would play: Anki reads the tags from the field's HTML.
    note = card.note()
    note["Answer"] = html.unescape(note["Answer"])
    anki.col.update_note(note)
    played = [getattr(tag, "filename", "speech") for tag in anki.col.get_card(card.id).answer_av_tags()]
    assert played == ["_dg-secret.mp3", "speech", "code.mp3"]


def test_images_outside_the_repository_are_never_packaged_whatever_media_root_says(run_cli, tmp_path):
    private = tmp_path / "private"
    private.mkdir()
    shutil.copy(FIXTURES / "media" / "img" / "Diagram One.PNG", private / "photo.png")
    for media_root in ("/", "../.."):
        (tmp_path / "notes").mkdir(exist_ok=True)
        (tmp_path / "notes" / "deckgen.toml").write_text(f'media_root = "{media_root}"\n', encoding="utf-8")
        src = f"{private}/photo.png" if media_root == "/" else "/private/photo.png"
        result = _build(run_cli, tmp_path, {"q.md": f"- **사진?**\n  - ![사진]({src})\n"})
        assert result.exit_code == 1, media_root
        assert any(line.startswith(f'notes/q.md:2: error: image "{src}"') for line in result.stderr.splitlines())
        assert not (tmp_path / "dist").exists()


def test_control_characters_are_shown_not_sent_to_the_terminal(run_cli, tmp_path):
    name = "evil\x1b[2J\u202e.md"
    result = _build(run_cli, tmp_path, {name: "- **질문\x1b]0;title\x07 빨강\x9b31m?**\n  - 답\n"
                                        "- **질문\x1b]0;title\x07 빨강\x9b31m?**\n  - 답\n"})
    assert result.exit_code == 0, result.output
    output = result.stdout + result.stderr
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]", output), repr(output)
    assert "added: 질문\\x1b]0;title\\x07 빨강\\x9b31m?" in result.stdout
    assert ('notes/evil\\x1b[2J\\u202e.md:3: warning: duplicate question "질문\\x1b]0;title\\x07 빨강\\x9b31m?" '
            "(also at notes/evil\\x1b[2J\\u202e.md:1)") in result.stderr.splitlines()


_ANKI_MATHJAX = """window.MathJax = {
  tex: {displayMath: [["\\\\[", "\\\\]"]], processEscapes: false, processEnvironments: false, processRefs: false,
        packages: {"[+]": ["noerrors", "mathtools", "mhchem"], "[-]": ["textmacros"]}},
  loader: {load: ["[tex]/noerrors", "[tex]/mathtools", "[tex]/mhchem"]},
  options: {ignoreHtmlClass: "tex2jax_ignore", processHtmlClass: "tex2jax_process"},
};"""

_WHAT_RUNS = """
const done = arguments[arguments.length - 1];
MathJax.startup.promise.then(() => done({
  typeset: document.querySelectorAll("mjx-container").length,
  links: [...document.querySelectorAll("[href]")].map(e => e.getAttribute("href")),
  fixed: [...document.querySelectorAll("*")].filter(e => getComputedStyle(e).position === "fixed").length,
  styled: [...document.querySelectorAll("mjx-container [style]")].map(e => e.getAttribute("style")),
  ids: [...document.querySelectorAll("mjx-container [id]")].map(e => e.id),
  classes: [...document.querySelectorAll("mjx-container [class]")].map(e => e.className)
             .filter(c => !/^mjx-|^MJX-/.test(c) && c),
}));
"""


def _typeset(driver, folder: Path, name: str, body: str, mathjax: Path) -> dict:
    page = folder / f"{name}.html"
    page.write_text(f'<!doctype html><html><head><meta charset="utf-8"><script>{_ANKI_MATHJAX}</script>'
                    f'<script src="{mathjax.as_uri()}"></script></head><body class="card">{body}</body></html>',
                    encoding="utf-8")
    driver.get(page.as_uri())
    return driver.execute_async_script(_WHAT_RUNS)


def test_hostile_math_typesets_with_no_script_link_and_nothing_covering_the_card(run_cli, tmp_path, anki):
    mathjax = _mathjax()
    result = _build(run_cli, tmp_path, {"math.md": MATH})
    assert result.exit_code == 0, result.output
    (card,) = _imported(anki, tmp_path)
    answer = card.answer()
    driver = start_chromium(tmp_path / "profile")
    try:
        seen = _typeset(driver, tmp_path, "card", answer, mathjax)
        # The same TeX as written: the check sees what MathJax would do with it on a card.
        raw = _typeset(driver, tmp_path, "raw", r"<p>\(\href{javascript:alert(1)}{x}\)</p>"
                       r"<p>\[\style{position:fixed;top:0;left:0;width:100vw;height:100vh}{y}\]</p>"
                       r'<p>\(\bbox[position:fixed;inset:0]{w}\)</p>'
                       r'<code class="tex2jax_process">\(\href{javascript:alert(4)}{c}\)</code>', mathjax)
    finally:
        driver.quit()
    assert "javascript:alert(1)" in raw["links"] and "javascript:alert(4)" in raw["links"] and raw["fixed"] >= 2
    assert seen["typeset"] == 5, seen  # all but the one in code, which is only code now
    assert not any(link.strip().lower().startswith(("javascript", "data")) for link in seen["links"]), seen
    assert seen["fixed"] == 0 and not seen["ids"] and not seen["classes"], seen
    assert not any("position" in style for style in seen["styled"]), seen
    outside_code = re.sub(r"<code>.*?</code>", "", answer, flags=re.S)
    assert "javascript" not in outside_code and "position:fixed" not in answer
    if os.environ.get("DECKGEN_PNG_DIR"):
        shutil.copy(tmp_path / "card.html", Path(os.environ["DECKGEN_PNG_DIR"]) / "hostile-math.html")


@pytest.mark.parametrize("where", ["question", "keyword", "heading"])
def test_math_outside_the_answer_is_neutralised_too(run_cli, tmp_path, anki, where):
    hostile = r"$\href{javascript:alert(1)}{x}$"
    text = {
        "question": f"- **링크 {hostile} 질문?**\n  - 답\n",
        "keyword": "- **키워드 질문?**\n  - 답\n  - **keyword** : \\\\(\\href{javascript:alert(1)}{x}\\\\), 둘\n",
        "heading": f"# 제목\n\n## 절 \\\\(\\href{{javascript:alert(1)}}{{x}}\\\\)\n\n### 무엇인가요?\n\n답\n",
    }[where]
    result = _build(run_cli, tmp_path, {"q.md": text})
    assert result.exit_code == 0, result.output
    (card,) = _imported(anki, tmp_path)
    assert "javascript" not in card.question() + card.answer()
