"""What identifies an item within its source, and the id it is published under.

As FreshRSS does: a source's items are known by their guid while the feed's guids are
sound (every entry has one, and no two entries of one fetch share one), else by their
link, else (no guid, no link: the entry's own content is all there is) by a hash of what
they say. A source whose guids once proved unsound is known by links from then on (the
policy is kept in the store), so that a feed that re-issues or repeats guids gives
updates, never twins. Links are canonical (:func:`refeed.urls.canonical_url`: no
fragment, no tracking parameters), so ``?utm_source=`` does not make a new item.

The published id (Atom ``<id>``, RSS ``<guid>``, JSON ``id``) is the source's own guid
when it is a URI, else a ``urn:uuid:`` derived from the source's name and the item's key:
the same item has the same id whatever the source's URL, in every format, for ever.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Sequence
from typing import Final, Literal

from refeed.models import Entry

Policy = Literal["guid", "link"]
GUID: Final = "guid"
LINK: Final = "link"
_NAMESPACE: Final = uuid.UUID("5b1bb8f2-65f4-4c6e-9a57-7d3f0b3e2c11")  # refeed's own
_URI: Final = re.compile(
    r"^(?:https?://[^\s/]+[^\s]*|urn:[a-z0-9][a-z0-9-]{0,31}:\S+|tag:\S+,\S+:\S*)$", re.I
)


def sound_guids(entries: Sequence[Entry]) -> bool:
    """Every entry has a guid and no two share one."""
    guids = [e.guid for e in entries]
    return all(guids) and len(set(guids)) == len(guids)


def choose(entries: Sequence[Entry], stored: str | None) -> Policy:
    """The source's policy after this fetch: once by link, always by link."""
    if stored == LINK:
        return LINK
    return GUID if not entries or sound_guids(entries) else LINK


def item_key(entry: Entry, policy: Policy) -> str:
    """The key of *entry* under *policy* (see the module doc)."""
    first, second = (entry.guid, entry.url) if policy == GUID else (entry.url, entry.guid)
    if first:
        return first
    if second:
        return second
    said = "\0".join((entry.title or "", entry.content or entry.summary or ""))
    return "sha1:" + hashlib.sha1(said.encode("utf-8", "surrogatepass")).hexdigest()


def published_id(source: str, key: str, guid: str) -> str:
    """The id an item is published under: its guid when that is a URI, else a urn:uuid."""
    if guid and _URI.match(guid):
        return guid
    name = source + "\0" + key
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, name)}"
