"""The cleaner on pages written for these tests: teasers go, the story's own lists stay."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pages import STORY as P
from pages import URL, page, story_kept
from refeed.article import Rules, process, process_text
from refeed.dom import parse_fragment
from refeed.sanitize import sanitize


def links(*titles: str, tag: str = "li") -> str:
    return "".join(
        f'<{tag}><a href="/2026/11/{i}.html">{t}</a></{tag}>' for i, t in enumerate(titles)
    )


HEADLINES = [
    "Mayor opens new cycle bridge over the canal",
    "Storm warning issued for the coast as winds pick u...",
    "School meals to become free for all primary pupils",
    "Football club appoints former captain as coach…",
    "Museum returns stolen painting to Italian church",
]

TEASER_CASES = {
    "read-also-heading-and-list": f"<h3>Read also</h3><ul>{links(*HEADLINES)}</ul>",
    "comments-between-heading-and-list": f"<!-- related --><h3>Read also</h3><!-- list --><ul>{links(*HEADLINES)}</ul><!-- end -->",
    "russian-heading": f"<p><b>Читайте также:</b></p><ul>{links(*HEADLINES)}</ul>",
    "bare-truncated-list": f"<ul>{links(*HEADLINES)}</ul>",
    "run-of-linked-paragraphs": links(*HEADLINES, tag="p"),
    "inline-read-more": f'<p>READ MORE: <a href="/2026/11/9.html">{HEADLINES[0]}</a></p>',
    "inline-up-next": f'<p><a href="/2026/11/9.html"><span>Up next:</span> {HEADLINES[2]}</a></p>',
    "german-next-article": f'<p>Nächster Artikel: <a href="/2026/11/8.html">{HEADLINES[4]}</a></p>',
    "links-between-separators": "<div>"
    + " | ".join(f'<a href="/2026/11/{i}.html">{t}</a>' for i, t in enumerate(HEADLINES))
    + "</div>",
    "cards-with-thumbnails": "".join(
        f'<div class="card"><img src="/t{i}.jpg"><h4><a href="/2026/{i}.html">{t}</a></h4></div>'
        for i, t in enumerate(HEADLINES)
    ),
}

KEEP_CASES = {
    "story-bullet-list": "<ul><li>The quay closes to all traffic on 1 March.</li>"
    "<li>Fishing boats move to the southern pontoon.</li>"
    "<li>Work should end in the summer of 2029.</li></ul>",
    "list-of-sources-with-links": "<p>The reports the engineers relied on:</p><ol>"
    '<li><a href="https://gov.example/r1">The 2024 structural survey of the northern quay, '
    "with photographs of every pile.</a></li>"
    '<li><a href="https://gov.example/r2">A study of timber decay in tidal water...</a></li>'
    '<li><a href="https://gov.example/r3">The authority\'s own maintenance log for the years '
    "2010 to 2025.</a></li></ol>",
    "quoted-ellipsis": '<p>"We knew it was bad... we did not know it was this bad," the '
    "harbour master said, standing on the closed section of the quay.</p>",
    "short-qa-lines": "<p>Q: When does it close?</p><p>A: In March.</p><p>Q: For how long?</p>"
    "<p>A: Three years.</p>",
    # the story's own list, announced by its own sentence: same-site links, headline-short
    "list-announced-by-the-story": "<p>The documents the council published on Monday:</p><ul>"
    + links(
        "Budget for 2027",
        "Structural survey of the quay",
        "Minutes of the May meeting",
        "Construction plan and timetable",
    )
    + "</ul>",
    "list-of-documents": "<ul>"
    + "".join(
        f'<li><a href="/files/{n}.pdf">{t}</a></li>'
        for n, t in [
            ("budget", "Budget for 2027"),
            ("survey", "Structural survey of the quay"),
            ("minutes", "Minutes of the May meeting"),
            ("plan", "Construction plan"),
        ]
    )
    + "</ul>",
    # a live blog's entries: each time over its paragraph is the story's, not a dateline
    "live-blog-times": "".join(
        f"<p><strong>{time}</strong></p><p>{text}</p>"
        for time, text in [
            ("14:05", "The minister arrives at the quay and is greeted by the harbour master."),
            ("14:20", "She says the government will pay half of the cost of the new quay."),
            ("14:45", "Fishermen ask when the temporary pontoon will be ready: before spring."),
        ]
    ),
    "live-blog-dated-entries": "".join(
        f'<div class="entry"><p class="time">12 May 2026, {time}</p><p>{text}</p></div>'
        for time, text in [
            ("14:05", "The minister arrives at the quay and is greeted by the harbour master."),
            ("14:20", "She says the government will pay half of the cost of the new quay."),
            ("14:45", "Fishermen ask when the temporary pontoon will be ready: before spring."),
        ]
    ),
    # several short links in one sentence are words of it, not a run of headlines
    "links-inside-a-sentence": "<p>In mathematics, a <b>Hermitian matrix</b> is a "
    '<a href="/wiki/Complex_number">complex</a> <a href="/wiki/Square_matrix">square matrix</a> '
    'that is equal to its own <a href="/wiki/Conjugate_transpose">conjugate transpose</a>.</p>',
    "links-inside-a-russian-sentence": '<p>Матрица называется <a href="/wiki/a">эрмитовой</a>, '
    'если она <a href="/wiki/b">равна</a> своей <a href="/wiki/c">сопряжённой</a> '
    "транспонированной матрице.</p>",
    "links-inside-a-japanese-sentence": '<p>エルミート行列とは、<a href="/wiki/a">複素</a>'
    '<a href="/wiki/b">正方行列</a>で、<a href="/wiki/c">随伴行列</a>と等しいものをいう。</p>',
    # one label again and again ("link", "Details") is no run of other stories' headlines
    "a-label-repeated": "".join(
        f'<p><a href="/works/{part}">Details</a></p>'
        for part in ("deck", "piles", "pontoon", "lights", "rails")
    ),
    # "up next", "à suivre" inside the story's own sentences: not labels of a teaser
    "up-next-in-a-sentence": "<p>Up next for the council is a vote on the cost of the "
    "temporary pontoon, which the fishermen say is too small for the larger boats.</p>",
    "a-suivre-in-a-sentence": "<p>À suivre, selon le maire, une réunion publique avec les "
    "pêcheurs sur le calendrier des travaux du quai nord.</p>",
    "table": "<table><tr><th>Phase</th><th>Start</th></tr><tr><td>Demolition</td><td>Feb 2027</td>"
    "</tr><tr><td>Piling</td><td>Sep 2027</td></tr><tr><td>Deck</td><td>2028</td></tr></table>",
}


@pytest.mark.parametrize("case", TEASER_CASES)
def test_teasers_are_removed_and_the_story_kept(case: str) -> None:
    article = process(page(TEASER_CASES[case]), url=URL)
    for paragraph in P:
        assert paragraph in article.text
    for headline in HEADLINES:
        assert headline.rstrip(".…") not in article.text
    assert "Read also" not in article.text and "Читайте" not in article.text
    assert article.removed.get("teaser", 0) >= 1


# a heading over other stories' headlines in the languages of news sites that use them
TEASER_HEADINGS = [
    "Тағы оқыңыз", "Ұқсас жаңалықтар", "İlginizi çekebilir", "Benzer Haberler",
    "Çok okunanlar", "Həmçinin oxuyun", "Shuningdek oʻqing", "Дагы окуңуз", "Citește și",
    "Lexo edhe", "Povezane vijesti", "Lue myös", "ასევე წაიკითხეთ", "Կարդացեք նաև",
    "আরও পড়ুন", "یہ بھی پڑھیں", "Soma pia", "Basahin din", "Berita berkaitan",
    "Lee también", "Llegiu també", "Também pode gostar", "Сондай-ақ оқыңыз", "Чытайце таксама",
    "Похожие новости", "Матеріали по темі", "Pročitajte i", "Preberite tudi",
    "Olvassa el ezt is", "Relaterade artiklar", "Mest lest", "Gerelateerde artikelen",
    "קראו גם", "الأكثر قراءة", "Đọc thêm", "猜你喜欢", "人気記事", "यो पनि पढ्नुहोस्",
    "ಇದನ್ನೂ ಓದಿ", "Mga kaugnay na balita",
]  # fmt: skip


@pytest.mark.parametrize("heading", TEASER_HEADINGS)
def test_teaser_labels_in_many_languages(heading: str) -> None:
    """As a heading over a list, and as an inline label before one linked headline (whose
    shape alone says nothing: a sentence-long title, not cut off)."""
    title = "The council approves the budget for the new ferry line to the islands"
    inline = f'<p>{heading}: <a href="/2026/11/9.html">{title}</a></p>'
    listed = f"<h3>{heading}</h3><ul>{links(*HEADLINES)}</ul>"
    article = process(page(inline, listed), url=URL)
    assert heading not in article.text and title not in article.text
    for headline in HEADLINES:
        assert headline.rstrip(".…") not in article.text
    for paragraph in P:
        assert paragraph in article.text


@pytest.mark.parametrize(
    "heading", ["Benzer Haberler", "Тағы оқыңыз", "Citește și", "Lee también", "קראו גם"]
)
def test_a_teaser_heading_over_the_story_s_own_paragraphs_stays(heading: str) -> None:
    """The words alone remove nothing: what follows must be other stories' headlines."""
    body = (
        "<p>The second part of the story goes on here, with its own long sentences about "
        "the quay, the ferries and the fishermen who wait for the work to end.</p>"
    )
    article = process(page(f"<h3>{heading}</h3>{body}"), url=URL)
    assert "The second part of the story goes on here" in article.text


