"""A news page written for the tests: four story paragraphs inside page chrome."""

from __future__ import annotations

URL = "https://paper.example/2026/11/quay.html"
STORY = [
    "The harbour authority confirmed on Tuesday that the northern quay will be rebuilt over "
    "the next three years, at a cost that officials put at roughly forty million euros.",
    "Engineers found that the timber piles under the quay had rotted far faster than expected, "
    "and the structure has been closed to heavy vehicles since the spring floods.",
    "Local fishermen, who land most of their catch at the quay, will move to a temporary "
    "pontoon on the southern side while the work goes on, the authority said in a statement.",
    "The first contracts will be signed in January, and the demolition of the old deck is "
    "expected to begin before the end of February if the weather allows it.",
]


def page(*middle: str, around: str = "", head: str = "") -> bytes:
    """The story with ``middle`` between its second and third paragraphs, ``around`` after
    the article, ``head`` in ``<head>``."""
    story = "".join(f"<p>{p}</p>" for p in STORY[:2]) + "".join(middle)
    story += "".join(f"<p>{p}</p>" for p in STORY[2:])
    return (
        f"<html><head><title>Quay</title>{head}</head><body>"
        '<nav><a href="/">Home</a> <a href="/news">News</a></nav>'
        f'<div class="main"><article><h1>Quay to be rebuilt</h1>{story}</article>{around}</div>'
        "<footer>(c) Paper</footer></body></html>"
    ).encode()


def story_kept(text: str) -> bool:
    return all(p in text for p in STORY)
