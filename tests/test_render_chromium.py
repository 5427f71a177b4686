"""The cards in a real browser: headless Chromium at phone and desktop sizes, light and dark.

Each card's back (which shows its front) is rendered with the package's own templates, CSS and font
subsets, saved as PNG beside the test's temporary folder, and checked for what a reader would
notice: the page scrolling sideways, and Hangul drawn as boxes or in some other font. The fixture
deck, the sample deck and the user's notes are also typeset with MathJax 3 and checked for width,
baselines, split words, contrast, the sub-questions' layout and the scroll shadow of long code.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from deckgen.fonts import FAMILY
from deckgen.model import BuildConfig
from deckgen.preview import card_document, card_sides, write_preview
from tests.conftest import FIXTURES, ROOT, SEEDS

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
VIEWS = {
    "phone-light": {"width": 360, "height": 780, "phone": True, "night": False},
    "phone-dark": {"width": 360, "height": 780, "phone": True, "night": True},
    "desktop-light": {"width": 1280, "height": 800, "phone": False, "night": False},
    "desktop-dark": {"width": 1280, "height": 800, "phone": False, "night": True},
}
SAMPLE = "경사 하강법은 무엇이고"


def start_chromium(profile: Path):
    """Start headless Debian Chromium through its own ChromeDriver (selenium-manager never runs)."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).is_file()]
    if missing:
        pytest.fail(f"{', '.join(missing)} not found: install Debian's chromium and chromium-driver "
                    "(`make browser` does it) to run the rendering tests")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--hide-scrollbars", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))