@pytest.mark.parametrize("base", ["", URL])
def test_a_table_of_contents_is_no_list_of_teasers(base: str) -> None:
    """Its entries link to places on the page itself (``#piles``, or the page's own address
    with one, once links are absolute): the story's own sections, not other stories. A
    list of the same titles linking to other pages of the site still goes."""
    from refeed.clean import Trace
    from refeed.clean.teasers import remove_teasers
    from refeed.dom import parse_fragment

    sections = ("The rotten piles", "The fishermen's pontoon", "The cost and the timetable")

    def contents(href: str) -> str:
        items = "".join(f'<li><a href="{href}{i}">{t}</a></li>' for i, t in enumerate(sections))
        return f"<div><p>Contents</p><ul>{items}</ul><p>{P[0]}</p></div>"

    trace = Trace()
    remove_teasers(parse_fragment(contents(f"{base}#s")), URL, trace)
    assert not trace.removals
    remove_teasers(parse_fragment(contents("/2026/11/other-story-")), URL, trace)
    assert any(r.kind == "teaser" for r in trace.removals)


def test_a_paragraph_whose_words_are_mostly_links_is_no_box_of_teasers() -> None:
    """An encyclopaedia's "See also" line (itself a teaser label, and it goes) over a
    paragraph with a link in every clause: the paragraph is a sentence, judged whole."""
    paragraph = (
        'The <a href="/wiki/Quay">quay</a> was built in <a href="/wiki/1850">1850</a> by the '
        '<a href="/wiki/Board">harbour board</a>, and rebuilt after the <a href="/wiki/Flood">'
        'flood of 1910</a> with <a href="/wiki/Oak">oak</a> piles from the <a href="/wiki/'
        'Forest">northern forests</a>.'
    )
    note = '<div role="note">See also: <a href="/wiki/Names">Place names of the coast</a></div>'
    article = process(page(f"{note}<p>{paragraph}</p>"), url=URL)
    assert "rebuilt after the flood of 1910 with oak piles" in article.text
    assert story_kept(article.text)


