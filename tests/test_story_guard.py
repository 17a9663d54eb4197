"""Chrome removal never takes the story's own container: what its class, id or tag says
about the post (its author, a layout state, a page-wide form) does not make it chrome."""

from __future__ import annotations

import pytest

from conftest import DATA
from pages import STORY, URL, story_kept
from refeed.article import process
from refeed.clean import story_candidate
from refeed.clean.chrome import chrome_kind, role_words
from refeed.dom import parse_fragment, parse_html, text_of
from refeed.explain import explain

# more text than the story (which then holds under 40% of the page), mostly linked
SIDEBAR = "".join(
    f'<li><a href="/n/{i}.html">Sidebar story number {i}: the council votes on the budget '
    f"of the harbour and the new ferry line</a> <span>{i} hours ago</span></li>"
    for i in range(24)
)


def _page(story_box: str, *, body: str = "", around: str = "") -> bytes:
    lines = "<br>".join(STORY)  # no <p>: the story is lines of text, as older templates do
    return (
        f"<html><head><title>Quay</title></head><body {body}>"
        f"{story_box.format(story=lines)}"
        f'<aside class="widget-area"><ul>{SIDEBAR}</ul></aside>{around}'
        "<footer>(c) Paper</footer></body></html>"
    ).encode()


CONTAINERS = {
    "an ASP.NET form around the story": '<form id="aspnetForm" action="/x"><div>{story}</div></form>',
    "the post's author in its class": '<div class="post entry-author-jane-doe author-jane">{story}</div>',
    "an author id in its class": '<div class="hentry author-1234">{story}</div>',
    "a layout state in a wrapper's class": '<div class="site has-sidebar"><div class="content">{story}</div></div>',
    "a no-comments state": '<div class="post no-comments">{story}</div>',
}


@pytest.mark.parametrize("box", list(CONTAINERS))
def test_the_story_container_is_never_chrome(box: str) -> None:
    article = process(_page(CONTAINERS[box]), url=URL, content_type="text/html")
    for paragraph in STORY:
        assert paragraph in article.text, box
    assert "Sidebar story number" not in article.text


def test_a_sidebar_class_on_body_takes_nothing() -> None:
    article = process(
        _page('<div class="entry">{story}</div>', body='class="right-sidebar single-post"'),
        url=URL,
        content_type="text/html",
    )
    assert all(p in article.text for p in STORY)


@pytest.mark.parametrize(
    ("markup", "kind"),
    [
        ('<div class="author-box">Jane Doe writes about harbours.</div>', "byline"),
        ('<div class="entry-author-bio">Jane Doe writes about harbours.</div>', "byline"),
        ('<div class="post-author">Jane Doe</div>', "byline"),
        ('<div class="comment-list"></div>', "comments"),
        ('<div class="share-buttons"></div>', "share"),
        ('<div class="mobile-menu"></div>', "navigation"),
        ('<div class="modalwindow modalwindow_fscroll"></div>', "popup"),
    ],
)
def test_boxes_that_are_chrome_still_are(markup: str, kind: str) -> None:
    [el] = parse_fragment(markup)
    found = chrome_kind(el)
    assert found is not None and found[0] == kind


@pytest.mark.parametrize(
    "classes",
    ["entry-author-jane-doe", "author-jane", "author-1234", "has-comments", "is-sharing",
     "no-sidebar", "with-share-bar", "show-comments"],
)  # fmt: skip
def test_states_and_taxonomy_name_no_role(classes: str) -> None:
    [el] = parse_fragment(f'<div class="{classes}"></div>')
    assert chrome_kind(el) is None, role_words(el)


def test_a_pop_up_with_long_paragraphs_is_not_taken_for_the_story() -> None:
    popup = "".join(f"<p>{p} And more about the training programme.</p>" for p in STORY * 2)
    page = _page(
        '<div class="entry">{story}</div>',
        around=f'<div class="pum pum-overlay"><div class="pum-content">{popup}</div></div>',
    )
    article = process(page, url=URL, content_type="text/html")
    assert all(p in article.text for p in STORY)
    assert "training programme" not in article.text


