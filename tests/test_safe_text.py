"""What keeps a card from running script or leaking: the math neutraliser, the URL rules, the text
helpers for the terminal, the changelog and HTML, and where images may come from."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deckgen import mathsafe, render
from deckgen.errors import Problems
from deckgen.markdown import markdown
from deckgen.media import Media, media_root_problem
from deckgen.model import SourceLocation
from deckgen.notetype import FIELDS, field_values, plain
from deckgen.package import safe_description
from deckgen.textsafe import html_text, markdown_text, printable
from deckgen.tree import Node


@pytest.mark.parametrize(
    ("tex", "clean", "refused"),
    [
        (r"\href{javascript:alert(1)}{x}", "{x}", ("href",)),
        (r"a + \href {u} {b^2} - c", "a + {b^2} - c", ("href",)),
        (r"\href{u}x y", "{x} y", ("href",)),  # a single token is kept in braces
        (r"\h\href{u}ref", r"\h{r}ef", ("href",)),  # never glued into `\href` again
        (r"\h\require{html}ref", r"\h{}ref", ("require",)),
        (r"\url{javascript:alert(1)}", "{}", ("url",)),
        (r"\style{position:fixed;inset:0}{\href{javascript:x}{y}}^2", "{{y}}^2", ("style", "href")),
        (r"\class{x}{a}\cssId{answer}{b}", "{a}{b}", ("class", "cssId")),
        (r"\htmlStyle{s}{a}\htmlClass{c}{b}\htmlId{i}{c}\htmlData{k=v}{d}\data{k=v}{e}",
         "{a}{b}{c}{d}{e}", ("htmlStyle", "htmlClass", "htmlId", "htmlData", "data")),
        (r"\mmlToken{mi}[href='javascript:x' style='position:fixed']{x}", "{x}", ("mmlToken",)),
        (r"\unicode{x2192}\unicode[Arial]{65}\unicode[.8,.2][x]{0x3B1}", "{→}{A}{α}", ("unicode",)),
        (r"\unicode{92}\unicode{x202E}\unicode{xyz}", "{}{}{}", ("unicode",)),  # `\`, a bidi control
        (r"\require{html}\setOptions[tex]{x=1}\mathtoolsset{centercolon}y", "{}{}{}y",
         ("require", "setOptions", "mathtoolsset")),
        (r"\bbox[position:fixed;top:0]{x}", "{x}", ("bbox",)),
        (r"\bbox[yellow,100em]{x}", "{x}", ("bbox",)),
        (r"\def\x{\href}\x{javascript:y}{z}", r"\def\x{{}}\x{javascript:y}{z}", ("href",)),
        (r"\text{see \(\href{javascript:y}{z}\)}", r"\text{see \({z}\)}", ("href",)),
        (r"\href{javascript:alert(1)", "{}", ("href",)),  # never closed: all of it goes
        (r"\href", "{}", ("href",)),
    ],
)
def test_refused_math_commands_are_taken_out_keeping_their_math(tex, clean, refused):
    got = mathsafe.neutralise(tex)
    assert (got.text, got.refused) == (clean, refused)
    assert mathsafe.neutralise(got.text).refused == ()  # nothing refused is left, or made


@pytest.mark.parametrize(
    "tex",
    [
        r"\frac{a}{b} + \sqrt[3]{x} \\ \text{href}",
        r"\\href{x}",  # a line break, then the letters href
        r"\hrefx{u}{v} \Href{u}{v} \styles",  # other names
        r"\bbox[yellow,5px]{x} \bbox{y} \color{red}{z} \colorbox{blue}{w}",
        r"\ce{H2O} \unicodes",
    ],
)
def test_harmless_math_is_left_exactly_as_written(tex):
    assert mathsafe.neutralise(tex) == mathsafe.Cleaned(tex, ())


def test_math_in_html_is_found_as_mathjax_finds_it():
    fragment = (
        r"<p>\href{prose}{before any math} is text</p>"
        r'<p>\(\href{javascript:alert(1)}{x}\) and \(\hr&#101;f{u}{y}\) and \[\&#x68;ref{u}{z}\]</p>'
        r"<pre><code>\(\href{javascript:kept}{as code}\)</code></pre>"
        r'<p>\(\style{a<br>position:fixed}{w}\)</p>'
        r"<p>once math has begun, \url{x} goes wherever it stands</p>"
    )
    got = mathsafe.neutralise_html(fragment)
    assert got.refused == ("href", "style", "url")
    assert got.text == (
        r"<p>\href{prose}{before any math} is text</p>"
        r"<p>\({x}\) and \({y}\) and \[{z}\]</p>"
        r"<pre><code>\(\href{javascript:kept}{as code}\)</code></pre>"
        r"<p>\({w}\)</p>"
        r"<p>once math has begun, {} goes wherever it stands</p>"
    )
    # A class that would make MathJax typeset inside code goes: the code is then only code.
    forced = mathsafe.neutralise_html(r'<code class="x tex2jax_process">\(\href{javascript:y}{z}\)</code>')
    assert forced.text == r'<code class="x">\(\href{javascript:y}{z}\)</code>'
    assert mathsafe.neutralise_html("<p>a &amp; b</p>") == mathsafe.Cleaned("<p>a &amp; b</p>", ())


def _blocks(text: str, warned: list) -> str:
    env: dict = {}
    nodes = Node(markdown().parse(text, env)).children
    return render.blocks(nodes, env, warn=lambda line, message: warned.append((line + 1, message)))


def test_rendered_answers_lose_refused_math_and_warn_at_its_line():
    warned: list = []
    out = _blocks(
        "첫 줄\n\n$\\href{javascript:alert(1)}{x}$ 와\n\n"
        "$$\\style{position:fixed;inset:0}{y}$$\n\n"
        "\\\\(\\class{a}{z}\\\\)\n\n"
        '<div>\\(\\cssId{answer}{w}\\)</div>\n',
        warned,
    )
    assert "javascript" not in out and "position" not in out and "answer" not in out
    assert "\\({x}\\)" in out and "\\[{y}\\]" in out and "\\({z}\\)" in out and "\\({w}\\)" in out
    assert warned == [
        (3, "math command \\href removed (the math it wraps is kept): a link in math could run script on the card"),
        (5, "math command \\style removed (the math it wraps is kept): a style, class or id in math "
            "could cover or restyle the card"),
        (7, "math command \\class removed (the math it wraps is kept): a style, class or id in math "
            "could cover or restyle the card"),
        (9, "math command \\cssId removed (the math it wraps is kept): a style, class or id in math "
            "could cover or restyle the card"),
    ]


def test_questions_lose_refused_math_too():
    warned: list = []
    env: dict = {}
    tokens = markdown().parse("그래프 $\\href{javascript:x}{y}$ 는?\n", env)
    out = render.inline(tokens[1].children, env, line=4, warn=lambda line, message: warned.append(line))
    assert "javascript" not in out and "\\({y}\\)" in out and warned == [4]


@pytest.mark.parametrize(
    "href",
    [
        " data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "\tdata:text/html,x", "\ndata:text/html,x", "&#32;data:text/html,x", "&#x0C;data:text/html,x",
        "&#1;javascript:alert(1)", "java&#x09;script:alert(1)", "da&#x09;ta:text/html,x",
        "java&#10;script:alert(1)", "DATA:text/html,x", "JaVaScRiPt:alert(1)", "vbscript:x",
        "data:image/png;base64,iVBOR", "file:///etc/passwd",
    ],
)
def test_links_with_a_hidden_scheme_are_refused(href):
    clean = render.sanitize(f'<a href="{href}">x</a><a href={href.strip()}>y</a>')
    assert clean == "<a>x</a><a>y</a>"


def test_links_and_images_that_are_allowed_stay():
    fragment = ('<a href="https://example.com/a?b=1&amp;c=2">w</a><a href="mailto:a@example.com">m</a>'
                '<a href="#top">t</a><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">')
    assert render.sanitize(fragment) == fragment
    assert render.sanitize('<img src=" data:text/html,x">') == "<img>"


def _media(root: Path, problems: Problems, media_root: str | None = None) -> Media:
    return Media(root, problems, media_root=media_root)


def test_raw_html_images_are_placed_like_markdown_images(tmp_path):
    notes = tmp_path / "notes"
    (notes / "img").mkdir(parents=True)
    (notes / "img" / "d.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    problems = Problems()
    media = _media(notes, problems)
    where = SourceLocation("notes/q.md", 0)

    def images(src: str, line: int):
        placed = media.resolve(src, notes / "q.md", SourceLocation(where.path, line + 1))
        if placed is not None and "://" in placed:
            problems.warn(SourceLocation(where.path, line + 1), f'remote image "{placed}" kept as a link')
        return placed

    env: dict = {}
    text = ("답\n\n<div>\n<img src=https://tracker.example/p.gif?u=1>\n<img/src=img/d.png alt=그림>\n"
            "<IMG SRC = 'img/d.png' width=10>\n<img alt=\"a>b\" src=missing.png>\n"
            "<!-- <img src=old.png> -->\n</div>\n\n<img src=https://tracker.example/q.gif>\n")
    out = render.blocks(Node(markdown().parse(text, env)).children, env, images)
    assert '<a class="remote-image" href="https://tracker.example/p.gif?u=1">' in out
    assert '<a class="remote-image" href="https://tracker.example/q.gif">' in out
    assert "src=\"http" not in out and out.count("<img") == 2
    assert out.count('src="d-') == 2 and "missing" not in out and "old.png" not in out
    assert [str(d) for d in problems.items] == [
        'notes/q.md:4: warning: remote image "https://tracker.example/p.gif?u=1" kept as a link',
        'notes/q.md:7: error: image "missing.png" not found',
        'notes/q.md:11: warning: remote image "https://tracker.example/q.gif" kept as a link',
    ]


def test_images_only_from_inside_the_notes_repository(tmp_path):
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    notes = tmp_path / "work" / "notes"
    (notes / "img").mkdir(parents=True)
    os.symlink(outside, notes / "img" / "linked")  # a folder link leading out
    for media_root in ("/", "../..", None):
        problems = Problems()
        media = _media(notes, problems, media_root)
        for src in (str(outside / "photo.png"), "/private/photo.png", "img/linked/photo.png",
                    "../../private/photo.png", "img/a\x00b.png"):
            assert media.resolve(src, notes / "q.md", SourceLocation("q.md", 1)) is None, (media_root, src)
        assert not media.files
        assert len(problems.errors) == 5 and not problems.warnings


def test_media_root_must_lie_inside_the_notes_repository(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "notes" / "deep").mkdir(parents=True)
    (repo / "assets").mkdir()
    notes = repo / "notes"
    assert media_root_problem(notes, "../assets") is None
    assert media_root_problem(notes, "deep") is None
    assert media_root_problem(notes, "..") is None  # the repository itself
    for bad in ("../..", "/", str(tmp_path)):
        why = media_root_problem(notes, bad)
        assert why and why.startswith(f'"media_root" = "{bad}" lies outside the repository that holds the notes')
    assert media_root_problem(notes, "nowhere") == '"media_root" is not a folder: nowhere'
    # No repository: the notes folder or its parent (a book's images/ beside its answers/).
    book = tmp_path / "book" / "answers"
    book.mkdir(parents=True)
    assert media_root_problem(book, "..") is None
    assert "the notes folder or its parent" in media_root_problem(book, "../..")
    assert media_root_problem(book, "/") is not None


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("질문\x1b[2J\x1b]0;title\x07", "질문\\x1b[2J\\x1b]0;title\\x07"),
        ("a\x9b31mb\x7f", "a\\x9b31mb\\x7f"),
        ("abc\u202edcba\u2066x\u2069", "abc\\u202edcba\\u2066x\\u2069"),
        ("line\nbreak\r", "line\\x0abreak\\x0d"),
        ("bad\udcffname.md", "bad\\xffname.md"),  # a file name that is not UTF-8
        ("보통 글 ✓ σ", "보통 글 ✓ σ"),
    ],
)
def test_printable_shows_control_characters_instead_of_sending_them(text, shown):
    assert printable(text) == shown


def test_html_and_markdown_text():
    assert html_text('<img src=x onerror="alert(1)">.md') == "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;.md"
    assert markdown_text("<script>x</script> a < b & c &amp; \x1b") == "&lt;script>x&lt;/script> a < b & c &amp;amp; \\x1b"
    assert safe_description('<b><img src=x onerror=alert(1)>덱</b> — v1') == "<b>덱</b> — v1"
    assert safe_description("<b>&lt;img&gt;</b>") == "<b>&lt;img&gt;</b>"


def test_every_field_leaves_without_tags_in_its_source_or_live_sound():
    question, answer, context, keywords, source = field_values((
        "q [sound:_x.mp3]", "[sound:a.mp3] [anki:tts lang=en_US]hi[/anki:tts] [$]x[/$] [latex]y[/latex]",
        r"\(\href{javascript:x}{c}\)", '<span class="kw">\\(\\style{position:fixed}{k}\\)</span>',
        "<img src=x onerror=alert(1)>.md:3",
    ))
    assert question == "q &#91;sound:_x.mp3]"
    assert answer == "&#91;sound:a.mp3] &#91;anki:tts lang=en_US]hi&#91;/anki:tts] &#91;$]x&#91;/$] &#91;latex]y&#91;/latex]"
    assert context == r"\({c}\)" and keywords == '<span class="kw">\\({k}\\)</span>'
    assert source == ".md:3"
    assert field_values(("", "", "", "", "&lt;img src=x&gt;.md:3"))[4] == "&lt;img src=x&gt;.md:3"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab가나 ./:-_<&\\[]$()process0123"), max_size=40))
def test_text_called_plain_is_held_as_it_is_by_every_field(value):
    """A note moved by an edit keeps its other fields' values; its Source field is taken as it is
    where `plain` says a field holds it so (see build.prepare)."""
    from deckgen.package import findings

    if plain(value):
        assert field_values((value,) * len(FIELDS)) == (value,) * len(FIELDS)
        assert findings((value,) * len(FIELDS)) == []