@pytest.mark.parametrize("case", KEEP_CASES)
def test_hard_negatives_survive(case: str) -> None:
    from refeed.article import html_to_text
    from refeed.dom import parse_html

    expected = html_to_text(KEEP_CASES[case])
    article = process(page(KEEP_CASES[case]), url=URL)
    assert " ".join(expected.split()) in " ".join(article.text.split())
    assert parse_html("<html><body>x</body></html>") is not None


def test_strip_selectors_and_content_selector() -> None:
    html = page('<div class="promo">Subscribe today for one euro</div>')
    assert "Subscribe today" not in process(html, url=URL, rules=Rules(strip=(".promo",))).text
    only = process(html, url=URL, rules=Rules(content="article h1"))
    assert only.text == "Quay to be rebuilt"


def test_a_content_selector_keeps_chrome_cleaning_inside_its_container() -> None:
    """The selector picks the story; a share bar, a comment section and a hidden box inside
    it still go, the story's own paragraphs stay, and a selector that matches nothing
    leaves the whole automatic path (chrome removal included) to run."""
    story = (
        "<p>The harbour quay will be rebuilt over the next two summers, the council said.</p>"
        "<p>Work starts in May and the ferries move to the north pier meanwhile.</p>"
    )
    inside = (
        '<div class="share-buttons"><a href="/s">Share on Facebook</a> <a href="/t">Tweet</a></div>'
        '<section class="comments"><p>Anna: finally! They should have done this years ago, '
        "honestly, the quay has been falling apart since the nineties.</p></section>"
        '<div style="display:none">Hidden newsletter prompt for our readers</div>'
    )
    html = page(f'<div class="story-body">{story}{inside}</div>')
    article = process(html, url=URL, rules=Rules(content=".story-body"))
    assert "harbour quay will be rebuilt" in article.text
    assert "ferries move to the north pier" in article.text
    for gone in ("Share on Facebook", "finally!", "Hidden newsletter"):
        assert gone not in article.text
    kinds = {r.kind for r in article.removals}
    assert {"share", "comments", "hidden"} <= kinds
    fallback = process(html, url=URL, rules=Rules(content=".no-such-box"))
    assert "harbour quay will be rebuilt" in fallback.text
    assert "Share on Facebook" not in fallback.text


