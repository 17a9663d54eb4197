"""The preview pages of ``refeed serve``: what refeed keeps of each source, in a browser.

``/preview/<source>`` shows a source's newest items (each title links to its preview),
its next run, its backoff, its break and its failing pages with their errors;
``/preview/<source>/<item>`` shows one item: the article as refeed publishes it beside
the text of the page it came from, each removed block marked in place by its kind and
rule (:mod:`refeed.explain`, run on the page the store kept, never fetched again). The pages
are built of plain data (:class:`SourceView`, :class:`~refeed.explain.Explained`) by the
functions here; everything in them is escaped or sanitised, and they carry no script:
their only style is :data:`STYLE`, allowed by its hash (``refeed.serve.PREVIEW_CSP``).
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final
from urllib.parse import quote

from refeed import __version__
from refeed.explain import CUT, LABEL, OUTSIDE, PICTURE, Explained, published_view
from refeed.models import Item, Page, Removal
from refeed.store import SourceState
from refeed.urls import public_link, redact, redact_text

ITEM_ID_CHARS: Final = 16
NEWEST: Final = 3  # items the index names per source

# a colour per family of kinds (refeed --explain's first column)
_COLOURS: Final = {
    "#d35400": ("teaser", "teaser-heading", "template"),
    "#7f8c8d": ("boilerplate", "navigation", "hidden", "empty"),
    "#8e44ad": ("share", "related", "promo", "ad", "cta", "popup", "tags"),
    "#16a085": ("comments",),
    "#2471a3": ("caption", "byline", "title"),
    "#c0392b": ("strip", "site-rule"),
}
_KIND_RULES = "\n".join(
    f'.{CUT}[data-kind="{kind}"] {{ border-color: {colour}; background: {colour}14; }}\n'
    f'.{CUT}[data-kind="{kind}"] > .{LABEL}, .legend [data-kind="{kind}"] '
    f"{{ background: {colour}; }}"
    for colour, kinds in _COLOURS.items()
    for kind in kinds
)
STYLE: Final = f"""
body {{ font: 15px/1.5 system-ui, sans-serif; margin: 1.5rem auto; padding: 0 1rem; color: #222; max-width: 90rem; }}
h1 {{ font-size: 1.5rem; margin: .2rem 0; }} h2 {{ font-size: 1.15rem; }}
nav.crumbs {{ color: #666; font-size: .9rem; }}
dl {{ display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; }}
dt {{ color: #666; }} dd {{ margin: 0; overflow-wrap: anywhere; }}
.error, .note {{ color: #a00; }}
.items td, .items th {{ text-align: left; padding: .2rem .6rem .2rem 0; vertical-align: top; }}
.columns {{ display: grid; grid-template-columns: 1fr 1fr; gap: 1.5rem; align-items: start; }}
.column {{ border: 1px solid #ddd; border-radius: 8px; padding: .5rem 1rem; overflow-wrap: anywhere; min-width: 0; }}
.column > h2 {{ margin: .3rem 0 .6rem; }}
.{CUT} {{ border: 2px solid #555; border-radius: 4px; margin: .3rem 0; padding: .2rem .4rem; display: block; }}
.{LABEL} {{ display: block; width: fit-content; font: 600 12px/1.6 ui-monospace, monospace; color: #fff; background: #555; padding: 0 .4rem; border-radius: 3px; margin-bottom: .2rem; }}
.{OUTSIDE} {{ color: #999; }}
.{PICTURE} {{ display: inline-block; font-size: .85rem; color: #555; border: 1px dashed #aaa; padding: 0 .3rem; }}
.legend span {{ display: inline-block; color: #fff; background: #555; font: 600 12px/1.6 ui-monospace, monospace; padding: 0 .4rem; border-radius: 3px; margin: 0 .2rem .2rem 0; }}
.legend .{OUTSIDE} {{ background: none; color: #999; border: 1px solid #ccc; }}
.removals td {{ padding: .1rem .6rem .1rem 0; vertical-align: top; font-size: .9rem; }}
footer {{ color: #888; font-size: .85rem; margin-top: 2rem; }}
{_KIND_RULES}
"""


def item_id(key: str) -> str:
    """The item's name in a preview address: a hash of its key (which may be any URL)."""
    return hashlib.sha256(key.encode()).hexdigest()[:ITEM_ID_CHARS]


@dataclass(frozen=True, slots=True)
class SourceView:
    """What the index and a source's preview page say of one source."""

    name: str
    title: str
    enabled: bool
    state: SourceState
    next_run: datetime | None  # None: disabled
    backing_off: bool
    count: int
    failing: tuple[tuple[str, int, str], ...]  # url, failures in a row, last error
    items: tuple[Item, ...]  # newest first
    pages: frozenset[str]  # keys of the items whose page the store keeps


def when(value: float | datetime | None, never: str = "never") -> str:
    """A moment (a datetime in UTC, or a POSIX timestamp) as the index, the previews and
    ``refeed status`` show it: ``2026-12-01 16:35 UTC``."""
    if value is None:
        return never
    moment = datetime.fromtimestamp(value, UTC) if isinstance(value, float) else value
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def next_run_text(view: SourceView) -> str:
    """The next run, and the backoff it waits for."""
    if not view.enabled:
        return "disabled"
    text = when(view.next_run) if view.next_run else "at the next run"
    if view.backing_off:
        text += f" (backoff after {view.state.failures} failures in a row)"
    return text


def _page(title: str, crumbs: str, body: str) -> str:
    e = html.escape
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)} · refeed preview</title>
<style>{STYLE}</style></head>
<body><nav class="crumbs">{crumbs}</nav>
{body}
<footer>refeed {e(__version__)} · a preview: read-only, made of what the database holds</footer>
</body></html>
"""


def _failing(failing: tuple[tuple[str, int, str], ...]) -> str:
    if not failing:
        return ""
    e = html.escape
    rows = "".join(
        f"<li><code>{e(redact(url))}</code> ({times} times): {e(redact_text(cause))}</li>"
        for url, times, cause in failing
    )
    return f'<h2>Failing pages</h2><ul class="error failing">{rows}</ul>'


def render_source(view: SourceView) -> str:
    """A source's preview page: its state and its newest items, linked to their previews."""
    e = html.escape
    state = view.state
    error = (
        f'<p class="error">Last error: {e(redact_text(state.last_error))}</p>'
        if state.last_error
        else ""
    )
    if state.broken:  # refeed.breaks: its output no longer looks like its usual
        error += (
            f'<p class="error" id="broken">Broken since {when(state.broken_since)}: '
            f"{e(redact_text('; '.join(state.broken)))}</p>"
        )
    rows = []
    for item in view.items:
        link = public_link(item.url)
        original = f' · <a href="{e(link)}">original</a>' if link else ""
        kept = "page kept" if item.identity in view.pages else "no page kept"
        text = "full text" if item.full_text else "summary only"
        rows.append(
            f'<tr><td><a href="{e(quote(view.name))}/{item_id(item.identity)}">'
            f"{e(item.title)}</a>{original}</td><td>{when(item.date)}</td>"
            f"<td>{text}, {kept}</td></tr>"
        )
    items = (
        '<table class="items"><tr><th>Item</th><th>Date</th><th>Stored</th></tr>'
        f"{''.join(rows)}</table>"
        if rows
        else "<p>No items stored yet.</p>"
    )
    body = (
        f'<h1 id="source">{e(view.title)}</h1>'
        f"<dl><dt>Source</dt><dd>{e(view.name)}</dd><dt>Items</dt><dd>{view.count}</dd>"
        f"<dt>Last run</dt><dd>{when(state.last_run)}</dd>"
        f"<dt>Last success</dt><dd>{when(state.last_success)}</dd>"
        f'<dt>Next run</dt><dd class="next">{e(next_run_text(view))}</dd>'
        f"<dt>Failures in a row</dt><dd>{state.failures}</dd></dl>"
        f"{error}{_failing(view.failing)}<h2>Newest items</h2>{items}"
    )
    crumbs = f'<a href="../">refeed feeds</a> › {e(view.title)}'
    return _page(view.title, crumbs, body)


def _legend(explained: Explained) -> str:
    kinds = sorted({r.kind for r in explained.article.removals})
    chips = "".join(f'<span data-kind="{html.escape(k)}">{html.escape(k)}</span>' for k in kinds)
    return (
        f'<p class="legend">Removed: {chips or "nothing"} '
        f'<span class="{OUTSIDE}">grey: left out with the page around the story</span></p>'
    )


def _removal_rows(removals: tuple[Removal, ...]) -> str:
    e = html.escape
    return "".join(
        f"<tr><td>{e(r.kind)}</td><td>{e(r.rule)}</td><td>{e(r.text or '(no text)')}</td></tr>"
        for r in removals
    )


def render_item(
    view: SourceView,
    item: Item,
    page: Page | None,
    explained: Explained | None,
    error: str | None = None,
) -> str:
    """An item's preview: the published article beside the page, removals in place.

    Uses lxml (for an item without a page): call it in the thread that runs the cycles'
    lxml work, the event loop's."""
    e = html.escape
    link = public_link(item.url)
    original = f'<a href="{e(link)}">{e(link)}</a>' if link else "none"
    facts = (
        f"<dl><dt>Link</dt><dd>{original}</dd><dt>Date</dt><dd>{when(item.date)}</dd>"
        f"<dt>First seen</dt><dd>{when(item.first_seen)}</dd>"
    )
    if page is not None:
        facts += f"<dt>Page fetched</dt><dd>{when(page.fetched)}</dd>"
    facts += "</dl>"
    crumbs = (
        f'<a href="../../">refeed feeds</a> › <a href="../{e(quote(view.name))}">'
        f"{e(view.title)}</a> › {e(item.title)}"
    )
    heading = f'<h1 id="item">{e(item.title)}</h1>'
    failing = next(((n, why) for url, n, why in view.failing if url == item.url), None)
    if failing is not None:
        facts += (
            f'<p class="error" id="failing">The page keeps failing ({failing[0]} times):'
            f" {e(redact_text(failing[1]))}; shown is the page refeed last fetched.</p>"
        )
    if page is None or explained is None:
        why = (
            f"refeed could not extract the stored page again: {e(redact_text(error))}"
            if page is not None and error
            else "The page of this item is not stored (an item stored before refeed kept "
            "pages, or one made of its feed's own content), so only what the feed "
            "publishes can be shown."
        )
        body = (
            f'{heading}{facts}<p class="note" id="no-page">{why}</p>'
            f'<div class="column published"><h2>Published</h2>'
            f"{published_view(item.content_html)}</div>"
        )
        return _page(item.title, crumbs, body)
    article = explained.article
    same = article.html == item.content_html
    note = (
        ""
        if same
        else '<p class="note">The feed holds an earlier extraction of this page (or the '
        "source's summary): shown here is what refeed makes of the stored page now.</p>"
    )
    unplaced = (
        '<h2>Removed, not in the page\'s own markup</h2><table class="removals">'
        f"{_removal_rows(explained.unplaced)}</table>"
        if explained.unplaced
        else ""
    )
    body = (
        f"{heading}{facts}{_legend(explained)}{note}"
        '<div class="columns">'
        f'<div class="column published"><h2>Published</h2>{explained.published}</div>'
        f'<div class="column original"><h2>The page, as refeed read it</h2>'
        f"{explained.page}</div></div>"
        f"{unplaced}"
        f'<h2>Every removed block ({len(article.removals)})</h2><table class="removals">'
        f"{_removal_rows(article.removals)}</table>"
    )
    return _page(item.title, crumbs, body)
