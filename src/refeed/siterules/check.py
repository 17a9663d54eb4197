"""``refeed rules test``: each rule file's ``test_url`` fetched and extracted with its
rules, and each ``test_contains`` looked for in the story. A body XPath that no longer
matches is a failure too: the report doubles as breakage detection for the rules.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from refeed.article import Rules, process
from refeed.errors import RefeedError
from refeed.fetch import Fetcher
from refeed.models import Article
from refeed.siterules.book import RuleBook, headers
from refeed.siterules.parse import SiteConfig, SiteTest

MAX_AT_ONCE = 8  # test pages fetched at once


@dataclass(frozen=True, slots=True)
class Outcome:
    """One test: where it was written, its URL, and what went wrong (None: it passed)."""

    at: str
    url: str
    problem: str | None
    chars: int = 0  # the story's length

    @property
    def passed(self) -> bool:
        return self.problem is None


def judge(article: Article, site: SiteConfig, test: SiteTest) -> Outcome:
    """Whether the story extracted with *site*'s rules passes *test*."""
    text = " ".join(article.text.split())
    chars = len(article.text)
    if site.body and not (article.chosen_by or "").startswith("site rule"):
        return Outcome(test.at, test.url, "no body XPath matched (has the site changed?)", chars)
    missing = [snippet for snippet in test.contains if " ".join(snippet.split()) not in text]
    if missing:
        quoted = "; ".join(repr(m[:60]) for m in missing)
        return Outcome(test.at, test.url, f"the story lacks {quoted}", chars)
    if not text:
        return Outcome(test.at, test.url, "the story is empty", chars)
    return Outcome(test.at, test.url, None, chars)


def test_page(book: RuleBook, page: bytes, url: str, content_type: str | None) -> list[Outcome]:
    """The saved *page* of *url* against the tests of its rules that name *url* (or one
    test of the story alone, when none does)."""
    site = book.for_url(url)
    if site is None:
        raise RefeedError(f"no site rules for {url} in {', '.join(map(str, book.folders))}")
    tests = [t for t in site.tests if t.url == url] or [SiteTest(url, (), site.origin)]
    article = process(page, url=url, content_type=content_type, rules=Rules(site=site))
    return [judge(article, site, test) for test in tests]


async def test_files(
    book: RuleBook, files: list[Path], fetcher: Fetcher, *, user_agent: bool = False
) -> list[Outcome]:
    """Every ``test_url`` of *files*, fetched (at most :data:`MAX_AT_ONCE` at once)."""
    gate = asyncio.Semaphore(MAX_AT_ONCE)

    async def one(site: SiteConfig, test: SiteTest) -> Outcome:
        async with gate:
            try:
                response = await fetcher.get(test.url, headers=headers(site, user_agent=user_agent))
                landed = book.for_url(response.url) or site
                rules = Rules(site=landed)
                article = await asyncio.to_thread(
                    process, response.body, url=response.url,
                    content_type=response.content_type, rules=rules,
                )  # fmt: skip
            except RefeedError as exc:
                return Outcome(test.at, test.url, str(exc))
            return judge(article, landed, test)

    jobs = []
    for path in files:
        own = book.load(path)
        if own is None:
            continue
        for test in own.tests:  # with the rules a cycle would apply to that URL
            jobs.append(one(book.for_url(test.url) or own, test))
    return list(await asyncio.gather(*jobs))
