"""The cards in a real browser: headless Chromium at phone and desktop sizes, light and dark.

Each card's back (which shows its front) is rendered with the package's own templates, CSS and font
subsets, saved as PNG beside the test's temporary folder, and checked for what a reader would
notice: the page scrolling sideways, and Hangul drawn as boxes or in some other font.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from deckgen.fonts import FAMILY
from deckgen.model import BuildConfig
from deckgen.preview import card_document, card_sides, write_preview
from tests.conftest import FIXTURES

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


def test_preview_page_toggles_dark_and_phone_and_loads_mathjax_only_for_math(tmp_path, chromium):
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
                           {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})
    driver.get(report.index.as_uri())
    state = """return [...document.querySelectorAll("iframe")].map(f => ({
        body: f.contentDocument.body.className, html: f.contentDocument.documentElement.className,
        width: f.clientWidth, inner: f.contentWindow.innerWidth,
        math: f.contentDocument.body.dataset.mathjax || "", text: f.contentDocument.body.innerText}))"""
    frames = driver.execute_script(state)
    assert len(frames) == 2 * report.cards
    assert all(f["body"] == "card" and f["html"] == "" and f["width"] > 360 for f in frames)
    with_math = [f for f in frames if "\\(" in f["text"] or "\\[" in f["text"]]
    assert with_math and all(f["math"] == "ran" for f in with_math)
    assert all(f["math"] == "" for f in frames if f not in with_math)

    driver.find_element("id", "pv-night").click()
    driver.find_element("id", "pv-phone").click()
    frames = driver.execute_script(state)
    assert all(f["body"] == "card nightMode night_mode" and f["html"] == "mobile android" for f in frames)
    assert all(f["inner"] == 360 for f in frames)
