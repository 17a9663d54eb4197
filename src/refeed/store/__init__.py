"""The store: the only package that talks to the database (SQLite or PostgreSQL)."""

from refeed.store.backend import is_url
from refeed.store.core import SourceState, Store, backoff_delay
from refeed.store.schema import MIGRATIONS
from refeed.store.sqlite import APPLICATION_ID

__all__ = ["APPLICATION_ID", "MIGRATIONS", "SourceState", "Store", "backoff_delay", "is_url"]