def wait_until(driver, condition: str, timeout: float = 20.0):
    """The value of the JavaScript expression `condition` once it is true (a page draws its cards
    after it has loaded)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = driver.execute_script(f"return {condition}")
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"still not true after {timeout} s: {condition}")


def show(driver, page: Path, width: int, height: int, phone: bool) -> dict:
    """Load a page in a width x height viewport, wait for its fonts, and measure it."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": phone})
    driver.get(page.as_uri())
    return driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        document.fonts.ready.then(() => {
          const faces = [...document.fonts].filter(f => f.family.replace(/["']/g, "") === arguments[0]);
          const ctx = document.createElement("canvas").getContext("2d");
          const width = font => { ctx.font = font; return ctx.measureText(arguments[1]).width; };
          done({
            scrollWidth: document.documentElement.scrollWidth,
            innerWidth: window.innerWidth,
            height: document.documentElement.scrollHeight,
            faces: faces.map(f => [f.weight, f.status, f.unicodeRange]),
            bundled: width(`700 40px "${arguments[0]}", monospace`),
            fallback: width("700 40px monospace"),
            questionFont: getComputedStyle(document.querySelector(".dg-question")).fontFamily,
          });
        });
        """,
        FAMILY, SAMPLE,
    )


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Preview the fixture deck and write every card's back as a page for each view."""
    out = tmp_path_factory.mktemp("render")
    report = write_preview(BuildConfig(sources=(FIXTURES / "render",), outdir=out), out)
    assert report.cards >= 6
    from deckgen import lock
    from deckgen.build import collect
    from deckgen.errors import Problems
    from deckgen.style import card_css

    config = BuildConfig(sources=(FIXTURES / "render",), outdir=out)
    deck, files, *_ = collect(config, Problems())
    css, fonts = card_css(files)
    cards = lock.plan(None, deck, files, css, config).cards
    pages = {}
    for view, spec in VIEWS.items():
        for n, card in enumerate(cards, 1):
            _, back = card_sides(card.fields)
            page = out / f"card{n}-{view}.html"
            page.write_text(card_document(back, night=spec["night"], phone=spec["phone"]), encoding="utf-8")
            pages[view, n] = page
    return out, pages, fonts


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    """Return a function giving the module's one headless Chromium, started inside the test that
    first needs it, so a missing browser fails that test (it is never skipped)."""
    started = []

    def get():
        if not started:
            started.append(start_chromium(tmp_path_factory.mktemp("chromium-profile")))
        return started[0]

    yield get
    for browser in started:
        browser.quit()


def test_cards_render_without_sideways_scrolling_in_the_bundled_font(rendered, chromium):
    driver = chromium()
    out, pages, fonts = rendered
    bold = TTFont(next(p for p in fonts if "-bold-" in p.name))
    cmap, hmtx = bold.getBestCmap(), bold["hmtx"]
    expected = sum(hmtx[cmap[ord(c)]][0] for c in SAMPLE) * 40 / bold["head"].unitsPerEm
    shots = out / "png"
    shots.mkdir()
    results = {}
    for (view, n), page in sorted(pages.items()):
        spec = VIEWS[view]
        seen = show(driver, page, spec["width"], spec["height"], spec["phone"])
        results[view, n] = seen
        assert seen["innerWidth"] == spec["width"]
        assert seen["scrollWidth"] <= seen["innerWidth"], f"card {n} scrolls sideways in {view}: {seen}"
        # The base subsets load on every card; an added one (σ, ², −) only where a card uses it.
        base = [status for _, status, where in seen["faces"] if where == "U+0-10FFFF"]
        assert base == ["loaded", "loaded"], seen
        assert all(status in ("loaded", "unloaded") for _, status, _ in seen["faces"]), seen
        assert seen["questionFont"].startswith(f'"{FAMILY}"')
        # Hangul measured in the bundled font has the bundled font's advance widths, not tofu's.
        assert abs(seen["bundled"] - expected) < 0.5, (seen, expected)
        assert abs(seen["bundled"] - seen["fallback"]) > 1
        # The whole card, top to bottom, for a person to look at.
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": spec["width"], "height": max(spec["height"], seen["height"]),
            "deviceScaleFactor": 1, "mobile": spec["phone"]})
        driver.save_screenshot(str(shots / f"card{n}-{view}.png"))
    added = {(weight, status) for seen in results.values() for weight, status, where in seen["faces"]
             if where != "U+0-10FFFF"}
    assert ("400", "loaded") in added and ("400", "unloaded") in added, added
    (shots / "measurements.json").write_text(
        json.dumps({f"{v}/{n}": r for (v, n), r in results.items()}, indent=1), encoding="utf-8")
    if os.environ.get("DECKGEN_PNG_DIR"):  # to look at them after the run
        shutil.copytree(shots, os.environ["DECKGEN_PNG_DIR"], dirs_exist_ok=True)


def test_preview_page_loads_mathjax_only_for_math_and_ships_the_fonts_its_cards_use(tmp_path, chromium):
    driver = chromium()
    out = tmp_path / "preview"
    stub = out / "mathjax" / "es5" / "tex-chtml.js"
    stub.parent.mkdir(parents=True)
    stub.write_text('document.body.dataset.mathjax = "ran";', encoding="utf-8")
    report = write_preview(BuildConfig(sources=(FIXTURES / "render",), outdir=out), out)
    assert report.mathjax == "mathjax/es5/tex-chtml.js"
    # The base subsets and the three blocks of σ, ² and −, in both weights.
    assert sorted(p.name.split("-")[2] for p in out.glob("_dg-kr-*.woff2")) == ["bold"] * 4 + ["regular"] * 4
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 1280, "height": 2400, "deviceScaleFactor": 1, "mobile": False})
    driver.get(report.index.as_uri())
    wait_until(driver, f"document.querySelectorAll('article.pv-done').length >= {report.cards}")
    drawn = driver.execute_script("return document.querySelectorAll('article.pv-done').length")
    assert drawn == report.cards  # a handful: all near the screen
    assert wait_until(driver, "document.body.dataset.mathjax") == "ran"

    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "x.md").write_text("- **수식 없는 질문?**\n  - 수식 없는 답\n", encoding="utf-8")
    report = write_preview(BuildConfig(sources=(plain,), outdir=out), out)
    assert report.mathjax == "mathjax/es5/tex-chtml.js"
    driver.get(report.index.as_uri())
    wait_until(driver, "document.querySelectorAll('article.pv-done').length >= 1")
    assert driver.execute_script("return document.querySelectorAll('article.pv-done').length") == 1
    assert driver.execute_script("return [document.querySelectorAll('script[src*=mathjax]').length,"
                                 " document.body.dataset.mathjax || '']") == [0, ""]


