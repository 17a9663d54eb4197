"""Short boilerplate lines inside the story: captions and credits, bylines and date
lines, advertising labels, calls to follow, subscribe or donate, and the title again.

Each rule looks at one leaf block (a paragraph or line with no block inside it) that is
short; a story's own paragraphs are longer than any of these limits, and headings are
only ever removed as a repeated title.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache
from itertools import pairwise
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from refeed.clean import phrases
from refeed.clean.shape import BLOCKS, HEADINGS, LINE_BLOCKS, SENTENCE_END, is_leaf_block, text_key
from refeed.clean.trace import Trace
from refeed.dom import forget_text, name_words, text_of

MAX_CAPTION_CHARS = 100  # a longer caption tells part of the story
MAX_LINE_CHARS = 300
MAX_BYLINE_CHARS = 80
_MIN_ALT_KEY = 8
_CAPTION_WORDS = frozenset(
    ("caption", "captions", "figcaption", "credit", "credits", "imgcaption", "wpcaptiontext",
     "photocredit", "imagecredit", "copyright", "legend", "legende", "bildunterschrift")
)  # fmt: skip
_DATE = re.compile(
    r"\b(\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\d{1,2}:\d{2}|\d{1,2}\.?\s+\w{3,10}\.?\s+\d{4}|"
    r"\w{3,10}\.?\s+\d{1,2},?\s+\d{4})\b"
)
_UPDATED = re.compile(
    r"\b(last updated|updated|aktualisiert|mis à jour|actualizado|atualizado|aggiornato|"
    r"zaktualizowano|обновлено|آخر تحديث)\b",
    re.IGNORECASE,
)
_META_LABEL = re.compile(
    r"^[\W_]*(category|categories|tags?|filed under|posted in|published|updated|"
    r"kategorie|schlagwörter|veröffentlicht|aktualisiert|stand|catégories?|publié le|mis à jour|"
    r"categoría|etiquetas|publicado|actualizado|kategoria|tagi|opublikowano|рубрика|теги|тэги|"
    r"опубликовано|обновлено|news date|date)\s*:",
    re.IGNORECASE,
)


def remove_lines(content: HtmlElement, trace: Trace, *, titles: Sequence[str] = ()) -> None:
    """Remove the short boilerplate lines of the chosen story.

    A heading opening the story goes as the title again only when the page's head says
    so (*titles*: its JSON-LD headline, og:title or ``<title>``), not because it is the
    first ``<h1>``.
    """
    _remove_more_links(content, trace)
    _remove_repeats(content, trace)
    _remove_contact_block(content, trace)
    _remove_comment_section(content, trace)
    _remove_rights_notice(content, trace)
    title_keys = {text_key(t) for t in titles} - {""}
    if _only_the_title(text_of(content), title_keys):
        title_keys = set()  # the title is all there is: keep it
    entry_times = _entry_times(content)
    for el in list(content.iter(*BLOCKS, "span", "small")):
        if el is content or el.getparent() is None or el in entry_times:
            continue
        if el.tag == "figcaption" or name_words(el) & _CAPTION_WORDS:
            text = text_of(el)
            if len(text) <= MAX_CAPTION_CHARS:
                trace.drop(el, "caption", "image caption or credit", text)
            continue
        if el.tag not in BLOCKS or not is_leaf_block(el):
            continue
        text = text_of(el)
        if not text or len(text) > MAX_LINE_CHARS:
            continue
        if el.tag in HEADINGS:  # a heading, even right under a picture, is no caption
            if text_key(text) in title_keys and _opens(content, el):
                trace.drop(el, "title", "the article's title again", text)
            continue
        if _caption_after_picture(el, text):
            trace.drop(el, "caption", "a caption closing the picture's box", text)
            continue
        for kind, rule, test in _LINE_RULES:
            if test(el, text):
                trace.drop(el, kind, rule, text)
                break
        else:
            if _orphan_label(el, text):
                trace.drop(el, "navigation", "a label with nothing under it", text)


def _only_the_title(text: str, title_keys: set[str]) -> bool:
    if not title_keys:
        return False
    # the key of a text's start is the start of its key: a start whose key is longer than
    # every title's settles it without reading a long story to its end
    longest = max(map(len, title_keys))
    if len(text_key(text[: 2 * longest + 64])) > longest:
        return False
    return text_key(text) in title_keys


def _entry_times(content: HtmlElement) -> set[HtmlElement]:
    """The times of a live blog's entries: three or more date lines, each right above a
    paragraph of prose. They are the story's own, not its dateline."""
    leaves = [el for el in content.iter(*LINE_BLOCKS) if el is not content and is_leaf_block(el)]
    times = set()
    for el, following in pairwise(leaves):
        text = text_of(el)
        if (
            text
            and _is_date_line(el, text)
            and len(text_of(following).split()) >= _ENTRY_WORDS
            and SENTENCE_END.search(text_of(following))
        ):
            times.add(el)
    return times if len(times) >= _MIN_ENTRIES else set()