@pytest.mark.parametrize(
    ("page", "kept"),
    [
        # the title ends at the first tag after it: the first line is the title then
        (b"<html><head><title>Quay " + STORY[0].encode() + b"<p>" + STORY[1].encode() + b"</p>", STORY[1]),
        (b"<title>" + STORY[0].encode() * 3, STORY[0][-60:]),
        (b"<html><frameset><frame src='/a'></frameset>" + STORY[0].encode() + b"</html>", STORY[0]),
        (f'<html><body class="comments" hidden><p>{STORY[0]}</p><p>{STORY[1]}</p></body></html>'.encode(), STORY[0]),
    ],
    ids=["an unclosed title", "nothing but a title", "a frameset", "a body named like chrome"],
)  # fmt: skip
def test_a_page_with_text_never_gives_an_empty_story(page: bytes, kept: str) -> None:
    article = process(page, url=URL, content_type="text/html")
    assert kept[:60] in article.text


def test_a_post_written_as_bullet_points_beats_its_caption_and_comments() -> None:
    """A weekly-notes post is nested lists; its only paragraphs are a caption and the
    comments. Once chrome removal took the comments, readability (counting paragraphs)
    kept the caption alone: the bullet points are the story (tests/data/README.md)."""
    page = (DATA / "notes-as-bullet-points.html").read_bytes()
    article = process(page, url="https://blog.example/2020/12/notes/", content_type="text/html")
    text = " ".join(article.text.split())
    for line in (
        "Background updater work is also proceeding",
        "We’re testing some changes to newtab story personalization",
        "Fixed a bug where search engines were being re-added on startup",
    ):
        assert line in text
    assert "Alan Goodale wrote" not in text and "Thank you for fixing Bug" not in text


LIVE = [
    "Kick-off at the Moustoir: both sides are cautious in the opening minutes of the match.",
    "The first corner of the game comes to nothing, the goalkeeper punches it clear.",
    "A free kick from the left is headed just wide of the post by the home captain.",
    "The visitors claim a penalty after a tackle in the box; the referee waves play on.",
    "Half-time: still goalless after a first half of few chances and many fouls.",
    "The home side make a first change, bringing on a winger for the tired striker.",
    "Goal! A low shot from the edge of the area beats the keeper at the near post.",
    "Full time: the home side hold on for a narrow win in front of their own crowd.",
]


def test_a_live_blog_whose_entries_are_boxes_of_bare_text_is_the_story() -> None:
    """Each entry is a box of its own (text, no <p>, beside its minute): together they
    are the story, not the match-facts box beside them."""
    entries = "".join(
        f'<div class="live-entry"><div class="live-entry-body"><div class="live-entry-title">'
        f'</div>{line}</div><div class="live-entry-time"><span>{5 * i}</span></div></div>'
        for i, line in enumerate(reversed(LIVE))
    )
    facts = (
        "Venue: the old harbour stadium, with its new stand opened this season for the "
        "supporters of both clubs. Referee: a first match at this level for him this year, "
        "after ten seasons in the second division. Kick-off at five in the afternoon, in "
        "front of a crowd of about fourteen thousand."
    )
    page = (
        "<html><head><title>Live</title></head><body><div class='match'>"
        f"<div class='facts'>{facts}<br><span>Weather: dry</span></div>"
        f"<div class='live'>{entries}</div></div></body></html>"
    ).encode()

    body = parse_html(page.decode()).find("body")
    candidate = story_candidate(body)
    assert candidate is not None and candidate.get("class") == "live"
    article = process(page, url=URL, content_type="text/html")
    for line in LIVE:
        assert line in article.text


def test_atomic_css_utilities_name_no_role() -> None:
    """``Mstart(137px)--modalMinWidth`` styles a box; it does not make it a pop-up."""
    [el] = parse_fragment('<div class="Cf Mstart(137px)--modalMinWidth D(n) md:hidden">x</div>')
    assert chrome_kind(el) is None
    [bar] = parse_fragment('<div class="share-bar P(10px)">x</div>')
    kind = chrome_kind(bar)
    assert kind is not None and kind[0] == "share"


def _with_dialog(dialog: str, outside: str) -> bytes:
    return (
        "<html><head><title>News</title></head><body>"
        f'<div class="listing">{outside}</div>{dialog}</body></html>'
    ).encode()


def test_a_story_opened_in_a_dialog_over_its_listing_is_the_story() -> None:
    story = "".join(f"<p>{p}</p>" for p in STORY)
    teasers = "".join(
        f'<div class="item"><a href="/n/{i}.html">Other story {i}</a><p>A short summary of '
        f"story number {i}, with a few words.</p></div>"
        for i in range(3)
    )
    page = _with_dialog(
        f'<div class="render-target-modal"><article>{story}</article></div>', teasers
    )
    candidate = story_candidate(parse_html(page.decode()).find("body"))
    assert candidate is not None and candidate.tag == "article"
    article = process(page, url=URL, content_type="text/html")
    for paragraph in STORY:
        assert paragraph in article.text


