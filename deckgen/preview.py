"""Preview: every card's front and back as a browsable offline page, with the package's own CSS.

The cards are rendered from the same templates, CSS and font subsets Anki receives. Each side sits
in its own iframe, so `.card` is a real <body> (night mode toggles `nightMode` on it) and the phone
view is a real 360 px viewport with `mobile android` on <html>, as on AnkiDroid.
"""

from __future__ import annotations

import html
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from deckgen import lock as deck_lock
from deckgen.build import collect
from deckgen.errors import Problems
from deckgen.model import BuildConfig, Diagnostic
from deckgen.notetype import FIELDS, field_values, template_files
from deckgen.style import card_css

CSS_NAME = "card.css"
MATHJAX_ENV = "DECKGEN_MATHJAX"
_MATHJAX_FILES = ("tex-chtml.js", "tex-svg.js", "tex-mml-chtml.js", "tex-mml-svg.js")
_MATHJAX_FOLDERS = ("", "es5")
# Anki's MathJax reads only \(...\) and \[...\]; the preview configures MathJax the same way.
_MATHJAX_CONFIG = (
    "window.MathJax={tex:{inlineMath:[['\\\\(','\\\\)']],displayMath:[['\\\\[','\\\\]']],"
    "processEscapes:false,processEnvironments:false,processRefs:false},"
    "options:{ignoreHtmlClass:'tex2jax_ignore',processHtmlClass:'tex2jax_process'}};"
)
_SECTION = re.compile(r"\{\{([#^])([^}]+)\}\}(.*?)\{\{/\2\}\}", re.DOTALL)
_FIELD = re.compile(r"\{\{([^#^/}][^}]*)\}\}")


@dataclass(frozen=True, slots=True)
class PreviewReport:
    """What a preview wrote."""

    index: Path
    cards: int
    mathjax: str | None
    """The MathJax script the page loads (relative to index.html), or None: math shows as TeX."""
    diagnostics: tuple[Diagnostic, ...]


def render_template(template: str, fields: dict[str, str]) -> str:
    """Fill an Anki template: {{Field}}, {{#Field}}..{{/Field}}, {{^Field}}..{{/Field}}, {{FrontSide}}."""

    def section(m: re.Match) -> str:
        shown = bool(fields.get(m.group(2).strip(), "").strip())
        return m.group(3) if shown == (m.group(1) == "#") else ""

    previous = None
    while previous != template:
        previous, template = template, _SECTION.sub(section, template)
    return _FIELD.sub(lambda m: fields.get(m.group(1).strip(), ""), template)


def card_sides(values: tuple[str, ...]) -> tuple[str, str]:
    """Return a note's front and back HTML as Anki renders them from the shipped templates."""
    front_t, back_t, _ = template_files()
    fields = dict(zip(FIELDS, field_values(values), strict=True))
    front = render_template(front_t, fields)
    return front, render_template(back_t, {**fields, "FrontSide": front})


def card_document(body: str, *, css_href: str = CSS_NAME, mathjax: str | None = None,
                  night: bool = False, phone: bool = False) -> str:
    """Wrap one card side in a page shaped like Anki's reviewer: <body class="card">."""
    html_class = ' class="mobile android"' if phone else ""
    body_class = "card nightMode night_mode" if night else "card"
    script = ""
    if mathjax and ("\\(" in body or "\\[" in body):
        # Like AnkiDroid: load MathJax only where a card has math.
        script = f"<script>{_MATHJAX_CONFIG}</script><script src=\"{html.escape(mathjax)}\" async></script>"
    return (
        f'<!DOCTYPE html><html lang="ko"{html_class}><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="stylesheet" href="{html.escape(css_href)}">{script}</head>'
        f'<body class="{body_class}">{body}</body></html>'
    )


def find_mathjax(outdir: Path, given: Path | None = None) -> str | None:
    """Return the MathJax script for the page (relative when possible), or None if there is none."""
    places = [p for p in (given, os.environ.get(MATHJAX_ENV)) if p] + [outdir / "mathjax"]
    for place in map(Path, places):
        candidates = [place] if place.is_file() else [
            place / folder / name for folder in _MATHJAX_FOLDERS for name in _MATHJAX_FILES
        ]
        for script in candidates:
            if script.is_file():
                script = script.resolve()
                try:
                    return script.relative_to(outdir.resolve()).as_posix()
                except ValueError:
                    return script.as_uri()
    return None