# The sample deck and the user's own notes, typeset by MathJax 3 as Anki and AnkiDroid show them,
# on a phone in night mode and on a desktop in light mode.

TYPESET_VIEWS = ("phone-dark", "desktop-light")
DECKS = {"fixture": FIXTURES / "render", "sample": ROOT / "sources", "seeds": SEEDS}


def typeset_pages(source: Path, out: Path, views=TYPESET_VIEWS) -> list[tuple[str, str, dict[str, Path]]]:
    """Write each card's back as a page per view, with the package's CSS and fonts and MathJax 3;
    return (the card's source line, its back, {view: page}) for every card."""
    from deckgen import lock
    from deckgen.build import collect
    from deckgen.errors import Problems
    from deckgen.style import card_css
    from tests.test_anki_render import _mathjax

    config = BuildConfig(sources=(source,), outdir=out)
    report = write_preview(config, out, mathjax=_mathjax())  # the CSS, fonts and images beside the pages
    deck, files, *_ = collect(config, Problems())
    css, _ = card_css(files)
    pages = []
    for n, card in enumerate(lock.plan(None, deck, files, css, config).cards, 1):
        _, back = card_sides(card.fields)
        by_view = {}
        for view in views:
            spec = VIEWS[view]
            page = out / f"card{n}-{view}.html"
            page.write_text(card_document(back, mathjax=report.mathjax, night=spec["night"], phone=spec["phone"]),
                            encoding="utf-8")
            by_view[view] = page
        pages.append((card.fields[4], back, by_view))
    return pages


def laid_out(driver, pages):
    """Typeset each page of `typeset_pages` in each of its views; yield (source line, back, view,
    its layout as _LAYOUT reads it) for each, once it is shown to fit the view's width."""
    for where, back, by_view in pages:
        for view, page in by_view.items():
            typeset(driver, page, view)
            seen = driver.execute_script(_LAYOUT, FAMILY)
            assert seen["innerWidth"] == VIEWS[view]["width"], (where, view, seen)
            assert seen["scrollWidth"] <= seen["innerWidth"], f"{where} scrolls sideways in {view}: {seen}"
            yield where, back, view, seen


def typeset(driver, page: Path, view: str) -> None:
    """Load a page in a view and wait for MathJax (when the card has math) and the fonts."""
    spec = VIEWS[view]
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": spec["width"], "height": spec["height"], "deviceScaleFactor": 1, "mobile": spec["phone"]})
    driver.get(page.as_uri())
    driver.set_script_timeout(30)
    driver.execute_async_script("""
        const done = arguments[arguments.length - 1], start = Date.now();
        (function wait() {
          const mj = window.MathJax;
          if (mj && mj.startup && mj.startup.promise) return mj.startup.promise.then(() => document.fonts.ready).then(done);
          if (!document.querySelector("script[src]") || Date.now() - start > 20000) return document.fonts.ready.then(done);
          setTimeout(wait, 20);
        })();
        """)


