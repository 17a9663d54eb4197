"""A slideshow's slides beside the story go; a photo story's slides, dates and fractions stay."""

from __future__ import annotations

import pytest

from pages import STORY, URL, story_kept
from refeed.article import process

# slide captions in several languages and scripts: each is long enough to read as prose
CAPTIONS = {
    "en": "The club's revenues dipped by almost nine per cent in the year to June, after "
    "broadcasting and sponsorship deals dried up at the end of the season.",
    "ru": "Выручка клуба за год снизилась почти на девять процентов: после окончания сезона "
    "телевизионные и спонсорские контракты перестали приносить прежние деньги.",
    "de": "Die Einnahmen des Vereins sanken im Geschäftsjahr um fast neun Prozent, nachdem "
    "Fernseh- und Sponsorenverträge am Ende der Saison ausgelaufen waren.",
    "zh": "俱乐部本财年收入下降了近百分之九，赛季结束后转播和赞助合同相继到期，球队面临新的财务压力。"
    * 2,
}


def _slides(caption: str, count: int, *, counters: list[str] | None = None) -> str:
    counters = counters or [f"{k}/{count}" for k in range(1, count + 1)]
    return "".join(
        f'<li><h2><span class="counter">{counter}</span> Slide title {i}</h2>'
        f"<p>{caption} ({i})</p></li>"
        for i, counter in enumerate(counters)
    )


def _page(inside: str) -> bytes:
    story = "".join(f"<p>{p}</p>" for p in STORY)
    return (
        '<html><head><title>Quay</title></head><body><div class="content">'
        f"<h1>Quay to be rebuilt</h1>{story}{inside}</div>"
        "<footer>(c) Paper</footer></body></html>"
    ).encode()


@pytest.mark.parametrize("language", sorted(CAPTIONS))
def test_a_slideshow_beside_the_story_goes(language: str) -> None:
    gallery = (
        f'<div class="gallery"><h2>In pictures</h2><ul>{_slides(CAPTIONS[language], 12)}</ul></div>'
    )
    article = process(_page(gallery), url=URL, content_type="text/html")
    assert story_kept(article.text)
    assert CAPTIONS[language][:20] not in article.text
    rules = {(r.kind, r.rule) for r in article.removals}
    assert ("caption", "a slideshow's captions (slides counted k/N)") in rules


def test_a_photo_story_keeps_its_slides() -> None:
    """The slides are the story: nothing beside them holds one."""
    page = (
        "<html><head><title>In pictures</title></head><body><article><h1>The year in pictures</h1>"
        f"<ul>{_slides(CAPTIONS['en'], 6)}</ul></article></body></html>"
    ).encode()
    text = process(page, url=URL, content_type="text/html").text
    assert text.count(CAPTIONS["en"][:40]) == 6


def test_a_list_of_dates_is_no_slideshow() -> None:
    """Day/month dates ("10/11", "9/11", "9/11") go down and repeat: no slides."""
    dated = _slides(CAPTIONS["en"], 11, counters=["10/11", "9/11", "9/11", "8/11"])
    text = process(_page(f"<ul>{dated}</ul>"), url=URL, content_type="text/html").text
    assert story_kept(text)
    assert text.count(CAPTIONS["en"][:40]) == 4


def test_fractions_in_a_recipe_stay() -> None:
    rows = "".join(
        f"<li><span>{amount}</span> cup of {food}, sifted twice and kept cold until used</li>"
        for amount, food in (("1/2", "flour"), ("1/3", "sugar"), ("1/4", "butter"))
    )
    text = process(_page(f"<ul>{rows}</ul>"), url=URL, content_type="text/html").text
    assert "1/3 cup of sugar" in " ".join(text.split())
