"""Tests of refeed.store against real SQLite files and a real PostgreSQL server."""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from refeed import defaults
from refeed.models import CycleRecord, Extracted, Item, Page, Validators
from refeed.store import MIGRATIONS, SourceState, Store, schema

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def make_item(n: int, *, source: str = "news", **changes: object) -> Item:
    item = Item(
        source=source,
        url=f"https://example.org/{n}",
        guid=f"guid-{n}",
        title=f"Title {n}",
        content_html=f"<p>Body {n}</p>",
        first_seen=T0 + timedelta(minutes=n),
    )
    return replace(item, **changes)  # type: ignore[arg-type]


@pytest.fixture
def store(any_database: Path | str) -> Iterator[Store]:
    """A new store of each kind: SQLite, PostgreSQL."""
    with Store(any_database) as s:
        yield s


def raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path)


def test_wal_mode_and_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "refeed.sqlite"
    Store(path).close()
    assert path.exists()
    db = raw(path)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) >= 1
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        db.close()


def test_reopen_keeps_data_and_does_not_rerun_migrations(tmp_path: Path) -> None:
    path = tmp_path / "refeed.sqlite"
    with Store(path) as s:
        s.save_item(make_item(1))
        s.save_validators("https://example.org/feed", Validators(etag='"abc"'))
    # A re-run migration 1 would fail with "table already exists".
    with Store(path) as s:
        got = s.item("news", "https://example.org/1")
        assert got == make_item(1)
        assert s.validators("https://example.org/feed") == Validators(etag='"abc"')
    db = raw(path)
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    finally:
        db.close()


def test_save_item_twice_keeps_first_seen_and_updates_content(store: Store) -> None:
    first = make_item(1)
    store.save_item(first)
    later = replace(
        first,
        content_html="<p>Full article</p>",
        full_text=True,
        first_seen=T0 + timedelta(days=3),
        title="New title",
    )
    store.save_item(later)
    got = store.item("news", first.url)
    assert got is not None
    assert got.first_seen == first.first_seen
    assert got.content_html == "<p>Full article</p>"
    assert got.title == "New title"
    assert got.full_text is True
    assert len(store.items("news", 10)) == 1


def test_save_items_inserts_and_updates_in_one_transaction(tmp_path: Path) -> None:
    with Store(tmp_path / "r.db") as store:
        store.save_item(make_item(1))
        commits: list[bool] = []
        store._db._db.set_trace_callback(lambda sql: commits.append(sql.startswith("COMMIT")))
        store.save_items([make_item(1, title="Changed"), make_item(2), make_item(3)])
        store.save_items([])
        store._db._db.set_trace_callback(None)
        assert sum(commits) == 1  # one commit for the three items, none for no items
        assert [i.title for i in store.items("news", 10)] == ["Title 3", "Title 2", "Changed"]
        assert store.item("news", make_item(1).url) == make_item(1, title="Changed")


def test_item_missing_returns_none(store: Store) -> None:
    assert store.item("news", "https://example.org/none") is None


def test_items_order_and_limit(store: Store) -> None:
    # 1: no published date, seen last -> sorts by first_seen (T0+1min)
    # 2: published long ago
    # 3: published in the future relative to everything -> newest
    # 4: same published date as 2 but seen later -> before 2
    store.save_item(make_item(1))
    store.save_item(make_item(2, published=T0 - timedelta(days=2)))
    store.save_item(make_item(3, published=T0 + timedelta(days=1)))
    store.save_item(make_item(4, published=T0 - timedelta(days=2)))
    store.save_item(make_item(9, source="other"))
    urls = [item.url.rsplit("/", 1)[1] for item in store.items("news", 10)]
    assert urls == ["3", "1", "4", "2"]
    assert [i.url for i in store.items("news", 2)] == [
        "https://example.org/3",
        "https://example.org/1",
    ]
    assert store.items("news", 0) == []
    assert [i.source for i in store.items("other", 10)] == ["other"]


def test_pending_lists_items_without_full_text(store: Store) -> None:
    store.save_item(make_item(1))
    store.save_item(make_item(2, full_text=True))
    store.save_item(make_item(3))
    store.save_item(make_item(4, source="other"))
    assert [i.url for i in store.pending("news")] == [
        "https://example.org/3",
        "https://example.org/1",
    ]
    store.save_item(make_item(3, full_text=True))
    assert [i.url for i in store.pending("news")] == ["https://example.org/1"]