@pytest.mark.parametrize(
    "fragment",
    [
        # a class naming a menu on a formula inside a sentence (MathJax's context menu)
        '<p>When <span class="MathJax CtxtMenu_Attached_0">a = 1</span>, there are two '
        "solutions.</p>",
        '<p>Когда <span class="menu-attached">a = 1</span>, решений два.</p>',
        # nothing to follow or press: no menu, whatever the class says
        '<div class="formula-menu">E = mc²</div>',
    ],
)
def test_a_menu_class_is_no_chrome_inside_a_sentence_or_without_links(fragment: str) -> None:
    from refeed.clean import Trace, prepare
    from refeed.dom import parse_html

    trace = Trace()
    prepare(parse_html(page(fragment).decode()), URL, trace)
    assert [r for r in trace.removals if r.kind == "navigation"] == []
    menu = '<div class="formula-menu"><a href="/a">Home</a> <a href="/b">News</a></div>'
    trace = Trace()
    prepare(parse_html(page(menu).decode()), URL, trace)
    assert [r.text for r in trace.removals if r.kind == "navigation"] == ["Home News"]


def test_mathml_is_published_as_its_text_without_tex() -> None:
    """No sanitiser lets <math> through (foreign content); its words stay in the sentence."""
    formula = (
        "<math><mi>a</mi><mo>≠</mo><mn>0</mn>"
        '<annotation encoding="application/x-tex">a \\neq 0</annotation></math>'
    )
    article = process(page(f"<p>When {formula}, there are two solutions to it.</p>"), url=URL)
    assert "When a ≠ 0, there are two solutions to it." in " ".join(article.text.split())
    assert "neq" not in article.text and "<math" not in article.html


@pytest.mark.parametrize(
    "body",
    [
        "<body>\n  A page whose whole story is this one loose line of text.\n</body>",
        "<body>Words <b>in bold</b> and <a href='/x'>a link</a>, no block at all.</body>",
    ],
)
def test_a_story_of_bare_text_is_published_as_a_paragraph(body: str) -> None:
    article = process(f"<html><head><title>T</title></head>{body}</html>".encode(), url=URL)
    tree = parse_fragment(article.html)
    paragraphs = tree.findall(".//p")
    assert len(paragraphs) == 1, article.html
    assert " ".join(paragraphs[0].text_content().split()) == " ".join(article.text.split())


def test_a_story_with_paragraphs_gains_no_wrapper() -> None:
    article = process(page(), url=URL)
    tree = parse_fragment(article.html)
    assert not tree.xpath(".//p[.//p]") and len(tree.findall(".//p")) == len(P), article.html


def test_plain_text_goes_through_the_same_cleaner() -> None:
    text = "\n\n".join(P) + "\n\nRead also\n\n" + "\n\n".join(HEADLINES[1:4] + HEADLINES[1:2])
    article = process_text(text)
    assert article.text.split("\n\n") == P


def test_metadata_from_json_ld_and_meta() -> None:
    head = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "H", '
        '"datePublished": "2026-11-20T08:00:00Z", "author": {"name": "Ann Lee"}}</script>'
        '<meta property="og:image" content="/img/a.jpg">'
    )
    body = page().replace(b"<title>", head.encode() + b"<title>")
    article = process(body, url=URL)
    assert (article.title, article.author) == ("H", "Ann Lee")
    assert (
        article.published is not None
        and article.published.isoformat() == "2026-11-20T08:00:00+00:00"
    )
    assert article.image == "https://paper.example/img/a.jpg"


def test_lazy_images_become_real() -> None:
    story = (
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" data-src="/img/lazy.jpg" alt="a">'
        '<img class="x" src="/img/blank.gif"><noscript><img src="/img/nos.jpg"></noscript>'
    )
    article = process(page(f"<p>{story}</p>"), url=URL)
    assert 'src="https://paper.example/img/lazy.jpg"' in article.html
    assert 'src="https://paper.example/img/nos.jpg"' in article.html
    assert "data:image" not in article.html