_MIN_ENTRIES = 3
_ENTRY_WORDS = 6


def _remove_contact_block(content: HtmlElement, trace: Trace) -> None:
    """A press release's closing contact block: a "Contact:" label, then only short lines
    to the end of the story, giving an e-mail address or a telephone number."""
    leaves = [el for el in content.iter(*LINE_BLOCKS) if el is not content and is_leaf_block(el)]
    for i, el in enumerate(leaves):
        if not phrases.CONTACT_LABEL.match(text_of(el)):
            continue
        rest = [leaf for leaf in leaves[i + 1 :] if text_of(leaf)]
        texts = [text_of(leaf) for leaf in rest]
        if (
            rest
            and sum(map(len, texts)) <= _MAX_CONTACT_CHARS
            and all(len(text) <= MAX_BYLINE_CHARS * 2 for text in texts)
            and any(phrases.CONTACT_DETAIL.search(text) for text in texts)
        ):
            for block in (el, *rest):
                trace.drop(block, "boilerplate", "a press release's contact block")
            return


_MAX_CONTACT_CHARS = 800


def _remove_comment_section(content: HtmlElement, trace: Trace) -> None:
    """A comment section without a name that says so: a "Comments" label ("3 Kommentare",
    "2 thoughts on ...") and what follows it to the end of the story, when the story
    before it holds more text than all of that (the story comes first, its readers'
    comments after)."""
    total = len(text_of(content))
    for el in content.iter(*LINE_BLOCKS):
        if el is content or not is_leaf_block(el):
            continue
        text = text_of(el)
        if len(text) > _MAX_LABEL_CHARS or not phrases.COMMENTS_LABEL.match(text):
            continue
        if el.tag in _CELLS or any(a.tag in _CELLS for a in el.iterancestors()):
            continue  # a table's column, a list's item: not a section's label
        after = _following_to_the_end(el, content)
        shown = sum(len(text_of(block)) for block in after)
        if after and shown and total - shown - len(text) > shown:
            trace.drop(el, "comments", "a comment section, by its label", text)
            for block in after:
                trace.drop(block, "comments", "a comment section, by its label")
        return  # the first label decides


_MAX_LABEL_CHARS = 80


def _remove_rights_notice(content: HtmlElement, trace: Trace) -> None:
    """The site's rights notice closing the story ("© 2026 The Paper. All rights reserved.
    Reproduction only with a link."): the last lines, from the end, that open with the
    sign or say the rights are reserved, each short. Only the end is read: a story's own
    sentence about copyright is a longer one, or has the story after it."""
    leaves = [el for el in content.iter(*LINE_BLOCKS) if el is not content and is_leaf_block(el)]
    for el in reversed(leaves):
        text = text_of(el)
        if not text:
            continue
        if len(text) > _MAX_NOTICE_CHARS or not (
            phrases.RIGHTS_SIGN.match(text) or phrases.RIGHTS_RESERVED.search(text)
        ):
            return
        trace.drop(el, "boilerplate", "the site's rights notice", text)


_MAX_NOTICE_CHARS = 250


def _following_to_the_end(el: HtmlElement, content: HtmlElement) -> list[HtmlElement]:
    """The siblings after *el*, then those after its parent, and so on up to *content*."""
    following: list[HtmlElement] = []
    node = el
    while node is not content and node.getparent() is not None:
        following.extend(s for s in node.itersiblings() if isinstance(s, HtmlElement))
        node = node.getparent()
    return following


