"""Emphasis next to Korean (and Chinese, Japanese) text, and English emphasis left as it was."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from deckgen.cjk import cjk_friendly_plugin, is_cjk
from deckgen.markdown import markdown
from tests.conftest import parse_text


def render(text: str) -> str:
    return markdown().render(text).strip()


KOREAN = [
    # The closing run follows punctuation and precedes the particle: CommonMark leaves it as `**`.
    ("**Batch Normalization(BN)**은 배치마다 정규화한다.",
     "<p><strong>Batch Normalization(BN)</strong>은 배치마다 정규화한다.</p>"),
    ("**정규화(Normalization)**를 한다.", "<p><strong>정규화(Normalization)</strong>를 한다.</p>"),
    ('**"인용"**이다', "<p><strong>&quot;인용&quot;</strong>이다</p>"),
    # The opening run follows a Hangul letter and precedes punctuation.
    ("이것은**(괄호)**입니다", "<p>이것은<strong>(괄호)</strong>입니다</p>"),
    ('이것은**"따옴표"**입니다', "<p>이것은<strong>&quot;따옴표&quot;</strong>입니다</p>"),
    ("*강조*는", "<p><em>강조</em>는</p>"),
    ("*(괄호)*는", "<p><em>(괄호)</em>는</p>"),
    ("***ReLU(x)***는", "<p><em><strong>ReLU(x)</strong></em>는</p>"),
    ("**이 용어(This term)**를 강조해 주세요.", "<p><strong>이 용어(This term)</strong>를 강조해 주세요.</p>"),
    ("**Sigmoid**의 단점은 **기울기 소실(vanishing gradient)**이다.",
     "<p><strong>Sigmoid</strong>의 단점은 <strong>기울기 소실(vanishing gradient)</strong>이다.</p>"),
    ("- **ReLU(Rectified Linear Unit)**는 음수를 0으로 만든다.",
     "<ul>\n<li><strong>ReLU(Rectified Linear Unit)</strong>는 음수를 0으로 만든다.</li>\n</ul>"),
    ("~~시그모이드(sigmoid)~~는 요즘 잘 쓰지 않는다.",
     "<p><s>시그모이드(sigmoid)</s>는 요즘 잘 쓰지 않는다.</p>"),
    # `__` and `_` keep CommonMark's word rule: inside a word they stay literal, as in
    # snake_case; against a space or punctuation they emphasise.
    ("__x__", "<p><strong>x</strong></p>"),
    ("__정규화__ 는", "<p><strong>정규화</strong> 는</p>"),
    ("_정규화_, 표준화", "<p><em>정규화</em>, 표준화</p>"),
    ("__정규화__는", "<p>__정규화__는</p>"),
    ("변수_이름_은 snake_case", "<p>변수_이름_은 snake_case</p>"),
    # Math and code are their own tokens: emphasis around them works, nothing inside changes.
    ("**$x^2$**는 제곱", '<p><strong><span class="math inline">\\(x^2\\)</span></strong>는 제곱</p>'),
    ("**`relu()`**를 호출", "<p><strong><code>relu()</code></strong>를 호출</p>"),
    ("$a*b*c$는", '<p><span class="math inline">\\(a*b*c\\)</span>는</p>'),
    ("`**x(y)**은`", "<p><code>**x(y)**은</code></p>"),
    # Chinese and Japanese, the amendment's own examples in kind.
    ("**これは「重要」**です。", "<p><strong>これは「重要」</strong>です。</p>"),
    ("我可以强调**这个`code`**吗", "<p>我可以强调<strong>这个<code>code</code></strong>吗</p>"),
    # Jamo of width N are Hangul too.
    ("a**ᅡ(x)**ᅡ", "<p>a<strong>ᅡ(x)</strong>ᅡ</p>"),
    # A variation selector belongs to the character before it.
    ("漢\ufe00**(한자)**다", "<p>漢\ufe00<strong>(한자)</strong>다</p>"),
    ("漢\U000e0100**(한자)**다", "<p>漢\U000e0100<strong>(한자)</strong>다</p>"),
    # ” with U+FE01 is its fullwidth form, CJK punctuation; with U+FE00 it stays ” (punctuation).
    ("*a”\ufe01*b", "<p><em>a”\ufe01</em>b</p>"),
    ("*a”\ufe00*b", "<p>*a”\ufe00*b</p>"),
    # Emoji are not CJK letters, the enclosed ideographs and ㈜ are.
    ("a**😀x** b", "<p>a**😀x** b</p>"),
    ("a**⌚x** b", "<p>a**⌚x** b</p>"),
    ("a**🈂x** b", "<p>a<strong>🈂x</strong> b</p>"),
    ("a**㈜x** b", "<p>a<strong>㈜x</strong> b</p>"),
]


@pytest.mark.parametrize(("text", "html"), KOREAN)
def test_korean_emphasis(text, html):
    assert render(text) == html


def test_plain_commonmark_leaves_the_same_korean_literal():
    """The cases above are the ones CommonMark gets wrong: the plugin is what changes them."""
    plain = MarkdownIt("commonmark")
    assert plain.render("**Batch Normalization(BN)**은").strip() == "<p>**Batch Normalization(BN)**은</p>"
    assert plain.render("이것은**(괄호)**입니다").strip() == "<p>이것은**(괄호)**입니다</p>"


# CommonMark 0.31.2 emphasis examples and English habits: without CJK characters the parse
# must be CommonMark's, to the byte.
ENGLISH = [
    "*foo bar*", "a * foo bar*", 'a*"foo"*', "*\xa0a\xa0*", "foo*bar*", "5*6*78", "2*3*4",
    "_foo bar_", "_ foo bar_", 'a_"foo"_', "foo_bar_", "5_6_78", "пристаням_стремятся_",
    'aa_"bb"_cc', "foo-_(bar)_", "_foo*", "*foo bar *", "*foo bar\n*", "*(*foo)", "*(*foo*)*",
    "*foo*bar", "_foo bar _", "_(_foo)", "_(_foo_)_", "_foo_bar", "_пристаням_стремятся",
    "_foo_bar_baz_", "_(bar)_.", "**foo bar**", "** foo bar**", 'a**"foo"**', "foo**bar**",
    "__foo bar__", "__ foo bar__", "__\nfoo bar__", 'a__"foo"__', "foo__bar__", "5__6__78",
    "пристаням__стремятся__", "__foo, __bar__, baz__", "foo-__(bar)__", "**foo bar **",
    "**(**foo)", "*(**foo**)*",
    "**Gomphocarpus (*Gomphocarpus physocarpus*, syn.\n*Asclepias physocarpa*)**",
    '**foo "*bar*" foo**', "**foo**bar", "__foo bar __", "__(__foo)", "_(__foo__)_", "__foo__bar",
    "__пристаням__стремятся", "__foo__bar__baz__", "__(bar)__.", "*foo [bar](/url)*",
    "*foo\nbar*", "_foo __bar__ baz_", "_foo _bar_ baz_", "__foo_ bar_", "*foo *bar**",
    "*foo **bar** baz*", "*foo**bar**baz*", "*foo**bar*", "***foo** bar*", "*foo **bar***",
    "*foo**bar***", "foo***bar***baz", "foo******bar*********baz", "*foo **bar *baz* bim** bop*",
    "** is not an empty emphasis", "**foo [*bar*](/url)**", "__foo _bar_ baz__", "**foo*",
    "*foo**", "***foo**", "****foo*", "**foo***", "*foo****", "_foo_*", "*_foo_*", "**foo*bar**",
    "*a `*`*", "_a `_`_", "**a<b>**c", "a**\"b\"**c", "snake_case_names", "__init__.py",
    "a*b*c", "**Note:**see", "“**quoted**”x", "*foo*—bar", "x**(BN)**y", "**😀**a", "a**😀**",
    "~~gone~~ and ~~(this)~~x", "$a*b*c$ and `a*b*c`", "**bold**, *em* and _em_.",
]


@pytest.mark.parametrize("text", ENGLISH)
def test_english_emphasis_is_commonmark(text):
    plain = MarkdownIt("commonmark").enable("strikethrough")
    with_plugin = MarkdownIt("commonmark").enable("strikethrough").use(cjk_friendly_plugin)
    assert with_plugin.render(text) == plain.render(text)
    if "$" not in text and "~" not in text:  # deckgen's parser reads math and single tildes
        assert markdown().render(text) == plain.render(text)


def test_other_parsers_keep_commonmark():
    """The plugin changes its own parser only; a parser made afterwards scans as before."""
    markdown().render("**정규화(BN)**은")
    assert MarkdownIt("commonmark").render("**정규화(BN)**은").strip() == "<p>**정규화(BN)**은</p>"


@pytest.mark.parametrize(
    ("char", "cjk"),
    [
        ("가", True), ("은", True), ("ㄱ", True), ("ᄀ", True), ("ᅡ", True), ("ힰ", True),
        ("ﾡ", True), ("漢", True), ("ｱ", True), ("！", True), ("「", True), ("。", True),
        ("〰", True), ("🈂", True), ("\U0002a6d6", True), ("\U00031350", True),
        ("a", False), ("é", False), ("(", False), ("“", False), ("—", False), ("😀", False),
        ("⌚", False), ("🈚", False), ("\ufe00", False), ("\U000e0100", False), ("\u0378", False),
    ],
)
def test_is_cjk(char, cjk):
    assert is_cjk(char) is cjk


def test_a_built_note_shows_the_bold_term():
    text = (
        "# 딥러닝\n\n"
        "### 배치 정규화란 무엇인가요?\n\n"
        "**Batch Normalization(BN)**은 미니배치마다 입력을 **정규화(normalization)**하는 기법이다.\n"
    )
    parsed, problems = parse_text(text, shape="headings")
    assert not problems.items
    [note] = parsed.notes
    assert "<strong>Batch Normalization(BN)</strong>은" in note.answer
    assert "<strong>정규화(normalization)</strong>하는" in note.answer
    assert "**" not in note.answer
