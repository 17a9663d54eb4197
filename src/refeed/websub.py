"""WebSub: tell the configured hub which feeds changed after a cycle.

The feeds announce the hub (``<link rel="hub">``, JSON Feed ``hubs``); after a cycle,
every feed file that was actually rewritten is pinged to the hub in one
``hub.mode=publish`` request, so subscribers hear of new items at once. A hub that
fails is logged and otherwise ignored: the feeds are published either way.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote

from refeed.errors import FetchError

if TYPE_CHECKING:
    from refeed.cycle import SourceResult
    from refeed.fetch import Fetcher

log = logging.getLogger(__name__)


def changed_urls(base_url: str, results: Sequence[SourceResult]) -> list[str]:
    """The public URLs of the feed files the cycle rewrote."""
    return [base_url + quote(path.name) for result in results for path in result.written]


async def ping(
    fetcher: Fetcher, hub: str, base_url: str | None, results: Sequence[SourceResult]
) -> bool:
    """POST ``hub.mode=publish`` for every changed feed; False if the hub failed or was not told."""
    if not base_url:
        log.warning("websub_hub is set but base_url is not: the hub cannot be told feed URLs")
        return False
    urls = changed_urls(base_url, results)
    if not urls:
        return True
    try:
        await fetcher.post_form(hub, {"hub.mode": "publish", "hub.url": urls})
    except FetchError as exc:
        log.warning("WebSub hub: %s", exc)
        return False
    log.info("WebSub hub told of %d changed feeds", len(urls))
    return True