_LAYOUT = """
const family = arguments[0];
const ctx = document.createElement("canvas").getContext("2d");
const fontOf = el => { const s = getComputedStyle(el); return `${s.fontWeight} ${s.fontSize} ${s.fontFamily}`; };
const lineRects = range => [...range.getClientRects()].filter(r => r.width > 0);

// Inline math sits on the text's baseline: a zero-size box at the end of the math marks the math's
// baseline; the text's is its glyph box's bottom less the font's descent.
const baselines = [];
for (const box of document.querySelectorAll("span.math.inline")) {
  const math = box.querySelector("mjx-math");
  if (!math) continue;
  const mark = document.createElement("span");
  mark.style.cssText = "display:inline-block;width:0;height:0";
  math.appendChild(mark);
  const mathBase = mark.getBoundingClientRect().top;
  mark.remove();
  for (const [node, last] of [[box.previousSibling, true], [box.nextSibling, false]]) {
    if (!node || node.nodeType !== 3 || !node.textContent.trim()) continue;
    const range = document.createRange(), n = node.textContent.length;
    range.setStart(node, last ? n - 1 : 0);
    range.setEnd(node, last ? n : 1);
    const rect = lineRects(range).pop();
    if (!rect) continue;
    ctx.font = fontOf(node.parentElement);
    const textBase = rect.bottom - ctx.measureText("가").fontBoundingBoxDescent;
    if (Math.abs(textBase - mathBase) < rect.height) { baselines.push(mathBase - textBase); break; }
  }
}

// A word (letters and digits only: nothing inside it where a line may break) is split over two
// lines only when it is wider than its line. Links and code may break anywhere.
const split = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let node; (node = walker.nextNode());) {
  const el = node.parentElement;
  if (el.closest("a, code, pre, .math, mjx-container, script, style")) continue;
  let block = el;
  while (getComputedStyle(block).display.startsWith("inline")) block = block.parentElement;
  const style = getComputedStyle(block);
  const room = block.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  for (const m of node.textContent.matchAll(/[\\p{L}\\p{N}]+/gu)) {
    const range = document.createRange();
    range.setStart(node, m.index);
    range.setEnd(node, m.index + m[0].length);
    const rects = lineRects(range);
    const width = rects.reduce((sum, r) => sum + r.width, 0);
    if (new Set(rects.map(r => Math.round(r.top))).size > 1 && width < room) split.push(m[0]);
  }
}

// The bundled font is loaded for every character it draws outside math (MathJax has its own).
const plain = [];
const all = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let node; (node = all.nextNode());) if (!node.parentElement.closest("mjx-container, script, style")) plain.push(node.textContent);
const text = document.body.innerText;
return {
  scrollWidth: document.scrollingElement.scrollWidth,
  innerWidth: window.innerWidth,
  typeset: document.querySelectorAll("mjx-container").length,
  leftoverTex: /\\\\\\(|\\\\\\[/.test(text),
  baselines,
  split,
  fontReady: document.fonts.check(`16px "${family}"`, plain.join("")),
  questionFont: getComputedStyle(document.querySelector(".dg-question")).fontFamily,
};
"""