def test_prune_keeps_newest(store: Store) -> None:
    for n in range(1, 8):
        store.save_item(make_item(n))
    store.save_item(make_item(100, source="other"))
    assert store.prune("news", 3) == 4
    assert [i.url for i in store.items("news", 10)] == [
        f"https://example.org/{n}" for n in (7, 6, 5)
    ]
    assert store.prune("news", 3) == 0
    assert len(store.items("other", 10)) == 1


def test_validators_round_trip_and_delete(store: Store) -> None:
    url = "https://example.org/feed"
    assert store.validators(url) is None
    v = Validators(etag='W/"xyz"', last_modified="Wed, 01 May 2024 12:00:00 GMT")
    store.save_validators(url, v)
    assert store.validators(url) == v
    # A 304 keeps the stored validators: saving the same again changes nothing.
    store.save_validators(url, v)
    assert store.validators(url) == v
    store.save_validators(url, Validators(etag='"new"'))
    assert store.validators(url) == Validators(etag='"new"')
    store.save_validators(url, Validators())
    assert store.validators(url) is None


def test_record_run_counts_failures(store: Store) -> None:
    assert store.state("news") == SourceState("news")
    store.record_run("news", at=T0, error="timeout")
    store.record_run("news", at=T0 + timedelta(hours=1), error="HTTP 503")
    st = store.state("news")
    assert st.failures == 2
    assert st.last_error == "HTTP 503"
    assert st.last_run == T0 + timedelta(hours=1)
    assert st.last_success is None
    store.record_run("news", at=T0 + timedelta(hours=2))
    st = store.state("news")
    assert st == SourceState(
        "news",
        last_run=T0 + timedelta(hours=2),
        last_success=T0 + timedelta(hours=2),
        last_error=None,
        failures=0,
    )
    store.record_run("news", at=T0 + timedelta(hours=3), error="boom")
    st = store.state("news")
    assert (st.failures, st.last_success) == (1, T0 + timedelta(hours=2))
    store.record_run("alpha", at=T0)
    assert [s.name for s in store.states()] == ["alpha", "news"]


def test_cyrillic_round_trip(store: Store) -> None:
    item = make_item(
        1,
        source="новости",
        url="https://пример.рф/статья/1",
        title="Заголовок «новости» — ёж",
        content_html="<p>Привет, мир! Щука и ёлка.</p>",
        author="Иван Петров",
    )
    store.save_item(item)
    assert store.item("новости", "https://пример.рф/статья/1") == item
    store.record_run("новости", at=T0, error="ошибка сети")
    assert store.state("новости").last_error == "ошибка сети"


def test_aware_datetimes_round_trip(store: Store) -> None:
    msk = timezone(timedelta(hours=3))
    published = datetime(2024, 5, 1, 15, 30, 45, 123456, tzinfo=msk)
    item = make_item(1, published=published, updated=datetime(2024, 5, 2, tzinfo=msk))
    store.save_item(item)
    got = store.item("news", item.url)
    assert got is not None
    assert got.published == published
    assert got.published is not None and got.published.tzinfo is not None
    assert got.published.utcoffset() == timedelta(0)
    assert got.updated == datetime(2024, 5, 1, 21, tzinfo=UTC)
    assert got.first_seen.tzinfo is not None
    # Ordering compares instants, not local wall-clock text.
    store.save_item(make_item(2, published=datetime(2024, 5, 1, 13, 0, tzinfo=UTC)))
    assert [i.url for i in store.items("news", 2)] == [
        "https://example.org/2",
        "https://example.org/1",
    ]


