"""The store: the only package that talks to the database (SQLite or PostgreSQL)."""

from refeed.store.copy import copy_store
from refeed.store.core import (
    QueueState,
    SourceState,
    Store,
    StoredFeed,
    backoff_delay,
    feed_etag,
)
from refeed.store.schema import MIGRATIONS
from refeed.store.sqlite import APPLICATION_ID

__all__ = [
    "APPLICATION_ID",
    "MIGRATIONS",
    "QueueState",
    "SourceState",
    "Store",
    "StoredFeed",
    "backoff_delay",
    "copy_store",
    "feed_etag",
]