def test_a_cookie_dialog_is_never_the_story() -> None:
    story = "".join(f"<p>{p}</p>" for p in STORY)
    notice = (
        '<div class="cookie-modal"><p>We and our partners use cookies and similar '
        "technologies to store and access information on your device, to measure the "
        "audience of our site, to show you personalised advertising and content, and to "
        "develop and improve our products. You can accept or refuse them at any time.</p></div>"
    )
    article = process(_with_dialog(notice, f"<article>{story}</article>"), url=URL)
    for paragraph in STORY:
        assert paragraph in article.text
    assert "cookies" not in article.text


@pytest.mark.parametrize(
    ("role", "kind"),
    [("navigation", "navigation"), ("menubar", "navigation"), ("complementary", "navigation"),
     ("search", "navigation"), ("contentinfo", "boilerplate"), ("dialog", "popup"),
     ("alertdialog", "popup"), ("banner", None), ("main", None), ("article", None),
     ("presentation", None)],
)  # fmt: skip
def test_an_aria_role_names_chrome_where_class_names_say_nothing(role: str, kind: str) -> None:
    """Obfuscated class names (``css-1juwtqo``) say nothing; the ARIA role still does. A
    site's own header (``banner``) may hold the headline and the deck: never chrome."""
    [el] = parse_fragment(f'<div class="css-1juwtqo e13cq0nn0" role="{role}">x</div>')
    found = chrome_kind(el)
    assert (found[0] if found else None) == kind
    box = f'<div class="css-9x" role="{role}"><a href="/a">Home</a> <a href="/b">World</a></div>'
    article = process(_page('<div class="entry">{story}</div>', around=box), url=URL)
    assert story_kept(article.text)
    assert ("Home World" in article.text) == (kind is None)


def test_a_box_shown_only_on_paper_is_hidden_even_beside_a_list_like_it() -> None:
    """A print-only box (the page's own address, for a printout) is no part of what a
    reader sees; a utility prefix it shares with the list beside it ("u-") does not make it
    the rest of that list."""
    printed = (
        '<ul class="u-list-unstyled"><li><a href="/share">Share</a></li></ul>'
        '<div class="u-only-print"><h4>Page address</h4><ul class="u-list-unstyled">'
        f"<li>{URL}</li></ul></div>"
    )
    article = process(_page('<div class="entry">{story}' + printed + "</div>"), url=URL)
    assert story_kept(article.text)
    assert "Page address" not in article.text and URL not in article.text
    kinds = {(r.kind, r.rule) for r in article.removals}
    assert ("hidden", "hidden element (hidden attribute, display:none or class)") in kinds


def test_a_column_of_links_one_per_line_beside_a_table_story_goes() -> None:
    """An old table layout: a cell of <br>-separated section links beside the story's cell
    (bare readability keeps both). The <br> separates the run's blocks, it ends none; a
    story's own lines with a link inside a sentence stay."""
    column = "".join(f'<a href="/section/{i}">Section {i}</a><br>' for i in range(12))
    sources = "<br>".join(
        f'The council published <a href="/files/{i}">its report number {i}</a> on Monday.'
        for i in range(4)
    )
    story = "<br><br>".join(STORY)
    page = (
        "<html><head><title>Quay</title></head><body><table><tr>"
        f'<td width="150">{column}</td><td><b>Quay to be rebuilt</b><br><br>{story}'
        f"<br><br>{sources}</td></tr></table></body></html>"
    ).encode()
    article = process(page, url=URL, content_type="text/html")
    assert story_kept(article.text)
    assert "Section 3" not in article.text
    assert "its report number 2 on Monday" in " ".join(article.text.split())


# a second version of a story, hidden beside the one shown (an older draft, a version for
# another screen size), in several languages and scripts
HIDDEN_VERSIONS = {
    "en": "Draft version of the story that the editors left in the page for a later update.",
    "ru": "Черновик этой статьи, который редакция оставила на странице для будущего обновления.",
    "de": "Entwurf des Artikels, den die Redaktion für eine spätere Fassung im Quelltext ließ.",
    "ja": "編集部が後の更新のためにページに残したこの記事の下書きです。" * 2,
}


