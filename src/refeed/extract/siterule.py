"""A site's rules (:mod:`refeed.siterules`) applied to its page, with graby's semantics.

Before parsing, ``find_string``/``replace_string`` pairs edit the page's text. On the
tree: the lazy-image attribute becomes the source, ``strip``, ``strip_id_or_class``
(an id or class holding the string), ``strip_image_src``, ``strip_attr``, ``dissolve``
and ``wrap_in`` run; ``title``, ``author`` and ``date`` take the first XPath that finds
something; ``body`` takes the first XPath that matches an element (several matches
are joined in one box). What a site rule removes is recorded with its file and line,
so that ``--explain`` can say which rule did it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

from refeed.clean.trace import Trace
from refeed.dom import text_of
from refeed.extract.metadata import Metadata
from refeed.siterules import Rule, SiteConfig
from refeed.sources.dates import iso_date

KIND = "site-rule"


def replace_strings(text: str, site: SiteConfig) -> str:
    """The page's text with each ``find_string`` replaced, in the file's order."""
    for find, replacement, _at in site.replace:
        text = text.replace(find, replacement)
    return text


def prepare(root: HtmlElement, site: SiteConfig, trace: Trace) -> None:
    """Apply the rules that change the page before the story is chosen."""
    if site.src_lazy_load_attr:
        for img in root.iter("img"):
            source = img.get(site.src_lazy_load_attr)
            if source:
                img.set("src", source)
    for rule in site.strip:
        for el in _elements(root, rule):
            trace.drop(el, KIND, f"{rule.at} strip: {rule.value}")
    for rule in site.strip_id_or_class:
        needle = rule.value.strip("'\" ")
        for el in _elements(root, Rule(_id_or_class(needle), rule.at)):
            trace.drop(el, KIND, f"{rule.at} strip_id_or_class: {needle}")
    for rule in site.strip_image_src:
        needle = rule.value.strip("'\" ")
        for img in list(root.iter("img")):
            if needle and needle in (img.get("src") or ""):
                trace.drop(img, KIND, f"{rule.at} strip_image_src: {needle}")
    for rule in site.strip_attr:
        for attribute in select(root, rule):
            if isinstance(attribute, etree._ElementUnicodeResult) and attribute.is_attribute:
                owner, name = attribute.getparent(), attribute.attrname
                if owner is not None and isinstance(name, str) and name in owner.attrib:
                    del owner.attrib[name]
    for rule in site.dissolve:
        for el in _elements(root, rule):
            if el.getparent() is not None:
                el.drop_tag()
    for tag, rule in site.wrap_in:
        for el in _elements(root, rule):
            if el.getparent() is not None:
                wrapper = lxml.html.Element(tag)
                el.addprevious(wrapper)
                wrapper.tail, el.tail = el.tail, None
                wrapper.append(el)


def body(root: HtmlElement, site: SiteConfig) -> tuple[HtmlElement, Rule] | None:
    """The story as the first ``body`` XPath that matches finds it (taken out of *root*),
    in a ``<div>``, and that rule; None when none matches."""
    for rule in site.body:
        found = [el for el in _elements(root, rule) if el.getparent() is not None]
        outermost = [el for el in found if not any(a in found for a in el.iterancestors())]
        if outermost:
            wrapper = lxml.html.Element("div")
            for el in outermost:
                el.tail = None
                wrapper.append(el)
            return wrapper, rule
    return None


def metadata(root: HtmlElement, site: SiteConfig, meta: Metadata) -> Metadata:
    """*meta* with the title, author and date the site's rules find (where they do)."""
    title = _first_text(root, site.title)
    authors = _all_texts(root, site.author)
    published = _date(_first_text(root, site.date))
    return replace(
        meta,
        title=title or meta.title,
        titles=(title, *meta.titles) if title else meta.titles,
        author=", ".join(authors) if authors else meta.author,
        published=published or meta.published,
    )


def contains(root: HtmlElement, rules: tuple[Rule, ...]) -> bool:
    """Whether one of the XPaths finds something on the page (``if_page_contains``)."""
    return any(select(root, rule) for rule in rules)


def _id_or_class(needle: str) -> str:
    literal = _literal(needle)
    return f"//*[contains(@class, {literal}) or contains(@id, {literal})]"


def _literal(text: str) -> str:
    """*text* as an XPath 1.0 string literal (which has no escapes)."""
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    parts = text.split("'")
    return "concat(" + ', "\'", '.join(f"'{part}'" for part in parts) + ")"


def select(root: HtmlElement, rule: Rule) -> list[Any]:
    """What the XPath finds: elements, attribute values or text (a list; a string or a
    number the expression computes is a list of one, an empty string none)."""
    try:
        found = root.xpath(rule.value)
    except (etree.XPathError, ValueError):
        return []  # checked when the file was read; a value the page cannot take
    if isinstance(found, list):
        return found
    if isinstance(found, bool):
        return [found] if found else []
    text = str(found).strip()
    return [text] if text and text != "nan" else []


def _elements(root: HtmlElement, rule: Rule) -> list[HtmlElement]:
    return [el for el in select(root, rule) if isinstance(el, HtmlElement) and el is not root]


def _text(found: Any) -> str:
    if isinstance(found, HtmlElement):
        return text_of(found)
    return " ".join(str(found).split())


def _first_text(root: HtmlElement, rules: tuple[Rule, ...]) -> str | None:
    for rule in rules:
        for found in select(root, rule):
            text = _text(found)
            if text:
                return text
    return None


def _all_texts(root: HtmlElement, rules: tuple[Rule, ...]) -> list[str]:
    """Every text the first XPath that finds something finds (a story's authors)."""
    for rule in rules:
        texts = [t for t in (_text(found) for found in select(root, rule)) if t]
        if texts:
            return list(dict.fromkeys(texts))
    return []


def _date(text: str | None) -> datetime | None:
    return iso_date(text) if text else None