@pytest.mark.parametrize("deck", [
    "fixture", "sample",
    pytest.param("seeds", marks=pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed notes are not beside this checkout")),
])
def test_no_card_scrolls_sideways_with_math_typeset(deck, tmp_path, chromium):
    """Every card at 360 px in night mode and 1280 px in light mode, its math typeset: the page never
    scrolls sideways (wide math, tables and code scroll inside themselves), inline math keeps the
    text's baseline, no word that would fit a line is split, and the bundled font draws the text."""
    source = DECKS[deck]
    if deck == "seeds":  # the seeds are .txt: read them as the note files they are
        source = tmp_path / "seeds"
        source.mkdir()
        for seed in sorted(SEEDS.glob("*.txt")):
            shutil.copy(seed, source / (seed.stem + ".md"))
    pages = typeset_pages(source, tmp_path / "out")
    assert len(pages) >= {"fixture": 6, "sample": 40, "seeds": 26}[deck]
    driver = chromium()
    math = 0
    for where, back, view, seen in laid_out(driver, pages):
        assert seen["typeset"] == len(re.findall(r"\\\(|\\\[", back)) and not seen["leftoverTex"], where
        assert all(abs(dy) <= 0.5 for dy in seen["baselines"]), (where, view, seen["baselines"])
        assert not seen["split"], f"{where} splits words in {view}: {seen['split']}"
        assert seen["fontReady"] and seen["questionFont"].startswith(f'"{FAMILY}"'), (where, seen)
        math += seen["typeset"]
    if deck != "seeds":
        assert math > 0  # the fixture and the sample deck have math, and it was typeset


def _rgb(css: str) -> tuple[float, float, float]:
    """Return the red, green and blue of a computed colour ("rgb(…)", "rgba(…)") or a hex colour."""
    css = css.strip()
    if css.startswith("#"):
        return tuple(int(css[i:i + 2], 16) for i in (1, 3, 5))
    r, g, b, *alpha = (float(v) for v in re.findall(r"[\d.]+", css))
    assert not alpha or alpha[0] == 1, f"{css} is not opaque"
    return r, g, b


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two colours."""
    def luminance(colour):
        linear = [c / 255 / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4
                  for c in _rgb(colour)]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


_COLOURS = """
const style = (sel, pseudo) => { const el = document.querySelector(sel); return el && getComputedStyle(el, pseudo); };
const card = getComputedStyle(document.body);
const pre = style("pre.code");
return {
  card: card.backgroundColor, text: card.color, muted: card.getPropertyValue("--dg-muted"),
  subAnswerBar: style("dd.subq-a")?.borderLeftColor, q: style("dt.subq-q", "::before")?.color,
  link: style(".dg-answer a")?.color,
  source: style(".dg-source")?.color, sourceSize: parseFloat(style(".dg-source")?.fontSize),
  answerSize: parseFloat(style(".dg-answer p, .dg-answer li")?.fontSize),
  code: pre && {background: pre.backgroundColor, border: pre.borderTopColor, text: pre.color,
                tokens: [...new Set([...document.querySelectorAll("pre.code span")]
                                     .filter(s => s.textContent.trim()).map(s => getComputedStyle(s).color))]},
};
"""


def test_colours_meet_their_contrast_in_both_modes(rendered, chromium):
    """Computed colours: text 4.5:1; a sub-answer's bar 3:1 (WCAG non-text contrast); the Source line
    quieter than muted text but still 4.5:1 (it is small text); code tokens 4.5:1 on a code block
    whose background and border stand apart from the card."""
    driver = chromium()
    _, pages, _ = rendered
    seen = {}
    for view in ("phone-dark", "desktop-light", "phone-light", "desktop-dark"):
        merged = {}
        for (v, _n), page in sorted(pages.items()):
            if v != view:
                continue
            spec = VIEWS[view]
            show(driver, page, spec["width"], spec["height"], spec["phone"])
            for key, value in driver.execute_script(_COLOURS).items():
                if value and key not in merged:
                    merged[key] = value
        card = merged["card"]
        ratios = {
            "text": contrast(merged["text"], card), "link": contrast(merged["link"], card),
            "Q.": contrast(merged["q"], card), "sub-answer bar": contrast(merged["subAnswerBar"], card),
            "source": contrast(merged["source"], card), "muted": contrast(merged["muted"], card),
            "code background": contrast(merged["code"]["background"], card),
            "code border": contrast(merged["code"]["border"], card),
            "code text": contrast(merged["code"]["text"], merged["code"]["background"]),
            "weakest token": min(contrast(t, merged["code"]["background"]) for t in merged["code"]["tokens"]),
        }
        seen[view] = {k: round(v, 2) for k, v in ratios.items()}
        assert len(merged["code"]["tokens"]) >= 5, merged  # highlighted, in several colours
        assert min(ratios["text"], ratios["link"], ratios["Q."], ratios["code text"]) >= 4.5, seen
        assert ratios["sub-answer bar"] >= 3, seen
        assert 4.5 <= ratios["source"] < ratios["muted"], seen
        assert merged["sourceSize"] < 0.75 * merged["answerSize"], merged
        assert ratios["weakest token"] >= 4.5, seen
        assert ratios["code background"] >= 1.08 and ratios["code border"] >= 1.3, seen
    assert seen["phone-dark"] == seen["desktop-dark"] and seen["phone-light"] == seen["desktop-light"]


@pytest.fixture(scope="module")
def typeset_fixture(tmp_path_factory):
    """The fixture deck's backs in every view, with MathJax 3."""
    return typeset_pages(FIXTURES / "render", tmp_path_factory.mktemp("typeset"), views=tuple(VIEWS))


def _card(pages, where: str) -> dict[str, Path]:
    return next(by_view for source, _, by_view in pages if source == where)


_SUB_QUESTION = """
const dt = document.querySelector("dt.subq-q"), dd = dt.nextElementSibling;
dt.parentElement.style.maxWidth = "12em";  // the question wraps in every view
const lefts = el => {
  const range = document.createRange();
  range.selectNodeContents(el);
  const lines = {};
  for (const r of range.getClientRects()) if (r.width > 0) {
    const top = Math.round(r.top);
    lines[top] = Math.min(lines[top] ?? Infinity, r.left);
  }
  return Object.keys(lines).sort((a, b) => a - b).map(top => lines[top]);
};
const ctx = document.createElement("canvas").getContext("2d");
const s = getComputedStyle(dt, "::before");
ctx.font = `${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
return {question: lefts(dt), answer: lefts(dd.querySelector("p") || dd), left: dt.getBoundingClientRect().left,
        marker: ctx.measureText(s.content.replace(/"/g, "")).width, em: parseFloat(s.fontSize)};
"""

_GLYPHS = """
const done = arguments[arguments.length - 1];
const box = document.querySelector("span.math.inline"), math = box.querySelector("mjx-container");
const text = getComputedStyle(box.parentElement), tex = getComputedStyle(math);
Promise.all([document.fonts.load("100px MJXTEX", "0"), document.fonts.load("100px MJXTEX-I", "W")]).then(() => {
  const ctx = document.createElement("canvas").getContext("2d");
  const height = (family, px, glyph) => {  // ink above the baseline, in px
    ctx.font = `${text.fontWeight} 100px ${family}`;
    return ctx.measureText(glyph).actualBoundingBoxAscent * px / 100;
  };
  const textPx = parseFloat(text.fontSize), texPx = parseFloat(tex.fontSize);
  done({textPx, texPx, textDigit: height(text.fontFamily, textPx, "0"), texDigit: height("MJXTEX", texPx, "0"),
        texCapital: height("MJXTEX-I", texPx, "W"), hangul: height(text.fontFamily, textPx, "한")});
});
"""


def test_sub_questions_hang_under_q_and_inline_math_matches_the_text(typeset_fixture, chromium):
    driver = chromium()
    parent = _card(typeset_fixture, "딥러닝.md:48")
    with_math = _card(typeset_fixture, "딥러닝.md:29")
    for view in TYPESET_VIEWS:
        typeset(driver, parent[view], view)
        seen = driver.execute_script(_SUB_QUESTION)
        first, *rest = seen["question"]
        assert rest, seen
        # Every line of a wrapped sub-question starts where its first does, clear of "Q.";
        # the answer below starts there too.
        assert all(abs(left - first) < 0.5 for left in rest), seen
        assert first - seen["left"] >= seen["marker"] + 0.2 * seen["em"], seen
        assert abs(seen["answer"][0] - first) < 1, seen

        typeset(driver, with_math[view], view)
        glyphs = driver.execute_async_script(_GLYPHS)
        # MathJax alone sets math at 120 % here: its digits 13 % taller than the text's and its
        # capitals above the Hangul. Scaled, digits match the text's and capitals stay below Hangul.
        assert 0.95 <= glyphs["texDigit"] / glyphs["textDigit"] <= 1.05, glyphs
        assert glyphs["texCapital"] < glyphs["hangul"], glyphs


def _png_rgb(data: bytes) -> list[list[tuple[int, int, int]]]:
    """Decode an 8-bit RGB or RGBA PNG (as Chromium writes them) into rows of pixels."""
    import struct
    import zlib

    pos, packed = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            packed += body
    assert depth == 8 and colour in (2, 6)
    step = 3 if colour == 2 else 4
    raw, stride, rows, previous = zlib.decompress(packed), width * step, [], bytearray(width * step)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - step] if i >= step else 0
            b = previous[i]
            c = previous[i - step] if i >= step else 0
            if kind == 4:
                p = a + b - c
                a = a if abs(p - a) <= abs(p - b) and abs(p - a) <= abs(p - c) else b if abs(p - b) <= abs(p - c) else c
            line[i] = (line[i] + (0, a, b, (a + b) // 2, a)[kind]) & 255
        rows.append([tuple(line[x:x + 3]) for x in range(0, stride, step)])
        previous = line
    return rows


def test_a_code_line_too_long_for_the_block_shows_a_shadow_where_it_goes_on(typeset_fixture, chromium):
    """The block's edge beyond which code is hidden is shaded; scrolled to the end, the shade moves
    to the other edge. Sampled in the block's top padding, where no glyph is."""
    import base64

    driver = chromium()
    code = _card(typeset_fixture, "딥러닝.md:29")
    for view in TYPESET_VIEWS:
        typeset(driver, code[view], view)
        box = driver.execute_script("""
            const pre = document.querySelector("pre.code"), r = pre.getBoundingClientRect();
            return {left: r.left, right: r.right, top: r.top, scroll: pre.scrollWidth - pre.clientWidth,
                    background: getComputedStyle(pre).backgroundColor};""")
        assert box["scroll"] > 20, box  # the long line does not fit

        def edges():
            """How far the block's colour is from its background at its left and right edges."""
            shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "clip": {
                "x": box["left"], "y": box["top"] + 3, "width": box["right"] - box["left"], "height": 3,
                "scale": 1}})
            rows = _png_rgb(base64.b64decode(shot["data"]))
            background = _rgb(box["background"])
            far = lambda xs: max(abs(p - q) for row in rows for x in xs for p, q in zip(row[x], background))
            width = len(rows[0])
            return far(range(2, 6)), far(range(width - 6, width - 2))

        left, right = edges()
        assert left <= 3 and right >= 12, (view, left, right)
        driver.execute_script("const pre = document.querySelector('pre.code'); pre.scrollLeft = pre.scrollWidth;")
        left, right = edges()
        assert left >= 12 and right <= 3, (view, left, right)


