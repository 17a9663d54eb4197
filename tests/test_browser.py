"""The preview pages in a real browser: Debian's chromium, headless, driven by Playwright.

One browser for the module, one served app (a real cycle over the demo pages and a
hostile one, on loopback). Each view is opened, its DOM checked, and a screenshot taken
and read back: a PNG of the viewport's size with the colours of a real rendering. Without
chromium the tests are skipped, unless CI is set: there a missing browser is a failure.
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conftest import SITE, Served, loopback_config, rss, serving, serving_site
from pages import STORY, page
from refeed.config import SourceConfig
from refeed.cycle import run_cycle
from refeed.metrics import Metrics
from refeed.preview import item_id
from refeed.serve import PREVIEW_CSP
from refeed.store import Store

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
VIEWPORT = {"width": 1280, "height": 900}
DEMO = ["harbour-bridge.html", "council-budget.html", "night-train.html"]
# every way this page could run code sets the marker: the title, or window.pwned
HOSTILE = page(
    "<script>window.pwned = 1; document.title = 'PWNED'</script>"
    '<img src="data:," onerror="window.pwned = 2; document.title = \'PWNED\'">'
    '<p><svg onload="window.pwned = 3"></svg>A paragraph of the story that carries an '
    '<a href="javascript:window.pwned=4">odd link</a> and stays where it is, long enough.</p>',
    around='<div class="share-tools">Share on Facebook · Share on X · Email a friend</div>'
    '<section><h3>Read also</h3><ul><li><a href="/a">Minister resigns over rail deal</a></li>'
    '<li><a href="/b">Storm closes the ferry port for a second day</a></li>'
    '<li><a href="/c">Council votes to keep the old library open</a></li></ul></section>',
    head="<style>body { background: #f00 }</style>",
)

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None and not os.environ.get("CI"),
        reason="chromium is not installed (apt-get install chromium): the browser tests need it",
    ),
    pytest.mark.xdist_group("browser"),  # one worker, so one browser and one served app
]


@dataclass
class View:
    """One page as the browser showed it."""

    page: Any  # playwright's Page
    csp: str
    console: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp_path = tmp_path_factory.mktemp("browser")
    with serving_site() as site:
        items = []
        for name in DEMO:
            site.add("news/" + name, (SITE / "news" / name).read_bytes())
            items.append(("news/" + name, name.removesuffix(".html").replace("-", " ")))
        site.add("news/quay.html", HOSTILE)
        items.append(("news/quay.html", "Quay to be rebuilt"))
        feed = site.add("rss.xml", rss(site, items), content_type="application/rss+xml")
        config = loopback_config(
            tmp_path, SourceConfig(name="news", feed=feed, schedule="15m", strip=(".share-tools",))
        )
        assert all(r.ok for r in asyncio.run(run_cycle(config)))
        with serving(config, Metrics()) as s:
            yield s


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.fail("CI is set and chromium is not installed: .ci/run installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Debian's chromium: Playwright's own browsers are never downloaded
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield launched
        launched.close()


def _open(browser: Any, url: str) -> View:
    page = browser.new_page(viewport=VIEWPORT)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    response = page.goto(url)
    assert response is not None and response.status == 200
    return View(page, response.headers.get("content-security-policy", ""), console)


def _check_screenshot(view: View, path: Path) -> None:
    """The viewport's PNG: its size, and a real rendering (not blank, several colours)."""
    from PIL import Image

    png = view.page.screenshot(path=str(path))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.size == (VIEWPORT["width"], VIEWPORT["height"])
    small = image.resize((320, 225))
    colours = small.getcolors(320 * 225)
    assert colours is not None
    assert len(colours) >= 16  # text, links, labels: not one flat colour
    most = max(count for count, _colour in colours)
    assert most < 0.97 * 320 * 225  # the background does not fill it all


def _no_csp_violation(view: View) -> None:
    assert not [m for m in view.console if "Content Security Policy" in m or "Refused" in m]


def test_the_index_in_a_browser(served: Served, browser: Any, tmp_path: Path) -> None:
    view = _open(browser, served.url("/"))
    page = view.page
    assert view.csp.startswith("default-src 'none'") and "style-src 'sha256-" in view.csp
    assert page.locator("a.preview").get_attribute("href") == "preview/news"
    assert page.locator("ul.newest li").count() == 3
    assert page.locator("dd.next").inner_text().endswith("UTC")
    # our stylesheet applied (allowed by its hash): the subscribe buttons are coloured
    background = page.locator("a.preview").evaluate("e => getComputedStyle(e).backgroundColor")
    assert background == "rgb(36, 113, 163)"
    _no_csp_violation(view)
    _check_screenshot(view, tmp_path / "index.png")
    page.close()


def test_a_source_page_in_a_browser(served: Served, browser: Any, tmp_path: Path) -> None:
    view = _open(browser, served.url("/preview/news"))
    page = view.page
    assert view.csp == PREVIEW_CSP
    links = page.locator("table.items a:not(:text('original'))")
    assert links.count() == 4
    assert "Quay to be rebuilt" in links.all_inner_texts()
    assert page.locator("dd.next").inner_text().endswith("UTC")
    page.locator("table.items a", has_text="Quay to be rebuilt").click()  # to its preview
    page.wait_for_load_state()
    assert page.locator("h1#item").inner_text() == "Quay to be rebuilt"
    page.go_back()
    _no_csp_violation(view)
    _check_screenshot(view, tmp_path / "source.png")
    page.close()


def test_an_item_page_in_a_browser(served: Served, browser: Any, tmp_path: Path) -> None:
    with Store(served.config.database) as store:
        quay = next(i for i in store.items("news", 10) if i.title == "Quay to be rebuilt")
    view = _open(browser, served.url(f"/preview/news/{item_id(quay.identity)}"))
    page = view.page
    assert view.csp == PREVIEW_CSP
    # nothing of the hostile page ran: no marker, the title is ours
    assert page.evaluate("() => window.pwned") is None
    assert page.title() == "Quay to be rebuilt · refeed preview"
    assert page.locator("script, img, svg, [onerror], [onload]").count() == 0
    published = page.locator(".published").inner_text()
    assert all(paragraph in published for paragraph in STORY)
    assert "Share on Facebook" not in published
    # the removed blocks, in the original page's column, labelled by kind and rule
    original = page.locator(".original")
    strip = original.locator('[data-kind="strip"]')
    assert strip.get_attribute("data-rule") == "config strip selector '.share-tools'"
    assert strip.locator(".rf-label").inner_text() == "strip: config strip selector '.share-tools'"
    assert "Share on Facebook" in strip.inner_text()
    teaser = original.locator('[data-kind="teaser"]')
    assert teaser.count() >= 1 and "Minister resigns" in teaser.first.inner_text()
    assert original.locator('[data-kind="boilerplate"]').count() >= 2  # nav, footer
    # each block marked by colour: a teaser's label is orange, a strip's red
    colour = "e => getComputedStyle(e.querySelector('.rf-label')).backgroundColor"
    assert teaser.first.evaluate(colour) == "rgb(211, 84, 0)"
    assert strip.evaluate(colour) == "rgb(192, 57, 43)"
    # side by side: the page's column starts level with the article's
    left, right = page.locator(".published").bounding_box(), original.bounding_box()
    assert left is not None and right is not None
    assert left["y"] == right["y"] and right["x"] > left["x"] + left["width"]
    _no_csp_violation(view)
    _check_screenshot(view, tmp_path / "item.png")
    page.close()
