"""Page chrome: what a template puts around every story of a site.

Recognised by tag (``nav``, ``aside``, ``footer``, forms), by being hidden, and by the
words of its class and id (share bars, comment sections, author boxes, pop-ups, ads).
An element holding a large share of the page's text, or the story's long paragraphs,
is never chrome, whatever it is called.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import pairwise

from lxml.html import HtmlElement

from refeed.clean.shape import has_story, link_text_ratio
from refeed.clean.trace import Trace
from refeed.dom import has_text, name_tokens_of, name_words, text_of

CHROME_TAGS = (
    "nav", "aside", "footer", "form", "button", "select", "textarea", "iframe", "dialog",
    "template", "menu",
)  # fmt: skip
MAX_SHARE_OF_PAGE = 0.4  # chrome never holds this much of the page's text

# kind -> class/id words; a word also matches as the start of a longer one ("commentlist")
_NAMED: dict[str, tuple[str, ...]] = {
    "comments": (
        "comment",
        "comments",
        "kommentar",
        "kommentare",
        "komment",
        "commentaire",
        "commentaires",
        "comentario",
        "comentarios",
        "komentarz",
        "komentarze",
        "коммент",
        "disqus",
        "respond",
        "replies",
        "reactions",
    ),
    "share": (
        "share",
        "sharing",
        "sharebar",
        "sharedaddy",
        "sharethis",
        "shareaholic",
        "social",
        "socials",
        "follow",
        "siguenos",
        "likes",
        "likeswidget",
        "toolbar",
        "addthis",
    ),
    "related": (
        "related",
        "relatedposts",
        "recommend",
        "recommended",
        "recommendations",
        "outbrain",
        "taboola",
        "zergnet",
        "mgid",
        "popular",
        "mostread",
        "mostpopular",
        "morenews",
        "readmore",
        "readnext",
        "newslist",
        "nextstory",
        "nextpost",
        "prevnext",
        "yarpp",
        "jprelatedposts",
        "morefrom",
        "morestories",
        "recirculation",
        "recirc",
    ),
    "promo": (
        "promo",
        "promotion",
        "newsletter",
        "subscribe",
        "subscription",
        "donate",
        "donation",
        "signup",
        "membership",
        "banner",
        "cta",
    ),
    "ad": ("ad", "ads", "adv", "advert", "advertisement", "adslot", "adunit", "sponsor", "dfp"),
    "byline": (
        "byline",
        "author",
        "authors",
        "autor",
        "autoren",
        "auteur",
        "bio",
        "authorbox",
        "aboutauthor",
        "authorbio",
        "authorinfo",
        "authorcard",
        "saboxplugin",
        "biobox",
    ),
    "navigation": (
        "breadcrumb",
        "breadcrumbs",
        "sidebar",
        "pagination",
        "pager",
        "skiplink",
        "menu",
        "navbar",
        "navigation",
    ),
    "popup": (
        "popup",
        "modal",
        "overlay",
        "lightbox",
        "cookie",
        "cookies",
        "consent",
        "gdpr",
        "pum",
    ),
    "tags": ("tags", "tagcloud", "keywords", "tagsnoticia"),
    # a widget's own controls (a video player's buttons, menus and their tooltips)
    "controls": ("controls", "playercontrols", "videocontrols", "tooltip", "tooltips"),
}
_PREFIXES = {
    "comments": ("commentlist", "commentsection", "kommentar", "komentarz", "comentari", "коммент"),
    "share": ("sharedaddy", "share"),
    "related": ("related", "recommend", "outbrain", "taboola"),
    "promo": ("newsletter",),
    "ad": ("advert", "sponsor"),
    "popup": ("popup", "cookie", "modal"),
}
# words of a live blog or ticker, whose entries are often named "comments"
_LIVE = frozenset(("live", "liveblog", "liveticker", "ticker", "livefeed", "liveupdates"))
_ANY_SIZE = frozenset(
    [("popup", word) for word in _NAMED["popup"] if word != "overlay"]
    + [("comments", word) for word in _NAMED["comments"] if word != "comment"]
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


# every name and prefix with its kind, and the kinds in the order they are tried
_KIND_OF = {word: kind for kind, words in reversed(_NAMED.items()) for word in words}
_PREFIX = re.compile(
    "|".join(
        f"(?P<{kind}>{'|'.join(map(re.escape, prefixes))})" for kind, prefixes in _PREFIXES.items()
    )
)
_RANK = {kind: rank for rank, kind in enumerate(_NAMED)}


# whole class names that hide an element from sight (screen-reader text, JS-revealed boxes)
_HIDDEN_CLASSES = frozenset(
    (
        "hidden", "hide", "is-hidden", "u-hidden", "d-none", "sr-only", "visually-hidden",
        "visuallyhidden", "screen-reader-text", "screenreader-only", "hidecompletely",
        "offscreen", "element-invisible", "a11y-hidden",
    )
)  # fmt: skip


_HIDDEN_WORDS = frozenset(word for name in _HIDDEN_CLASSES for word in (name, *name.split("-"))) | {
    "hiddenxs",
    "hiddensm",
    "xs",
    "sm",
}


def _hidden(el: HtmlElement) -> bool:
    style = el.get("style")
    if el.get("hidden") is not None or (style and _HIDDEN_STYLE.search(style)):
        return True
    classes = el.get("class")
    return bool(classes) and _hiding_classes(classes)


@lru_cache(maxsize=8192)
def _hiding_classes(classes: str) -> bool:
    """Whether a class attribute hides its box (remembered: most recur page-wide)."""
    names = classes.lower().split()
    return not _HIDDEN_CLASSES.isdisjoint(names) or any(_PRINT_ONLY.search(n) for n in names)


# shown only on paper ("u-only-print", "print-only", "visible-print"): the page's address,
# a print header; never on the screen a feed reader stands for
_PRINT_ONLY = re.compile(r"(only-?print|print-?only|visible-print|show-for-print)(?![a-z])")


def _more_of_a_list(el: HtmlElement) -> bool:
    """A hidden box built like a visible sibling: the rest of a list a script reveals
    ("show more", a slideshow's next items), not something meant to stay unseen."""
    if any(_PRINT_ONLY.search(name) for name in (el.get("class") or "").lower().split()):
        return False  # for paper, never for the screen
    words = {w for w in name_words(el) - _HIDDEN_WORDS if len(w) >= 3}  # not "u-", "js-"
    if not words:
        return False
    parent = el.getparent()
    return parent is not None and any(
        sibling is not el
        and sibling.tag == el.tag
        and not _hidden(sibling)
        and words & name_words(sibling)
        and text_of(sibling)
        for sibling in parent
    )


def _reveal(el: HtmlElement) -> None:
    for attribute in ("hidden", "style"):
        el.attrib.pop(attribute, None)
    classes = [c for c in (el.get("class") or "").split() if c.lower() not in _HIDDEN_CLASSES]
    el.set("class", " ".join(classes))


def _own_text(el: HtmlElement) -> bool:
    """Text of the element's own, beside its children's (a bullet point's words)."""
    return bool((el.text or "").strip()) or any((child.tail or "").strip() for child in el)


def _in_a_sentence(el: HtmlElement) -> bool:
    """Words of running text on both sides (a formula's ``<mjx-container class="MathJax
    CtxtMenu_Attached_0">`` mid-sentence): part of the sentence, whatever its class says;
    chrome is a box between blocks, not a phrase inside one."""
    if not (el.tail or "").strip():
        return False
    previous, parent = el.getprevious(), el.getparent()
    before = previous.tail if previous is not None else parent.text if parent is not None else ""
    return bool((before or "").strip())


def _no_links(el: HtmlElement) -> bool:
    """Nothing to follow or press: not a menu, whatever its class says (a formula with a
    context menu attached, ``CtxtMenu_Attached``)."""
    return next(el.iter("a", "button", "select", "option"), None) is None


def _citation(el: HtmlElement) -> bool:
    """A quote's or a figure's own ``<footer>`` (who said it): part of the story."""
    return el.tag == "footer" and any(a.tag in ("blockquote", "figure") for a in el.iterancestors())


# A class can describe the post rather than name a role of the box: a state ("has-sidebar",
# "no-comments", "is-sharing") or the post's taxonomy ("author-jane-doe", "entry-author-12"
# on the article itself). Such class names say nothing of what the box is.
_STATES = frozenset(("has", "is", "no", "not", "with", "without", "show", "hide", "enable",
                     "disable", "disabled", "enabled", "allow", "can"))  # fmt: skip
_PERSON_WORDS = frozenset(("author", "authors", "autor", "auteur", "byline"))
# what may follow an author word in the name of a box about the author
_AUTHOR_BOX = frozenset(
    (
        "box", "bio", "info", "card", "name", "names", "link", "links", "avatar", "image",
        "img", "photo", "pic", "meta", "details", "detail", "block", "wrap", "wrapper",
        "container", "area", "section", "title", "label", "text", "social", "list", "data",
        "description", "profile", "about", "inner", "outer", "content", "date", "widget",
        "byline", "module", "line", "holder", "top", "bottom", "header", "footer",
    )
)  # fmt: skip


# ARIA landmark and widget roles that are never the story (a site's own header, "banner",
# may hold the headline and the deck, and "main" and "article" are the story)
_ROLE_KIND = {
    "navigation": "navigation",
    "menu": "navigation",
    "menubar": "navigation",
    "complementary": "navigation",
    "search": "navigation",
    "contentinfo": "boilerplate",
    "dialog": "popup",
    "alertdialog": "popup",
    # a widget's controls (a video player's buttons and sliders), as <button> and <select>
    # are: their text labels a control, never the story (a tab strip's labels name the
    # sections below them, and stay)
    **dict.fromkeys(
        (
            "button", "slider", "progressbar", "scrollbar", "switch", "spinbutton", "menuitem",
            "menuitemcheckbox", "menuitemradio",
            "combobox", "listbox", "option", "searchbox", "textbox", "checkbox", "radio",
        ),
        "boilerplate",
    ),
}  # fmt: skip


def role_words(el: HtmlElement) -> frozenset[str]:
    """The words of the element's class and id that name what the box is (see _STATES)."""
    classes, identifier = el.get("class"), el.get("id")
    if not classes and not identifier:
        return _NONE
    return _role_words(f"{classes or ''} {identifier or ''}")


_NONE: frozenset[str] = frozenset()


def _role_words(raw: str) -> frozenset[str]:
    return _NONE.union(*map(_name_role_words, raw.split()))


@lru_cache(maxsize=16384)
def _name_role_words(name: str) -> frozenset[str]:
    """The role words of one class name or id: remembered by name, as most names recur
    from element to element and page to page where the whole attribute (an id) does not."""
    words: set[str] = set()
    for parts in name_tokens_of(name):
        if not parts or parts[0] in _STATES:
            continue
        kept = parts
        for i, part in enumerate(parts):
            if part in _PERSON_WORDS and any(p not in _AUTHOR_BOX for p in parts[i + 1 :]):
                kept = parts[:i]  # "author-jane-doe": the post's author, not a box
                break
        words.update(kept)
        words.update(a + b for a, b in pairwise(kept))
    return frozenset(words)


def chrome_kind(el: HtmlElement) -> tuple[str, str] | None:
    """(kind, the word that gave it away) when the element's ARIA role or its name says
    chrome."""
    classes, identifier, role = el.get("class"), el.get("id"), el.get("role")
    if not classes and not identifier and not role:
        return None
    found = _named_kind(classes or "", identifier or "", role or "")
    if found is _MAYBE_TEASER:  # "teaser" names a lead paragraph as often as other stories
        return ("related", "teaser") if link_text_ratio(el) >= 0.5 else None
    return found


_MAYBE_TEASER = ("related", "teaser?")


@lru_cache(maxsize=8192)
def _named_kind(classes: str, identifier: str, role: str) -> tuple[str, str] | None:
    """What the class, id and role of an element say, the same for every element so named."""
    if role:
        kind = _ROLE_KIND.get(role.strip().lower())
        if kind is not None:
            return kind, f"role={role.strip().lower()}"
    words = _role_words(f"{classes} {identifier}")
    if not words:
        return None
    hits = [(_KIND_OF[w], w) for w in words if w in _KIND_OF]
    for word in words:
        match = _PREFIX.match(word)
        if match and match.lastgroup:
            hits.append((match.lastgroup, word))
    if words & _LIVE:  # a live blog's entries ("live-match-comment"): the story itself
        hits = [hit for hit in hits if hit[0] != "comments"]
    if hits:
        return min(hits, key=lambda hit: (_RANK[hit[0]], hit[1]))
    if words & {"teaser", "teasers"}:
        return _MAYBE_TEASER
    return None


def story_candidate(body: HtmlElement) -> HtmlElement | None:
    """The page's likeliest story container, before any cleaning (None: no text at all).

    It is the element whose paragraphs hold the most unlinked text, outside comment
    sections, pop-ups, hidden boxes and asides (each may hold long paragraphs that are not
    the story). Paragraphs are ``<p>`` and ``<pre>``, long runs of bare text (pages laid
    out with ``<br>``), short boxes of inline text (a live blog's entries, counted for the
    box above when each sits in a box of its own) and bullet points (counted for the box
    of the outermost list). A dialog wins only when its paragraphs hold three times what
    the best box outside dialogs holds (a story opened over its listing). A story cut
    into boxes is taken whole (:func:`_whole_story`). It protects
    the story from chrome removal (:func:`remove_chrome`) and is the second candidate
    when readability's choice holds little (:mod:`refeed.extract.parts`, and
    :func:`refeed.article.process` once both are clean).
    """
    scores: dict[HtmlElement, float] = {}
    in_dialog: dict[HtmlElement, float] = {}
    unseen: dict[HtmlElement, bool] = {}
    in_dialogs: dict[HtmlElement, bool] = {}
    for block in body.iter("p", "pre", "li", "div", "td", "section", "article"):
        if block.tag in ("p", "pre", "li"):
            if block.tag == "li" and not _own_text(block):
                continue  # a menu's item, a card: its text is its children's
            text = text_of(block)
            linked = sum(len(text_of(a)) for a in block.iter("a"))
            mass, home = len(text) - linked, block.getparent()
            if block.tag == "li" and home is not None:
                # a post written as bullet points: the list is one of the story's blocks;
                # an item holding boxes is a card or a comment, its paragraphs count alone
                if next(block.iterdescendants(_BOXES), None) is not None:
                    continue
                while home is not None and home.tag in ("ul", "ol", "li"):
                    home = home.getparent()  # the box of the outermost list
        else:
            # bare text between the children of a box (<br>-separated lines) is a block
            # of its own; a short box of inline text only is a paragraph, as readability
            # reads it (a live blog's entries, a template without <p>)
            mass = len((block.text or "").strip()) + sum(
                len((child.tail or "").strip()) for child in block if child.tag != "a"
            )
            home = block if mass >= _BARE_TEXT else None
            if (
                home is None
                and mass  # text of its own, not only its children's
                and len(block) <= _INLINE_CHILDREN
                and all(c.tag in _INLINE or not has_text(c) for c in block)
            ):
                text = text_of(block)
                mass = len(text) - sum(len(text_of(a)) for a in block.iter("a"))
                home = block.getparent()
                above = home.getparent() if home is not None else None
                if (
                    home is not None
                    and above is not None
                    and above.tag != "body"
                    and len(home) <= 2
                ):
                    home = above  # each in a box of its own, beside its time
        if home is None or mass < _MIN_PARAGRAPH:
            continue
        if not _out_of_sight(home, unseen):
            scores[home] = scores.get(home, 0.0) + mass
        elif not _out_of_sight(home, in_dialogs, _OUT_OF_SIGHT - {"popup"}):
            in_dialog[home] = in_dialog.get(home, 0.0) + mass
    densest = max(scores, key=scores.__getitem__) if scores else None
    # a story opened in a dialog over its listing (the page's own reading view) is the
    # story when no paragraphs outside dialogs come near it; a cookie notice never does
    dialog = max(in_dialog, key=in_dialog.__getitem__) if in_dialog else None
    if dialog is not None and (
        densest is None or in_dialog[dialog] > _DIALOG_WINS * scores[densest]
    ):
        return dialog
    return None if densest is None else _whole_story(densest, scores)


_DIALOG_WINS = 3.0


def _whole_story(best: HtmlElement, scores: dict[HtmlElement, float]) -> HtmlElement:
    """The box around a story cut into boxes (a how-to's steps, its sections), when the
    densest box is short (under :data:`_WHOLE` characters of paragraphs).

    From a box, the climb goes to the element above it whose boxes of a like size hold
    :data:`_CLIMB` times its text, and again from there while one does. It starts from
    each box nearly as dense as the densest (a pop-up's notice may be the densest by a
    few characters); of the boxes reached, the one holding the most wins, unless one
    inside it holds most of that (:data:`_INSIDE`): the story's own box, not the page
    around the story and the notice. Boxes far smaller than the densest (a listing's
    summaries) count for nothing; a densest box of a story's size stays, so that comments
    of a like size beside it are not taken in; a box inside a link is a card of another
    story, and stays too."""
    if scores[best] >= _WHOLE or _in_a_link(best):
        return best
    floor = _LIKE_SIZE * scores[best]
    totals: dict[HtmlElement, float] = {}
    for home, mass in scores.items():
        if mass < floor:
            continue
        totals[home] = totals.get(home, 0.0) + mass
        for ancestor in home.iterancestors():
            totals[ancestor] = totals.get(ancestor, 0.0) + mass
    reached = {
        _climb(start, totals)
        for start, mass in scores.items()
        if mass >= _NEARLY * scores[best] and not _in_a_link(start)
    }
    chosen = max(reached, key=totals.__getitem__)
    for box in sorted(reached, key=totals.__getitem__, reverse=True):
        inside = box is not chosen and chosen in box.iterancestors()
        if inside and totals[box] >= _INSIDE * totals[chosen]:
            chosen = box
    return chosen


def _climb(start: HtmlElement, totals: dict[HtmlElement, float]) -> HtmlElement:
    """Up from *start* while an element above holds :data:`_CLIMB` times its boxes' text;
    never past an ``<article>`` or ``<main>`` on the way (the page's own word for the
    story's box: what lies beyond it is the page around the story)."""
    current = start
    for ancestor in start.iterancestors():
        if ancestor.tag in ("body", "html"):
            break
        if totals.get(ancestor, 0.0) >= _CLIMB * totals[current]:
            current = ancestor
        if ancestor.tag in ("article", "main"):
            break
    return current


def _in_a_link(el: HtmlElement) -> bool:
    return el.tag == "a" or next(el.iterancestors("a"), None) is not None


_WHOLE = 1000  # characters of paragraphs: a story's size
_CLIMB = 1.5
_LIKE_SIZE = 0.25  # of the densest box's text: a box of a like size
_NEARLY = 0.75  # of the densest box's text: where a climb may start too
_INSIDE = 0.5  # of what the box reached holds: a box inside holding most of it is the story


_MIN_PARAGRAPH = 25
_BOXES = ("p", "div", "li", "img", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "article")
_BARE_TEXT = 200
_INLINE_CHILDREN = 8  # a paragraph's box holds a few inline elements; more is a container
_INLINE = frozenset(
    ("a", "b", "strong", "i", "em", "span", "br", "img", "small", "sup", "sub", "abbr", "q",
     "cite", "code", "mark", "time", "u", "s", "font", "wbr", "picture", "source")
)  # fmt: skip


_OUT_OF_SIGHT = frozenset(("comments", "popup"))
_ASIDE_TAGS = frozenset(("nav", "aside", "footer", "menu", "dialog", "template"))


def _out_of_sight(
    el: HtmlElement, known: dict[HtmlElement, bool], kinds: frozenset[str] = _OUT_OF_SIGHT
) -> bool:
    """Whether *el* or an element around it is hidden, a pop-up, a comment section (the
    chrome *kinds*), or beside the page's main content by its tag (a sidebar's
    ``<aside>``, a ``<footer>``)."""
    chain: list[HtmlElement] = []
    node: HtmlElement | None = el
    found = False
    while node is not None:
        if node in known:
            found = known[node]
            break
        chain.append(node)
        kind = chrome_kind(node)
        if (kind is not None and kind[0] in kinds) or _hidden(node) or node.tag in _ASIDE_TAGS:
            found = True
            break
        node = node.getparent()
    for visited in chain:
        known[visited] = found
    return found


def _hidden_beside(el: HtmlElement, story: HtmlElement | None, limit: float) -> bool:
    """Whether the hidden box *el* is out of the reader's sight for good.

    A small box without a story of its own is. A larger one (a story, or much of the
    page) is only where the visible story candidate holds at least half as much text:
    a second version of the story hidden beside the one shown. A page a script reveals
    whole, or a story whose rest a "read more" button opens, has no such visible story.
    """
    size = len(text_of(el))
    if size < limit and not has_story(el):
        return True
    if story is None:
        return False
    shown = len(text_of(story))
    if any(parent is story for parent in el.iterancestors()):
        shown -= size
    return shown >= size / 2


def _form_box(form: HtmlElement, keep: set[HtmlElement | None]) -> HtmlElement:
    """The box a form sits in with what says what it is for: a sign-up's heading and its
    line ("Get the morning briefing", "The day's news in your inbox"), a search box's or a
    poll's question. That is the outermost box around the form that holds little else
    (:data:`_FORM_CHARS`); the form itself when its box holds more, or is the story's."""
    box = form
    own = len(text_of(form))
    for parent in form.iterancestors():
        if parent in keep or parent.tag in ("body", "html", "article", "main"):
            break
        if len(text_of(parent)) - own > _FORM_CHARS:
            break
        box = parent
    return box


_FORM_CHARS = 250  # characters a form's box holds besides the form: a heading and a line


def remove_chrome(body: HtmlElement, trace: Trace, story: HtmlElement | None = None) -> None:
    """Remove chrome elements from a whole page (before the story is chosen).

    *story* (:func:`story_candidate`) and every element around it stay, whatever their
    class and tag say (an ASP.NET page's ``<form>``, ``author-jane`` on the article, a
    ``right-sidebar`` layout class): removing one would remove the story.
    """
    total = max(1, len(text_of(body)))
    limit = total * MAX_SHARE_OF_PAGE
    keep = {story, *story.iterancestors()} if story is not None else {body}
    for el in list(body.iter(*CHROME_TAGS)):
        if (
            el.getparent() is not None
            and el not in keep
            and len(text_of(el)) < limit
            and not _citation(el)
        ):
            if el.tag == "form" and (box := _form_box(el, keep)) is not el:
                trace.drop(box, "boilerplate", "a form with its heading and its line")
            else:
                trace.drop(el, "boilerplate", f"<{el.tag}> element")
    for el in list(body.iter()):
        if not isinstance(el, HtmlElement) or el.getparent() is None or el in keep:
            continue
        if _hidden(el):
            if _more_of_a_list(el):
                _reveal(el)  # readability would drop it as hidden
            elif _hidden_beside(el, story, limit):
                trace.drop(el, "hidden", "hidden element (hidden attribute, display:none or class)")
            continue
        found = chrome_kind(el)
        if found is None or _in_a_sentence(el) or (found[0] == "navigation" and _no_links(el)):
            continue
        # pop-ups and comments hold long paragraphs too; anything else with them may be the story
        if len(text_of(el)) < limit and (found in _ANY_SIZE or not has_story(el)):
            kind, word = found
            said = (
                f"its role is {word[5:]!r}"
                if word.startswith("role=")
                else f"class/id says {word!r}"
            )
            trace.drop(el, kind, said)