def test_readme_screenshots(tmp_path, chromium):
    """The README's two pictures, from the sample deck: a phone in night mode (360 px at 2x, the
    whole card) and a desktop in light mode (1280 x 800). DECKGEN_README_PNG=1 writes them to docs/."""
    pages = typeset_pages(ROOT / "sources", tmp_path / "out")
    driver = chromium()
    shots = {}
    for name, view, question, scale in (
            ("card-phone-dark.png", "phone-dark", "경사 하강법(Gradient Descent)이란", 2),
            ("card-desktop-light.png", "desktop-light", "기울기 소실(Vanishing Gradient) 문제란", 1)):
        page = next(by_view[view] for _, back, by_view in pages
                    if f'<div class="dg-question">{question}' in back)
        typeset(driver, page, view)
        spec = VIEWS[view]
        height = spec["height"] if scale == 1 else driver.execute_script("return document.scrollingElement.scrollHeight")
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": spec["width"], "height": height, "deviceScaleFactor": scale, "mobile": spec["phone"]})
        shots[name] = tmp_path / name
        driver.save_screenshot(str(shots[name]))
        width = int.from_bytes(shots[name].read_bytes()[16:20], "big")
        assert width == spec["width"] * scale
    if os.environ.get("DECKGEN_README_PNG") == "1":
        for name, shot in shots.items():
            shutil.copyfile(shot, ROOT / "docs" / name)