@pytest.mark.parametrize("language", sorted(HIDDEN_VERSIONS))
def test_a_hidden_second_story_beside_the_shown_one_goes(language: str) -> None:
    draft = "".join(f"<p>{HIDDEN_VERSIONS[language]} {i}. {STORY[i]}</p>" for i in range(3))
    shown = "".join(f"<p>{p}</p>" for p in STORY)
    page = (
        "<html><head><title>Quay</title></head><body><article><h1>Quay</h1>"
        f'<div style="visibility: hidden">{draft}</div><h2>The plan</h2><div>{shown}</div>'
        "</article></body></html>"
    ).encode()
    article = process(page, url=URL, content_type="text/html")
    assert story_kept(article.text)
    assert HIDDEN_VERSIONS[language][:30] not in article.text


def test_a_page_a_script_reveals_whole_keeps_its_story() -> None:
    """Hidden until its fonts load (``visibility: hidden`` on the page's wrapper): there is
    no visible story beside it, so the hidden one is the story."""
    shown = "".join(f"<p>{p}</p>" for p in STORY)
    page = (
        '<html><head><title>Quay</title></head><body><div id="page" style="visibility:hidden">'
        f"<article><h1>Quay to be rebuilt</h1>{shown}</article></div>"
        "<footer>(c) Paper</footer></body></html>"
    ).encode()
    assert story_kept(process(page, url=URL, content_type="text/html").text)


def test_the_hidden_rest_of_a_story_a_button_opens_is_kept() -> None:
    """One visible paragraph, the rest hidden behind "Read more": the visible part is no
    story of its own, so the hidden rest is not a second version of it."""
    rest = "".join(f"<p>{p}</p>" for p in STORY[1:])
    page = (
        "<html><head><title>Quay</title></head><body><article><h1>Quay to be rebuilt</h1>"
        f'<p>{STORY[0]}</p><div class="story-rest" style="display:none">{rest}</div>'
        "<button>Read more</button></article><footer>(c) Paper</footer></body></html>"
    ).encode()
    assert story_kept(process(page, url=URL, content_type="text/html").text)


RU_STORY = [
    "Администрация порта во вторник подтвердила, что северный причал будет перестроен в "
    "ближайшие три года, а стоимость работ чиновники оценивают примерно в сорок миллионов.",
    "Инженеры выяснили, что деревянные сваи под причалом сгнили намного быстрее, чем "
    "ожидалось, и после весеннего паводка тяжёлым машинам въезд туда закрыт.",
    "Рыбаки, которые выгружают у причала большую часть улова, на время работ переберутся "
    "на временный понтон на южной стороне, сообщили в администрации порта.",
]


def _in_an_open_menu(story: list[str]) -> bytes:
    """A template whose menu's last item is never closed: the parser puts the headline
    and the story inside that item, inside the list of section links."""
    items = "".join(
        f'<li><a href="/{w}">{w.title()}</a></li>' for w in ("sport", "culture", "politics")
    )
    paragraphs = "".join(f"<p>{p}</p>" for p in story)
    return (
        f"<html><head><title>Quay</title></head><body><header><nav><ul>{items}"
        f'<li><a href="/science">Science</a><h1>The quay</h1>{paragraphs}'
        "<footer>(c) Paper</footer></body></html>"
    ).encode()


@pytest.mark.parametrize("story", [STORY, RU_STORY], ids=["en", "ru"])
def test_a_story_the_cleaning_left_nothing_of_comes_back_by_the_last_resort(
    story: list[str],
) -> None:
    page = _in_an_open_menu(story)
    article = process(page, url=URL, content_type="text/html")
    assert all(p in article.text for p in story)
    assert article.chosen_by is not None and "last resort" in article.chosen_by
    assert explain(page, url=URL, content_type="text/html").article.text == article.text


def test_the_last_resort_gives_no_chrome_for_a_story() -> None:
    # the template's chrome is all the page has: nothing (the feed's summary then)
    # beats publishing a skip link and a menu as the story
    page = (
        b"<html><body><header><a href='#main'>Skip to content</a><nav><ul>"
        b"<li><a href='/sport'>Sport</a><li><a href='/culture'>Culture</a>"
        b"<li><a href='/science'>Science</a>"
        b"<li><a href='/politics'>Politics and the economy</a>"
        b"<p>Edition: International</p><p>Weather in the city: 12 degrees, light rain</p>"
        b"</body></html>"
    )
    article = process(page, url=URL, content_type="text/html")
    assert article.text == ""


