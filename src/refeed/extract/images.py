"""Lazy images made real before the story is chosen, so that the story keeps its pictures."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

_LAZY_SRC = ("data-src", "data-original", "data-lazy-src", "data-url", "data-orig-src")
_LAZY_SRCSET = ("data-srcset", "data-lazy-srcset")
_PLACEHOLDER = re.compile(
    r"^(data:|about:blank)|(blank|spacer|pixel|placeholder|lazy)\.(gif|png|svg)"
)


def fix_lazy_images(root: HtmlElement) -> None:
    """Give lazy images a real ``src``, and unwrap ``<noscript>`` copies of images."""
    for noscript in list(root.iter("noscript")):
        images = [img for img in noscript.iter("img") if img is not noscript]
        if not images and "<img" in (noscript.text or "").lower():
            try:
                parsed = lxml.html.fragment_fromstring(noscript.text or "", create_parent="div")
            except (etree.ParserError, ValueError):
                continue
            images = list(parsed.iter("img"))
        parent = noscript.getparent()
        if not images or parent is None:
            continue
        previous = noscript.getprevious()
        if previous is not None and previous.tag == "img" and _is_placeholder(previous):
            previous.drop_tree()
        index = parent.index(noscript)
        for offset, image in enumerate(images):
            image.tail = None
            parent.insert(index + offset, image)
        noscript.drop_tree()
    for img in root.iter("img"):
        for attr in _LAZY_SRC:
            value = img.get(attr)
            if value and not value.startswith("data:") and _is_placeholder(img):
                img.set("src", value.strip())
                break
        for attr in _LAZY_SRCSET:
            value = img.get(attr)
            if value:
                img.set("srcset", value)
        if _is_placeholder(img) and img.get("srcset"):
            img.set("src", img.get("srcset", "").split(",")[-1].strip().split(" ")[0])


def _is_placeholder(img: HtmlElement) -> bool:
    src = (img.get("src") or "").strip()
    return not src or bool(_PLACEHOLDER.search(src))
