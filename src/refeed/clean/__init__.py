"""Remove what is not the story: the source's strip rules, page chrome, teasers, boilerplate lines.

Runs twice in the article path: :func:`prepare` on the whole page before the story is
chosen (so that teaser lists and chrome cannot pull the choice their way), and
:func:`clean_content` on the chosen story. Every removal is recorded in a
:class:`~refeed.clean.trace.Trace` with its kind and rule. One idea per module:

- :mod:`~refeed.clean.chrome`: template parts (nav, share bars, comments, pop-ups, ads);
- :mod:`~refeed.clean.teasers`: other stories' headlines, listed or inline;
- :mod:`~refeed.clean.slideshow`: a gallery's slides beside the story;
- :mod:`~refeed.clean.lines`: captions, credits, bylines, ad labels, calls to action;
- :mod:`~refeed.clean.phrases`: the multilingual words they read;
- :mod:`~refeed.clean.shape`: how a block looks (links, length, sentence or headline).

Sanitising for feed readers is :mod:`refeed.sanitize`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from lxml.html import HtmlElement

from refeed.clean.chrome import remove_chrome, story_candidate
from refeed.clean.lines import remove_lines
from refeed.clean.shape import BLOCKS
from refeed.clean.slideshow import remove_slideshows
from refeed.clean.teasers import remove_teasers
from refeed.clean.trace import Trace
from refeed.dom import remembering_text, text_of

__all__ = [
    "Trace",
    "clean_content",
    "prepare",
    "prepare_selected",
    "story_candidate",
    "strip_selectors",
]


def strip_selectors(root: HtmlElement, selectors: Iterable[str], trace: Trace) -> None:
    """Remove every element matching one of the source's ``strip`` selectors."""
    for selector in selectors:
        for el in root.cssselect(selector):
            trace.drop(el, "strip", f"config strip selector {selector!r}")


def prepare(root: HtmlElement, url: str, trace: Trace) -> HtmlElement | None:
    """Remove page chrome and teaser lists from the whole page before extraction.

    The likeliest story container (:func:`story_candidate`, found first) and what holds
    it stay; it is returned (None: the page has no text), for the second candidate.
    """
    body = root.find("body")
    if body is None:
        return None
    with remembering_text():
        story = story_candidate(body)
        remove_chrome(body, trace, story)
        remove_slideshows(body, trace, story)
        remove_teasers(body, url, trace)
    return story


def prepare_selected(content: HtmlElement, trace: Trace) -> None:
    """Remove page chrome inside the container a ``content`` selector chose (a share bar,
    a comment section or a hidden box inside the story); the container itself stays."""
    with remembering_text():
        remove_chrome(content, trace, content)


def clean_content(
    content: HtmlElement, url: str, trace: Trace, *, titles: Sequence[str] = ()
) -> None:
    """Remove teasers, boilerplate lines and empty leftovers from the chosen story."""
    with remembering_text():
        remove_teasers(content, url, trace)
        remove_lines(content, trace, titles=titles)
        for el in list(content.iter(*BLOCKS)):
            if (
                el is not content
                and not text_of(el)
                and el.find(".//img") is None
                and el.find(".//table") is None
            ):
                trace.drop(el, "empty", "empty block")