_LINK_LINES = """
// Each line of each link's text, and, for a line that ends inside a part of a web address (not
// after one of its break points), how wide that part is against the width the link has.
const links = [];
for (const a of document.querySelectorAll(".dg-answer a")) {
  const walker = document.createTreeWalker(a, NodeFilter.SHOW_TEXT);
  const chars = [];
  for (let node; (node = walker.nextNode());) {
    for (let i = 0; i < node.textContent.length; i++) {
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      const rect = [...range.getClientRects()].find(r => r.width > 0);
      chars.push([node.textContent[i], rect ? Math.round(rect.top) : null]);
    }
  }
  const lines = [];
  let top = null;
  for (const [char, t] of chars) {
    if (t !== null && t !== top) { lines.push(""); top = t; }
    lines[lines.length - 1] += char;
  }
  let block = a.parentElement;
  while (getComputedStyle(block).display.startsWith("inline")) block = block.parentElement;
  const style = getComputedStyle(block);
  const ctx = document.createElement("canvas").getContext("2d");
  const s = getComputedStyle(a);
  ctx.font = `${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
  links.push({text: a.textContent, lines, html: a.innerHTML,
              room: block.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight),
              width: part => ctx.measureText(part).width});
}
return links.map(l => ({text: l.text, lines: l.lines, html: l.html, room: l.room,
                        parts: l.text.split(/(?<=[\\/.?&=#_~-])(?=[^\\/.?&=#_~-])|(?<=[^\\/.?&=#_~%-])(?=%)/)
                                     .map(p => [p, l.width(p)])}));
"""

