"""The two databases behind refeed.store: what differs (connecting, refusing, migrating)
and what must not (a transaction is all or nothing), on a real PostgreSQL server too."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from conftest import postgres, run_refeed, test_database
from refeed.config import Config, load_config
from refeed.errors import ConfigError, StoreError
from refeed.models import Item, Validators
from refeed.store import MIGRATIONS, Store

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _item(n: int) -> Item:
    return Item(
        source="news",
        url=f"https://example.org/{n}",
        guid=f"g{n}",
        title=f"T{n}",
        content_html="<p>x</p>",
        first_seen=T0,
    )


def test_a_transaction_is_all_or_nothing(any_database: Path | str) -> None:
    with Store(any_database) as store:
        with pytest.raises(RuntimeError), store.transaction():
            store.save_items([_item(1), _item(2)])
            store.save_validators("https://example.org/feed", Validators(etag='"e"'))
            raise RuntimeError("the run died here")
        assert (
            store.items("news", 10) == [] and store.validators("https://example.org/feed") is None
        )
        with store.transaction():
            store.save_items([_item(1)])
            with store.transaction():  # a nested block joins the outer one
                store.save_validators("https://example.org/feed", Validators(etag='"e"'))
        assert [i.url for i in store.items("news", 10)] == ["https://example.org/1"]
        assert store.validators("https://example.org/feed") == Validators(etag='"e"')


def test_the_database_setting_takes_a_path_or_a_postgresql_url(tmp_path: Path) -> None:
    assert Config(database="refeed.db").resolve(tmp_path).database == tmp_path / "refeed.db"
    url = "postgresql://refeed@db.example/refeed"
    assert Config(database=url).resolve(tmp_path).database == url
    path = tmp_path / "config.yaml"
    path.write_text("database: mysql://u:secret@db.example/refeed\nsources: []\n", "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "neither a file nor a PostgreSQL URL" in message and "config.yaml:1" in message
    assert "secret" not in message


def test_a_server_that_is_down_is_one_line_naming_it_without_its_password() -> None:
    with pytest.raises(StoreError) as caught:
        Store("postgresql://refeed:hunter2@127.0.0.1:9/refeed")
    message = str(caught.value)
    assert "\n" not in message and "hunter2" not in message
    assert "127.0.0.1:9/refeed" in message and "start PostgreSQL" in message


def _connect(url: str) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(url, autocommit=True)


def test_a_schema_of_another_program_or_of_a_newer_refeed_is_refused() -> None:
    theirs = postgres().schema()
    with _connect(theirs) as conn:
        conn.execute("CREATE TABLE invoices (id integer)")
    with pytest.raises(StoreError, match="not a refeed database"):
        Store(theirs)
    with _connect(theirs) as conn:  # nothing was added to it
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchall()
    assert tables == [("invoices",)]

    newer = postgres().schema()
    Store(newer).close()
    with _connect(newer) as conn:
        conn.execute("UPDATE refeed_schema SET version = %s", (len(MIGRATIONS) + 2,))
    with pytest.raises(StoreError, match="made by a newer refeed"):
        Store(newer)


def test_workers_starting_together_migrate_once(tmp_path: Path) -> None:
    url = test_database(tmp_path, "postgresql")
    assert isinstance(url, str)
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            Store(url).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with _connect(url) as conn:
        assert conn.execute("SELECT version FROM refeed_schema").fetchall() == [(len(MIGRATIONS),)]
    with Store(url) as store:
        store.save_item(_item(1))
        assert store.count("news") == 1


def test_the_database_password_is_never_shown_by_the_commands(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        "database: postgresql://refeed:hunter2@127.0.0.1:9/refeed\n"
        "sources:\n  - name: a\n    feed: https://example.org/rss\n",
        "utf-8",
    )
    check = run_refeed("check", "-c", str(config))
    assert check.returncode == 0 and "127.0.0.1:9/refeed" in check.stdout
    for result in (check, run_refeed("status", "-c", str(config))):
        assert "hunter2" not in result.stdout + result.stderr
    status = run_refeed("status", "-c", str(config))
    assert status.returncode == 1 and len(status.stderr.strip().splitlines()) == 1