def _remove_repeats(content: HtmlElement, trace: Trace) -> None:
    """A label said three times or more at the end of its box (a gallery's title on
    every slide), and runs of bare numbers (a gallery's or a pager's slide numbers).

    Only paragraphs that are not sentences count, and not when any of them heads
    something: a table's cells, a list's items, a quote's signature, a label over each
    of a page's sections and an answer given to many questions may well repeat. A line
    without letters ("* * *") is a separator and stays, and so does a numbered heading
    with its section between the numbers.
    """
    leaves = [
        el
        for el in content.iter("p", "div")
        if el is not content
        and is_leaf_block(el)
        and len(text_of(el)) <= _MAX_REPEAT_CHARS
        and not SENTENCE_END.search(text_of(el))
        and not any(a.tag in _CELLS for a in el.iterancestors())
    ]
    keys = [text_key(text_of(el)) for el in leaves]
    counts = Counter(keys)
    labels: dict[str, list[HtmlElement]] = {}
    for el, key in zip(leaves, keys, strict=True):
        if el.getparent() is None or not key:
            continue
        text = text_of(el)
        if counts[key] >= _MIN_REPEATS and any(c.isalpha() for c in text):
            labels.setdefault(key, []).append(el)
        elif text.isdigit() and any(_bare_number(n) for n in (el.getprevious(), el.getnext())):
            trace.drop(el, "navigation", "a run of bare numbers (slides or pages)", text)
    for repeats in labels.values():
        if not any(_heads_something(el) for el in repeats):  # not a label over each section
            for el in repeats:
                trace.drop(el, "boilerplate", f"the same line {len(repeats)} times", text_of(el))


_MAX_REPEAT_CHARS = 120
_MIN_REPEATS = 3
_CELLS = frozenset(("td", "th", "li", "dd", "dt", "blockquote"))


def _heads_something(el: HtmlElement) -> bool:
    """The next block with text in the line's box is something else than the line again."""
    for following in el.itersiblings():
        key = text_key(text_of(following))
        if key:
            return key != text_key(text_of(el))
    return False


def _bare_number(el: HtmlElement | None) -> bool:
    return el is not None and el.tag in BLOCKS and text_of(el).isdigit()


def _remove_more_links(content: HtmlElement, trace: Trace) -> None:
    """ "[read more]" links at the end of a paragraph, and the brackets around them."""
    for link in list(content.iter("a")):
        text = text_of(link)
        if link.getparent() is None or not phrases.MORE_OR_BACK.match(text):
            continue
        wrapper = link.getparent()
        trace.drop(link, "navigation", "a 'more' or 'back' link", text)
        while (
            wrapper is not None
            and wrapper is not content
            and wrapper.tag not in BLOCKS
            and not text_key(text_of(wrapper))
        ):
            parent = wrapper.getparent()
            forget_text(wrapper.iterancestors())
            wrapper.drop_tree()
            wrapper = parent


def _orphan_label(el: HtmlElement, text: str) -> bool:
    """ "More information:" followed by nothing, or straight by another such label."""
    if len(text) > 40 or not text.endswith(":"):
        return False
    following = el.getnext()
    while following is not None and not text_of(following):
        following = following.getnext()
    if following is None:
        return True
    next_text = text_of(following)
    return len(next_text) <= 40 and next_text.endswith(":")


def _caption_after_picture(el: HtmlElement, text: str) -> bool:
    """A short line that is not a sentence, right after a picture (alone, or in its link)
    and closing their box: the picture's caption."""
    if not _caption_shaped(text) or el.find(".//img") is not None:
        return False
    previous = el.getprevious()
    if previous is None or text_of(previous) or (el.tail or "").strip():
        return False
    if previous.tag != "img" and len(list(previous.iter("img"))) != 1:
        return False
    return not any(text_of(following) for following in el.itersiblings())


def _caption_shaped(text: str) -> bool:
    return 0 < len(text) <= MAX_CAPTION_CHARS and not SENTENCE_END.search(text)


def _opens(content: HtmlElement, el: HtmlElement) -> bool:
    """Nothing with text comes before ``el`` in the story."""
    for other in content.iter():
        if other is el:
            return True
        if other.text and other.text.strip():
            return False
    return False


def _is_ad(el: HtmlElement, text: str) -> bool:
    return bool(phrases.AD_LABEL.match(text)) or (
        len(text) <= 200 and bool(phrases.AD_DISCLOSURE.match(text))
    )


def _is_alt_text(el: HtmlElement, text: str) -> bool:
    """A line repeating the picture next to it (its alt or title): a caption."""
    key = text_key(text)
    if len(key) < _MIN_ALT_KEY:
        return False  # "=)" next to a smiley says nothing
    neighbours = (el.getprevious(), el.getparent())
    for neighbour in neighbours:
        if neighbour is None:
            continue
        for img in neighbour.iter("img"):
            if key in _picture_keys(img.get("alt") or "", img.get("title") or ""):
                return True
    return False