_URL_BREAKS = "/.?&=#_~-"


def test_long_web_addresses_break_at_their_parts_on_a_phone(tmp_path, chromium):
    """A web address as link text (bare, in <…>, as a link's text, in References) wraps on a 360 px
    phone at its parts, after / . ? & = # _ ~ - or before %XX; only a part wider than the line breaks
    inside; the page never scrolls sideways."""
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "urls.md").write_text(
        "- **초기화 논문은 어디서 보나요?**\n"
        "  - 원문: https://proceedings.mlr.press/v9/glorot10a/glorot10a.pdf 에 있다.\n"
        "  - 문서: <https://pytorch.org/docs/stable/nn.init.html#torch.nn.init.kaiming_normal_>\n"
        "  - [https://www.tensorflow.org/api_docs/python/tf/keras/initializers/GlorotUniform]"
        "(https://www.tensorflow.org/api_docs/python/tf/keras/initializers/GlorotUniform)\n"
        "  - 위키: https://ko.wikipedia.org/wiki/%EA%B2%BD%EC%82%AC_%ED%95%98%EA%B0%95%EB%B2%95"
        "?search=averyveryverylongquerywordthatneverbreaksanywhere1234567890&lang=ko\n"
        "  - 참고자료\n    - https://arxiv.org/abs/1412.6980?context=cs.LG&utm_source=feed\n",
        encoding="utf-8")
    pages = typeset_pages(notes, tmp_path / "out", views=("phone-dark", "phone-light", "desktop-light"))
    driver = chromium()
    broken = 0
    for _, _, view, _ in laid_out(driver, pages):
        links = driver.execute_script(_LINK_LINES)
        assert len(links) == 5, links
        for link in links:
            assert "<wbr>" in link["html"], link
            assert "".join(link["lines"]) == link["text"], link
            wide = {part for part, width in link["parts"] if width > link["room"]}
            end = 0
            for line in link["lines"][:-1]:
                end += len(line)
                at_a_break = link["text"][end - 1] in _URL_BREAKS or link["text"][end] == "%"
                inside = next(part for part, start in _starts(link["parts"]) if start < end <= start + len(part))
                assert at_a_break or inside in wide, (view, line, link["lines"], link["room"])
            broken += len(link["lines"]) - 1
        if view.startswith("phone"):
            driver.save_screenshot(str(tmp_path / f"urls-{view}.png"))
    assert broken >= 8  # the addresses did wrap on the phones, each at its parts
    if os.environ.get("DECKGEN_PNG_DIR"):
        for shot in tmp_path.glob("urls-*.png"):
            shutil.copy(shot, os.environ["DECKGEN_PNG_DIR"])


def _starts(parts: list[list]) -> list[tuple[str, int]]:
    """Each part of an address with the index it starts at."""
    starts, at = [], 0
    for part, _width in parts:
        starts.append((part, at))
        at += len(part)
    return starts
