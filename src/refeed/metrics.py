"""Prometheus metrics of cycles and of the server, in a registry of their own.

A :class:`Metrics` owns its :class:`~prometheus_client.CollectorRegistry` (never the
process-wide default one), so two apps, or two tests, never count into each other.
The cycle records into the *active* metrics: :func:`active` returns the one set by
:func:`activate` for the running task and its children (a context variable), else a
process default. ``refeed daemon --serve`` and ``refeed serve`` expose one on
``/metrics``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["CONTENT_TYPE", "Metrics", "activate", "active"]

_EXTRACT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The counters of one process (or one test)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.fetches = Counter(
            "refeed_fetches",
            "HTTP fetches of feeds and pages, by status ('error' when no HTTP answer came)",
            ["status"],
            registry=r,
        )
        self.fetched_bytes = Counter(
            "refeed_fetched_bytes", "Body bytes received (after decompression)", registry=r
        )
        self.extraction = Histogram(
            "refeed_extraction_seconds",
            "Time to extract and clean one article page",
            buckets=_EXTRACT_BUCKETS,
            registry=r,
        )
        self.published = Counter(
            "refeed_items_published",
            "Items published new or updated, by source",
            ["source"],
            registry=r,
        )
        self.removed = Counter(
            "refeed_blocks_removed",
            "Blocks removed from article pages, by kind",
            ["kind"],
            registry=r,
        )
        self.runs = Counter(
            "refeed_source_runs", "Source runs, by source and result (ok or error)",
            ["source", "result"], registry=r,
        )  # fmt: skip
        self.last_success = Gauge(
            "refeed_last_success_timestamp_seconds",
            "Unix time of the last successful run of each source",
            ["source"],
            registry=r,
        )
        self.feed_items = Gauge(
            "refeed_feed_items", "Items stored for each source's feed", ["source"], registry=r
        )
        self.broken = Gauge(
            "refeed_source_broken",
            "1 while a source's output looks broken (refeed status says why), else 0",
            ["source"],
            registry=r,
        )

    # -- recording ----------------------------------------------------------

    def fetched(self, status: int | None, size: int) -> None:
        self.fetches.labels(str(status) if status is not None else "error").inc()
        self.fetched_bytes.inc(size)

    def extracted(self, seconds: float, removed: Mapping[str, int]) -> None:
        self.extraction.observe(seconds)
        for kind, count in removed.items():
            if count:
                self.removed.labels(kind).inc(count)

    def source_done(self, source: str, *, ok: bool, published: int) -> None:
        self.runs.labels(source, "ok" if ok else "error").inc()
        if published:
            self.published.labels(source).inc(published)

    def source_state(
        self, source: str, last_success: datetime | None, items: int, *, broken: bool = False
    ) -> None:
        """Set the gauges of one source from the store (called before each scrape)."""
        if last_success is not None:
            self.last_success.labels(source).set(last_success.timestamp())
        self.feed_items.labels(source).set(items)
        self.broken.labels(source).set(int(broken))

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)


_default = Metrics()
_active: ContextVar[Metrics] = ContextVar("refeed_metrics", default=_default)


def active() -> Metrics:
    """The metrics the running cycle records into."""
    return _active.get()


def default() -> Metrics:
    """The process-wide metrics (own registry) used when none was activated."""
    return _default


@contextmanager
def activate(metrics: Metrics | None) -> Iterator[Metrics]:
    """Make *metrics* (if given) the active one for this task and the tasks it starts."""
    if metrics is None:
        yield active()
        return
    token = _active.set(metrics)
    try:
        yield metrics
    finally:
        _active.reset(token)