@lru_cache(maxsize=1024)
def _picture_keys(alt: str, title: str) -> tuple[str, str]:
    """The keys of a picture's alt and title (asked of every line beside it)."""
    return text_key(alt), text_key(title)


def _is_credit(el: HtmlElement, text: str) -> bool:
    return len(text) <= MAX_CAPTION_CHARS and bool(phrases.CREDIT.search(text))


def _is_byline(el: HtmlElement, text: str) -> bool:
    if len(text) > MAX_BYLINE_CHARS or len(text.split()) > 10 or text.endswith("."):
        return False
    return bool(phrases.BYLINE.match(text) or phrases.AGENCY.match(text))


def byline_author(text: str) -> str | None:
    """The name in a byline ("By Jane Doe, Harbour correspondent" gives "Jane Doe")."""
    match = phrases.BYLINE.match(text)
    if match is None:
        return None
    name = _NAME_END.split(text[match.end() - 1 :], maxsplit=1)[0].strip()
    return name or None


_NAME_END = re.compile(r"\s*(?:[,|•·/(]|\s[-–—]\s)")


def _is_date_line(el: HtmlElement, text: str) -> bool:
    if len(text) > 120:
        return False
    if len(text) <= 60 and (
        _META_LABEL.match(text) or (_UPDATED.search(text) and _DATE.search(text))
    ):
        return True
    words = len(text.split())
    times = [text_of(t) for t in el.iter("time")]
    if times and words <= 10:
        return True
    if times and _META_FIELDS.search(text) and not SENTENCE_END.search(text):
        # "Le Monde | <time> • Updated on <time> | By": dates and a few words of label
        return _words_beside(text, times) <= _MAX_WORDS_BESIDE_TIMES
    rest = _DATE.sub(" ", text).split()
    return words <= 8 and len(rest) <= 3 and len(rest) < words and not SENTENCE_END.search(text)


_MAX_WORDS_BESIDE_TIMES = 8
_META_FIELDS = re.compile(r"\s[|•·—/]\s")  # fields of a metadata line, set apart


def _words_beside(text: str, times: list[str]) -> int:
    """The words of *text* outside its ``<time>`` elements (not "|" or "•")."""
    for time in times:
        text = text.replace(time, " ", 1)
    return sum(1 for word in text.split() if any(c.isalpha() for c in word))


def _is_legal_notice(el: HtmlElement, text: str) -> bool:
    """A short notice whose links (two or more) all go to the site's own rules: its terms,
    privacy policy, community guidelines ("by commenting you agree to our terms of use and
    privacy policy"). Told by the addresses, which read the same in any language."""
    hrefs = [a.get("href", "") for a in el.iter("a")]
    return len(hrefs) >= _LEGAL_LINKS and all(
        _LEGAL_PAGE.match(urlsplit(href).path.rstrip("/").rsplit("/", 1)[-1]) for href in hrefs
    )


_LEGAL_LINKS = 2
# the last part of the address of a site's rules (a news story's address says more)
_LEGAL_PAGE = re.compile(
    r"^(privacy|privacy[-_]?policy|privacy[-_]?notice|terms|terms[-_]?(of[-_]?)?(use|service)|"
    r"tos|legal|imprint|impressum|datenschutz(erklaerung)?|agb|nutzungsbedingungen|cookies?|"
    r"cookie[-_]?policy|(community[-_]?)?guidelines|disclaimer|mentions[-_]?legales|"
    r"cgu|aviso[-_]?legal|privacidad|terminos|politica[-_]?de[-_]?privacidad)"
    r"(\.[a-z]{2,5})?$",
    re.IGNORECASE,
)


def _is_call_to_action(el: HtmlElement, text: str) -> bool:
    return phrases.call_to_action(text)


_LINE_RULES: tuple[tuple[str, str, Callable[[HtmlElement, str], bool]], ...] = (
    ("ad", "advertising or loading label", _is_ad),
    ("caption", "photo credit", _is_credit),
    ("caption", "the picture's own alt text again", _is_alt_text),
    ("byline", "byline or agency signature (kept as the item's author)", _is_byline),
    ("byline", "date or category line (kept as the item's date)", _is_date_line),
    ("cta", "call to follow, subscribe, share, download or donate", _is_call_to_action),
    ("boilerplate", "a notice linking the site's terms or privacy policy", _is_legal_notice),
)