@pytest.mark.parametrize(
    "vector",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        '<iframe src="https://evil.example"></iframe>',
        "<style>body{display:none}</style>",
        '<form action="https://evil.example"><input name=a></form>',
        '<p style="background:url(javascript:alert(1))">x</p>',
        '<a href="data:text/html,<script>alert(1)</script>">x</a>',
        '<svg onload="alert(1)"></svg>',
    ],
)
def test_sanitize_removes_active_content(vector: str) -> None:
    out = sanitize(f"<p>ok</p>{vector}").lower()
    for bad in (
        "<script",
        "onerror",
        "onload",
        "javascript:",
        "<iframe",
        "<style",
        "<form",
        "style=",
        "data:text",
    ):
        assert bad not in out
    assert sanitize(out) == out  # cleaning twice changes nothing


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=2000))
def test_process_never_crashes_on_arbitrary_markup(text: str) -> None:
    from refeed.errors import RefeedError

    try:
        article = process(
            ("<html><body><p>" + text + "</p></body></html>").encode("utf-8", "surrogatepass")
        )
    except RefeedError:
        return
    assert "<script" not in article.html.lower()


def test_a_heading_closed_with_another_level_ends_there_as_in_a_browser() -> None:
    from refeed.dom import parse_html

    page = "<html><body><h2>Deck</h3><div><p>Story</p><h3>Sub</h3></div></body></html>"
    root = parse_html(page)
    assert [(h.tag, h.text_content()) for h in root.iter("h2", "h3")] == [
        ("h2", "Deck"),
        ("h3", "Sub"),
    ]
    assert root.find(".//h2/div") is None


_HEADED = st.builds(lambda level, text: f"<h{level}>{text}</h{level}>", st.sampled_from("123456"), st.text(alphabet="ab <>/p", max_size=8))  # fmt: skip


@given(st.lists(st.one_of(_HEADED, st.sampled_from(["<p>x</p>", "text", "<H2 class=a>y</H2>"]))))
@settings(max_examples=200, deadline=None)
def test_well_formed_headings_are_left_as_they_are(parts: list[str]) -> None:
    from refeed.dom import _close_headings

    text = "".join(parts)
    assert _close_headings(text) == text


@given(st.lists(st.sampled_from(["<h2>", "</h2>", "<h3 id=x>", "</h3>", "x", "<p>", "</p>"])))
@settings(max_examples=200, deadline=None)
def test_only_the_level_of_an_end_tag_changes(tokens: list[str]) -> None:
    from refeed.dom import _close_headings

    text = "".join(tokens)
    fixed = _close_headings(text)
    assert len(fixed) == len(text)
    assert fixed.replace("h3", "h2") == text.replace("h3", "h2")


def test_a_processing_instruction_is_a_comment_to_the_first_angle_bracket() -> None:
    from refeed.dom import parse_html

    root = parse_html("<html><body><p>a</p> <?php echo 'x' ?> <p>b</p> <?left open")
    assert root.text_content().split() == ["a", "b"]  # one never closed runs to the end


_CALL_WORDS = [
    "Follow", "us", "on", "Twitter", "Facebook", "and", "Subscribe", "now", "to", "our",
    "newsletter", "Suscríbete", "Abonnez-vous", "Download", "the", "app", "Google Play",
    "Donate", "already a subscriber", "log in to continue", "UNTERSTÜTZEN SIE UNS", "Suscríbete",
    "how to cite", "ctrl+enter", "Jetzt abonnieren", "подпишитесь", "канал", "Telegram",
    "Sign up", "for", "boletín", "help us keep", "cómo citar", "Share", "on", "WhatsApp",
    "quay", "the harbour", ".", ",", "!", "続きを読む", "订阅",
]  # fmt: skip


@given(st.lists(st.sampled_from(_CALL_WORDS), max_size=12))
@settings(max_examples=500, deadline=None)
def test_the_quick_test_for_a_call_to_action_never_misses_one(words: list[str]) -> None:
    from refeed.clean import phrases

    for text in (" ".join(words), "".join(words), " ".join(words).upper()):
        badge = len(text.split()) <= 8 and bool(phrases.STORE_NAME.search(text))
        assert phrases.call_to_action(text) == (bool(phrases.CALL_TO_ACTION.search(text)) or badge)