def write_preview(config: BuildConfig, outdir: Path, mathjax: Path | None = None) -> PreviewReport:
    """Write outdir/index.html with every card, plus the CSS, fonts and images it uses."""
    problems = Problems()
    deck, files, media = collect(config, problems)
    problems.raise_if_failed(config.strict)
    css, fonts = card_css(files, deck.font)
    plan = deck_lock.plan(deck_lock.load(deck.root), deck, files, css, config)

    outdir.mkdir(parents=True, exist_ok=True)
    for stale in outdir.glob("_dg-kr-*.woff2"):
        stale.unlink()
    for name, path in {**{p.name: p for p in fonts}, **media.files}.items():
        shutil.copyfile(path, outdir / name)
    (outdir / CSS_NAME).write_text(css, encoding="utf-8")

    script = find_mathjax(outdir, mathjax)
    sections = []
    for n, card in enumerate(plan.cards, 1):
        front, back = card_sides(card.fields)
        frames = "".join(
            f'<figure><figcaption>{label}</figcaption><iframe title="{label} {n}" srcdoc="'
            f'{html.escape(card_document(side, mathjax=script), quote=True)}"></iframe></figure>'
            for label, side in (("front", front), ("back", back))
        )
        where = field_values(card.fields)[4]  # HTML text; the font subset has its characters
        sections.append(f'<section class="pv-card" id="card-{n}"><h2>#{n} <small>{where}</small></h2>'
                        f'<div class="pv-sides">{frames}</div></section>')
    math_note = (f"MathJax: {html.escape(script)}" if script else
                 "math shows as TeX: put MathJax in mathjax/ beside this page to typeset it")
    page = _PAGE.format(title=html.escape(deck.title), count=len(plan.cards), math=math_note,
                        cards="\n".join(sections), css=CSS_NAME)
    index = outdir / "index.html"
    index.write_text(page, encoding="utf-8")
    return PreviewReport(index, len(plan.cards), script, tuple(problems.items))


_PAGE = """<!DOCTYPE html>
<html lang="ko"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — card preview</title>
<link rel="stylesheet" href="{css}">
<style>
body.pv {{ margin: 0; font: 15px/1.5 "Deckgen KR", system-ui, sans-serif; background: #e9ebee; color: #222; }}
body.pv.pv-dark {{ background: #111214; color: #ddd; }}
.pv header {{ position: sticky; top: 0; z-index: 1; display: flex; flex-wrap: wrap; gap: 8px 16px;
  align-items: center; padding: 10px 16px; background: inherit; border-bottom: 1px solid #8884; }}
.pv header h1 {{ margin: 0; font-size: 17px; }}
.pv header small {{ opacity: .7; }}
.pv label {{ cursor: pointer; user-select: none; }}
.pv main {{ padding: 12px 16px 40px; }}
.pv-card {{ margin: 0 0 28px; }}
.pv-card h2 {{ margin: 0 0 6px; font-size: 14px; }}
.pv-card h2 small {{ font-weight: 400; opacity: .7; }}
.pv-sides {{ display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }}
.pv figure {{ margin: 0; flex: 1 1 420px; min-width: 0; }}
.pv.pv-phone figure {{ flex: 0 0 360px; }}
.pv figcaption {{ font-size: 12px; opacity: .6; }}
.pv iframe {{ display: block; width: 100%; height: 160px; border: 1px solid #8886; border-radius: 6px;
  background: #fff; }}
.pv.pv-phone iframe {{ width: 360px; }}
</style></head>
<body class="pv">
<header><h1>{title}</h1><small>{count} cards · {math}</small>
<label><input type="checkbox" id="pv-night"> dark (nightMode)</label>
<label><input type="checkbox" id="pv-phone"> phone (360 px)</label></header>
<main>
{cards}
</main>
<script>
(function () {{
  var night = document.getElementById("pv-night"), phone = document.getElementById("pv-phone");
  function fit(frame) {{
    var doc = frame.contentDocument;
    if (doc && doc.documentElement) frame.style.height = doc.documentElement.scrollHeight + 2 + "px";
  }}
  function apply(frame) {{
    var doc = frame.contentDocument;
    if (!doc || !doc.body) return;
    doc.body.classList.toggle("nightMode", night.checked);
    doc.body.classList.toggle("night_mode", night.checked);
    doc.documentElement.classList.toggle("mobile", phone.checked);
    doc.documentElement.classList.toggle("android", phone.checked);
    fit(frame);
  }}
  function applyAll() {{
    document.body.classList.toggle("pv-dark", night.checked);
    document.body.classList.toggle("pv-phone", phone.checked);
    document.querySelectorAll("iframe").forEach(apply);
  }}
  document.querySelectorAll("iframe").forEach(function (frame) {{
    frame.addEventListener("load", function () {{
      apply(frame);
      if (window.ResizeObserver) new ResizeObserver(function () {{ fit(frame); }})
        .observe(frame.contentDocument.body);
      if (frame.contentDocument.fonts) frame.contentDocument.fonts.ready.then(function () {{ fit(frame); }});
    }});
    if (frame.contentDocument && frame.contentDocument.readyState === "complete") apply(frame);
  }});
  night.addEventListener("change", applyAll);
  phone.addEventListener("change", applyAll);
  if (location.hash.indexOf("dark") >= 0) night.checked = true;
  if (location.hash.indexOf("phone") >= 0) phone.checked = true;
  applyAll();
}})();
</script>
</body></html>
"""