def test_integrity_check_after_writes(tmp_path: Path) -> None:
    path = tmp_path / "refeed.sqlite"
    with Store(path) as s:
        for n in range(20):
            s.save_item(make_item(n))
        s.prune("news", 5)
        s.record_run("news", at=T0)
    db = raw(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT count(*) FROM items").fetchone()[0] == 5
    finally:
        db.close()


def test_cycles_are_kept_with_their_break_in_bounds(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(defaults, "HISTORY_CYCLES", 3)
    monkeypatch.setattr(defaults, "HISTORY_ITEMS", 3)
    good = CycleRecord(listed=2, new=2, extracted=(Extracted(2400), Extracted(120, True)))
    store.record_cycle("news", good, broken=(), at=T0)
    store.record_cycle("other", CycleRecord(listed=0), broken=(), at=T0)
    assert store.history("news") == [good]
    assert store.state("news").broken == ()
    short = CycleRecord(listed=1, new=1, extracted=(Extracted(90),))
    store.record_cycle("news", short, broken=("item text 90 chars",), at=T0 + timedelta(hours=1))
    store.record_run("news", at=T0 + timedelta(hours=1))  # a run does not touch the break
    store.record_cycle("news", short, broken=("still short",), at=T0 + timedelta(hours=2))
    state = store.state("news")
    assert state.broken == ("still short",)
    assert state.broken_since == T0 + timedelta(hours=1)  # when it began
    assert store.history("news")[-1] == replace(short, broken=True)
    store.record_cycle("news", good, broken=(), at=T0 + timedelta(hours=3))
    assert (store.state("news").broken, store.state("news").broken_since) == ((), None)
    # the last 3 cycles, and of their extractions the last 3 (the oldest one dropped)
    history = store.history("news")
    assert [c.listed for c in history] == [1, 1, 2]
    assert [x.chars for c in history for x in c.extracted] == [90, 2400, 120]
    assert [len(c.extracted) for c in history] == [0, 1, 2]
    assert store.history("other") == [CycleRecord(listed=0)]


def test_a_database_of_the_previous_schema_gains_the_history(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = raw(path)
    for number in range(1, 6):
        db.executescript(
            f"BEGIN;\n{schema.script(number, schema.SQLITE)}\n;PRAGMA user_version = {number}; COMMIT;"
        )
    db.execute(
        "INSERT INTO sources (name, last_run, failures) VALUES ('news', ?, 2)", (T0.isoformat(),)
    )
    db.commit()
    db.close()
    with Store(path) as store:
        assert store.state("news") == SourceState("news", last_run=T0, failures=2)
        assert store.history("news") == []
        store.record_cycle("news", CycleRecord(listed=0), broken=("empty",), at=T0)
        assert store.state("news").broken == ("empty",)
        assert store.state("news").failures == 2


def test_an_items_page_is_kept_compressed_and_ages_out_with_it(tmp_path: Path) -> None:
    path = tmp_path / "refeed.sqlite"
    body = ("<html><body>" + "<p>Ценник на хлеб вырос.</p>" * 2000 + "</body></html>").encode()
    page = Page("https://example.org/1?final", body, "text/html; charset=utf-8", T0)
    with Store(path) as s:
        s.save_items([make_item(1), make_item(2)])
        s.save_page("news", "https://example.org/1", page)
        assert s.page("news", "https://example.org/1") == page
        assert s.page("news", "https://example.org/2") is None  # never kept: said as None
        newer = replace(page, body=b"<p>again</p>", fetched=T0 + timedelta(hours=1))
        s.save_page("news", "https://example.org/1", newer)  # a page fetched again replaces it
        assert s.page("news", "https://example.org/1") == newer
        s.save_page("news", "https://example.org/1", page)
    db = raw(path)
    try:
        (stored,) = db.execute("SELECT body FROM pages").fetchone()
        assert len(stored) < len(body) / 20  # compressed
    finally:
        db.close()
    with Store(path) as s:
        s.save_item(make_item(3))
        s.prune("news", keep=1)  # item 1 ages out, its page with it
        assert s.page("news", "https://example.org/1") is None
    db = raw(path)
    try:
        assert db.execute("SELECT count(*) FROM pages").fetchone()[0] == 0
    finally:
        db.close()


def test_a_page_over_the_cap_is_not_kept_nor_inflated_past_it(store: Store) -> None:
    store.save_item(make_item(1))
    big = b"<p>x</p>" * (defaults.MAX_PAGE_BYTES // 8 + 1)
    store.save_page("news", "https://example.org/1", Page("https://example.org/1", big, None, T0))
    assert store.page("news", "https://example.org/1") is None
    # a database written by something else: a bomb in the column is cut at the cap
    store._db.run(
        "INSERT INTO pages (source, key, url, fetched, body) VALUES (?, ?, ?, ?, ?)",
        ("news", "https://example.org/1", "u", T0.isoformat(), zlib.compress(big, 9)),
    )
    assert store.page("news", "https://example.org/1") is None