HOW_TO = [
    "Choose a quiet corner of the garden that gets sun in the morning and shade after lunch, "
    "since the young plants burn easily in the afternoon heat of late spring.",
    "Dig the bed to the depth of a spade, take out the stones and the roots of weeds, and work "
    "two buckets of garden compost into every square metre of soil.",
    "Sow the seeds in shallow rows a hand's width apart, cover them with a thin layer of fine "
    "soil, and water them gently with a can that has a rose on its spout.",
    "Thin the seedlings when they have two true leaves, keeping the strongest one every ten "
    "centimetres, and put the thinnings in a salad rather than on the compost.",
    "Water the bed in the evening during dry spells, soaking the soil rather than sprinkling "
    "it, so that the roots grow down instead of staying near the surface.",
    "Pick the leaves from the outside of each plant as soon as they are big enough to eat, "
    "and the plants will go on growing new ones from the centre for weeks.",
]


def test_a_story_cut_into_boxes_is_taken_whole() -> None:
    """A how-to whose steps each sit in a box of their own (no class names to go by): the
    densest box is one step, the story is the box around all of them."""
    steps = "".join(
        f"<span><h3>Step {i + 1}</h3><div><div><p>{step}</p></div>"
        f'<figure><img src="/s{i}.jpg"></figure></div></span>'
        for i, step in enumerate(HOW_TO)
    )
    popular = "".join(
        f'<li><a href="/p/{i}.html">Another garden story {i}</a></li>' for i in range(8)
    )
    page = (
        "<html><head><title>Lettuce</title></head><body><div><div><article>"
        f"<h1>How to grow lettuce</h1>{steps}</article></div>"
        f"<div><h3>Popular</h3><ul>{popular}</ul></div></div></body></html>"
    ).encode()
    article = process(page, url=URL, content_type="text/html")
    assert all(step in article.text for step in HOW_TO)
    assert "Another garden story" not in article.text


def test_a_story_of_its_own_size_takes_in_no_comments_beside_it() -> None:
    # a story long enough to be whole, and readers' comments of a like size in boxes
    # beside it, none of them named: the story's box is the candidate, not what holds both
    story = "".join(f"<p>{p}</p>" for p in STORY + HOW_TO[:2])  # over 1,000 characters
    comment = (
        "<div><b>reader{n}</b> <span>2 days ago</span><p>I have lived by this quay all my "
        "life and I can tell you the piles were rotten twenty years ago, everybody knew it "
        "and nobody on the council wanted to spend the money before the floods.</p></div>"
    )
    body = parse_html(
        f"<html><body><div><div>{story}</div>"
        + "".join(comment.format(n=n) for n in range(6))
        + "</div></body></html>"
    ).find("body")
    candidate = story_candidate(body)
    assert candidate is not None
    assert STORY[0] in text_of(candidate)
    assert "reader" not in text_of(candidate)


def test_a_listing_s_cards_are_not_one_story() -> None:
    # each card a link around its summary: the densest is a card, and a card is no part
    cards = "".join(
        f'<a href="/n/{i}.html"><h3>Story {i}</h3><p>The summary of story number {i}, about '
        "the harbour, the ferries and the council, in two lines of a listing.</p></a>"
        for i in range(8)
    )
    body = parse_html(f"<html><body><section>{cards}</section></body></html>").find("body")
    candidate = story_candidate(body)
    assert candidate is not None and candidate.tag != "section"


def test_a_notice_beside_a_story_cut_into_boxes_takes_in_the_page_around_neither() -> None:
    """An unnamed notice as long as one of the story's boxes (an ad blocker's plea),
    elsewhere on the page: the story's boxes are taken whole, the page around both not."""
    boxes = "".join(f"<div><p>{step}</p></div>" for step in HOW_TO[:3])
    notice = (
        "<div><div><p>You have turned on an ad blocker. That is why our site cannot be "
        "paid for by advertising, and we ask you to switch it off for this site, or to "
        "take out a subscription instead.</p></div></div>"
    )
    body = parse_html(
        f"<html><body><div><div><article><h1>Lettuce</h1><div>{boxes}</div></article></div>"
        f"{notice}</div></body></html>"
    ).find("body")
    candidate = story_candidate(body)
    assert candidate is not None
    assert all(step in text_of(candidate) for step in HOW_TO[:3])
    assert "ad blocker" not in text_of(candidate)
