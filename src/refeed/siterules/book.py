"""The site config that applies to a page: found by its host in the user's rule folders.

As in Full-Text RSS: ``example.com.txt`` serves ``example.com`` and ``www.example.com``;
``.example.com.txt`` serves every subdomain of ``example.com`` (``news.example.com``),
not ``example.com`` itself; ``sport.example.com.txt`` serves that host only. The most
specific file wins, and of two folders holding it, the earlier one (a folder of one's
own fixes before a clone of the public collection). ``global.txt`` is added after the
site's own rules, unless the site's file says ``autodetect_on_failure: no``. A source's
inline ``rules:`` come first of all.

A file is read again when it changes on disk; its warnings are logged once per change.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from refeed.siterules.parse import SiteConfig, merge, parse_rules

log = logging.getLogger(__name__)

GLOBAL = "global.txt"
MAX_FILE_BYTES = 1_000_000  # a rule file is a few kilobytes; more is not one


@dataclass(frozen=True, slots=True)
class _Read:
    stamp: tuple[int, int]  # (mtime_ns, size) when read
    config: SiteConfig | None


class RuleBook:
    """The rule files of some folders, looked up by host."""

    def __init__(self, folders: Sequence[Path]) -> None:
        self.folders = tuple(folders)
        self._files: dict[Path, _Read] = {}

    def for_url(self, url: str, inline: SiteConfig | None = None) -> SiteConfig | None:
        """The rules for the page at *url*: *inline* (a source's own), then the site's
        file, then ``global.txt``; None when there are none."""
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
        site = self.for_host(host) if host else None
        found = [c for c in (inline, site) if c is not None]
        if all(c.autodetect_on_failure for c in found):
            common = self._load_first(GLOBAL)
            if common is not None:
                found.append(common)
        if not found:
            return None
        config = found[0]
        for more in found[1:]:
            config = merge(config, more)
        return config

    def for_host(self, host: str) -> SiteConfig | None:
        """The site's own file (``global.txt`` not added)."""
        for name in candidates(host):
            config = self._load_first(f"{name}.txt")
            if config is not None:
                return config
        return None

    def files(self) -> list[Path]:
        """Every rule file of every folder (the first of two of one name), by name."""
        seen: dict[str, Path] = {}
        for folder in self.folders:
            for path in sorted(folder.glob("*.txt")) if folder.is_dir() else ():
                seen.setdefault(path.name, path)
        return [seen[name] for name in sorted(seen)]

    def load(self, path: Path) -> SiteConfig | None:
        """The rules of one file (None: unreadable, with a warning); read again when the
        file changed."""
        try:
            stat = path.stat()
        except OSError:
            self._files.pop(path, None)
            return None
        stamp = (stat.st_mtime_ns, stat.st_size)
        known = self._files.get(path)
        if known is not None and known.stamp == stamp:
            return known.config
        config = _read(path, stat.st_size)
        self._files[path] = _Read(stamp, config)
        return config

    def _load_first(self, name: str) -> SiteConfig | None:
        for folder in self.folders:
            path = folder / name
            config = self.load(path)
            if config is not None:
                return config
        return None


def candidates(host: str) -> Iterable[str]:
    """The rule file names (without ``.txt``) that may serve *host*, most specific first."""
    yield host
    bare = host.removeprefix("www.")
    if bare != host:
        yield bare
    labels = bare.split(".")
    for start in range(1, len(labels) - 1):  # ".example.com", never ".com"
        yield "." + ".".join(labels[start:])


def _read(path: Path, size: int) -> SiteConfig | None:
    if size > MAX_FILE_BYTES:
        log.warning("site rules %s: %d bytes is too large for a rule file; skipped", path, size)
        return None
    try:
        text = path.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        log.warning("site rules %s: cannot read it: %s", path, exc.strerror or exc)
        return None
    config = parse_rules(text, path.name)
    for warning in config.warnings:
        log.warning("site rules %s", warning)
    return config


@lru_cache(maxsize=64)
def book(folders: tuple[Path, ...]) -> RuleBook:
    """The one rule book of these folders in this process (its files read as needed)."""
    return RuleBook(folders)


@lru_cache(maxsize=1024)
def inline(source: str, text: str) -> SiteConfig:
    """A source's own ``rules:`` from the config (its warnings logged once)."""
    config = parse_rules(text, f"source {source}'s rules")
    for warning in config.warnings:
        log.warning("site rules %s", warning)
    return config


def headers(site: SiteConfig | None, *, user_agent: bool = False) -> dict[str, str]:
    """The HTTP headers a site's rules ask for: referer, cookie and language; its user
    agent (a rule file may ask to pass for Googlebot) only when the user allows it."""
    if site is None:
        return {}
    asked = dict(site.headers)
    if not user_agent:
        asked.pop("user-agent", None)
    return asked
