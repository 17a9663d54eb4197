"""Find the main story of a page and its metadata.

readability-lxml chooses the story container (or the source's ``content`` selector
does) and :mod:`~refeed.extract.parts` and :mod:`~refeed.extract.lead` put back what it
left out (:mod:`~refeed.extract.story`); metadata comes from the whole page
(:mod:`~refeed.extract.metadata`). Lazy images are made real before the choice so that
the story keeps its pictures (:mod:`~refeed.extract.images`), and every link is made
absolute.
"""

from refeed.extract.images import fix_lazy_images
from refeed.extract.metadata import Metadata, metadata, page_url
from refeed.extract.parts import structured_body
from refeed.extract.story import main_content, selected_content

__all__ = [
    "Metadata",
    "fix_lazy_images",
    "main_content",
    "metadata",
    "page_url",
    "selected_content",
    "structured_body",
]
