"""The sample deck as Anki shows it: imported into real Anki, each card's HTML from Anki's own
renderer (`card.answer()`), opened in headless Chromium at phone width in night mode with MathJax 3
(as Anki and AnkiDroid load it), and checked for what a reader would notice."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from deckgen.fonts import FAMILY
from tests.conftest import ROOT
from tests.test_render_chromium import start_chromium


def _mathjax() -> Path:
    configured = os.environ.get("DECKGEN_MATHJAX")
    path = Path(configured) if configured else ROOT / ".venv" / "mathjax" / "es5" / "tex-chtml.js"
    if not path.is_file():
        pytest.fail(f"{path} not found: `make test` fetches MathJax 3 from the npm registry "
                    "(or set DECKGEN_MATHJAX to a tex-chtml.js)")
    return path


def _page(card_html: str, mathjax: Path, phone: bool, night: bool) -> str:
    html_class = "mobile android" if phone else "linux"
    body_class = "card nightMode night_mode" if night else "card"
    return (
        f'<!doctype html><html class="{html_class}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<script src="{mathjax.as_uri()}"></script></head>'
        f'<body class="{body_class}">{card_html}</body></html>'
    )


_MEASURE = """
const done = arguments[arguments.length - 1];
const family = arguments[0];
const ready = window.MathJax && MathJax.startup ? MathJax.startup.promise : Promise.resolve();
ready.then(() => document.fonts.ready).then(() => {
  const text = document.body.innerText;
  // The card's own text: typeset math is drawn in MathJax's fonts (its characters, such as the
  // U+2212 minus it makes of "-", are not the card's, and may be in font blocks the deck does not ship).
  const own = document.body.cloneNode(true);
  own.querySelectorAll("mjx-container").forEach(m => m.remove());
  done({
    width: window.innerWidth,
    layoutWidth: document.documentElement.clientWidth,
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    typeset: document.querySelectorAll("mjx-container").length,
    leftoverTex: /\\\\\\(|\\\\\\[/.test(text),
    fontsLoaded: [...document.fonts].filter(f => f.family.replace(/["']/g, "") === family
                                             && f.status === "loaded").length,
    fontReady: document.fonts.check(`16px "${family}"`, own.textContent),
    highlighted: [...document.querySelectorAll("pre.code span")]
                   .filter(s => getComputedStyle(s).color !== getComputedStyle(s.parentElement).color).length,
  });
});
"""


def test_sample_deck_in_anki_renders_on_a_night_mode_phone(tmp_path, anki):
    mathjax = _mathjax()
    work = tmp_path / "project"
    shutil.copytree(ROOT / "sources", work / "sources", ignore=shutil.ignore_patterns("deckgen.lock"))
    done = subprocess.run([sys.executable, str(ROOT / "build_deck.py"), "build"], cwd=work,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    anki.import_package(next((work / "dist").glob("*.apkg")))
    media = Path(anki.col.media.dir())
    assert sorted(p.name for p in media.glob("_dg-kr-*.woff2"))  # the font arrived with the deck

    driver = start_chromium(tmp_path / "profile")
    shots = Path(os.environ.get("DECKGEN_PNG_DIR", tmp_path / "png"))
    shots.mkdir(parents=True, exist_ok=True)
    try:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": 360, "height": 780, "deviceScaleFactor": 1, "mobile": True})
        cards = [anki.col.get_card(cid) for cid in anki.col.find_cards("")]
        totals = {"math": 0, "code": 0}
        for n, card in enumerate(cards):
            html = card.answer()
            # The page sits in Anki's media folder, as the reviewer's does, so the CSS finds the font.
            page = media / f"card-{n}.html"
            page.write_text(_page(html, mathjax, phone=True, night=True), encoding="utf-8")
            driver.get(page.as_uri())
            seen = driver.execute_async_script(_MEASURE, FAMILY)
            question = card.note()["Question"]
            assert seen["width"] == seen["layoutWidth"] == 360, (question, seen)  # the phone's width
            assert seen["overflow"] <= 0, f"scrolls sideways: {question}"
            assert seen["fontsLoaded"] >= 1 and seen["fontReady"], question
            math_in_card = len(re.findall(r"\\\(|\\\[", html))
            assert seen["typeset"] == math_in_card and not seen["leftoverTex"], question
            totals["math"] += seen["typeset"]
            totals["code"] += seen["highlighted"]
            if seen["typeset"] or seen["highlighted"] or n == 0:
                driver.save_screenshot(str(shots / f"anki-card-{n}-phone-dark.png"))
        assert totals["math"] >= 5 and totals["code"] >= 5  # the sample deck has both, typeset/coloured
    finally:
        driver.quit()
