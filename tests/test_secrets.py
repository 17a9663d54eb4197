"""Credentials in source URLs are never shown nor published; a config can take them from
the environment, so that config.yaml can be shared."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from conftest import Site, run_refeed, serving
from refeed.config import load_config, parse_config
from refeed.errors import ConfigError, FetchError
from refeed.metrics import Metrics
from refeed.store import Store
from refeed.urls import public_url, redact, redact_text

STORY = "<p>" + "The harbour board met on Tuesday to discuss the new ferry timetable. " * 6 + "</p>"


@pytest.mark.parametrize(
    ("url", "shown", "published"),
    [
        ("https://user:hunter2@example.org/rss", "https://***@example.org/rss", "https://example.org/rss"),
        ("https://example.org/rss?api_key=K1&page=2", "https://example.org/rss?api_key=***&page=2", "https://example.org/rss?page=2"),
        ("https://example.org/?apiKey=K&X-Auth-Token=T&access_token=A&sig=S&q=ferry",
         "https://example.org/?apiKey=***&X-Auth-Token=***&access_token=***&sig=***&q=ferry",
         "https://example.org/?q=ferry"),
        ("https://example.org/?password=p&Session=s&private_key=k", "https://example.org/?password=***&Session=***&private_key=***", "https://example.org/"),
        ("https://example.org/news?keywords=ferry&page=2", "https://example.org/news?keywords=ferry&page=2", "https://example.org/news?keywords=ferry&page=2"),
        ("https://example.org/a/b", "https://example.org/a/b", "https://example.org/a/b"),
    ],
)  # fmt: skip
def test_secrets_are_masked_when_shown_and_dropped_when_published(
    url: str, shown: str, published: str
) -> None:
    assert redact(url) == shown
    assert public_url(url) == published


def test_every_url_in_a_message_is_masked() -> None:
    message = "redirect from http://a:b@x.example/ to https://y.example/?token=T failed"
    assert redact_text(message) == (
        "redirect from http://***@x.example/ to https://y.example/?token=*** failed"
    )
    error = FetchError("HTTP 404 Not Found", url="https://u:p@x.example/?key=K", source="news")
    assert str(error) == "news <https://***@x.example/?key=***>: HTTP 404 Not Found"


def test_config_takes_values_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFEED_TEST_TOKEN", "tok-5150-secret")
    config = parse_config(
        "sources:\n"
        "  - name: a\n"
        "    feed: https://news.example/rss?key=${REFEED_TEST_TOKEN}\n"
        "    headers: {Authorization: 'Bearer ${REFEED_TEST_TOKEN}'}\n"
        "    title: 'costs $${PRICE} and $5'\n",
        Path("config.yaml"),
    )
    [source] = config.sources
    assert source.url == "https://news.example/rss?key=tok-5150-secret"
    assert source.headers == {"Authorization": "Bearer tok-5150-secret"}
    assert source.title == "costs ${PRICE} and $5"
    # a value from the environment is a secret wherever it shows, whatever its name
    assert redact_text("GET https://news.example/x/tok-5150-secret/ failed") == (
        "GET https://news.example/x/***/ failed"
    )


def test_a_missing_variable_names_the_file_line_key_and_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("REFEED_TEST_UNSET", raising=False)
    with pytest.raises(ConfigError) as caught:
        parse_config(
            "sources:\n  - name: a\n    feed: https://x.example/?t=${REFEED_TEST_UNSET}\n",
            Path("config.yaml"),
        )
    assert str(caught.value).startswith("config.yaml:3: sources[0] (name: a).feed:")
    assert "REFEED_TEST_UNSET is not set" in str(caught.value)


def test_no_credential_of_a_source_url_is_shown_or_published(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.add(
        "news/one.html",
        f"<html><head><title>One</title></head><body><article>{STORY}</article></body></html>",
    )
    site.add(
        "news/two.html",
        f"<html><head><title>Two</title></head><body><article>{STORY}</article></body></html>",
    )
    site.add(
        "list",
        '<html><head><title>Harbour news</title></head><body><main>'
        '<h2><a href="/news/one.html">The ferry timetable changes next month</a></h2>'
        '<h2><a href="/news/two.html">The harbour board elects a new chair</a></h2>'
        "</main></body></html>",
    )  # fmt: skip
    port = site.base.split(":")[2].rstrip("/")
    config = tmp_path / "config.yaml"
    config.write_text(
        "allow_private_networks: true\n"
        "base_url: https://feeds.example.org/\n"
        "sources:\n"
        f"  - name: listing\n    page: http://reader:${{PASSWORD}}@127.0.0.1:{port}/list?api_key=K-77-SECRET\n"
        f"  - name: broken\n    feed: http://reader:${{PASSWORD}}@127.0.0.1:{port}/gone?token=T-88-SECRET\n",
        encoding="utf-8",
    )  # fmt: skip
    env = {"PASSWORD": "pw-99-SECRET"}
    run = run_refeed("run", "-c", str(config), env=env)
    assert run.returncode == 1  # "broken" fails: its error line names its URL
    assert "HTTP 404" in run.stderr
    status = run_refeed("status", "-c", str(config), env=env)
    check = run_refeed("check", "-c", str(config), env=env)
    assert "HTTP 404" in status.stdout and "listing" in check.stdout
    # the credentials reached the server, so the source works
    assert any(h.path.startswith("/list?api_key=K-77-SECRET") for h in site.hits)
    assert any("authorization" in h.headers for h in site.hits if h.path.startswith("/list"))
    shown = [run.stdout, run.stderr, status.stdout, check.stdout]
    feeds = tmp_path / "feeds"
    shown += [path.read_text(encoding="utf-8") for path in feeds.iterdir()]
    assert (feeds / "listing.atom").exists() and (feeds / "index.opml").exists()
    monkeypatch.setenv("PASSWORD", env["PASSWORD"])
    loaded = load_config(config)
    with Store(loaded.database) as store:  # an error stored by an older refeed, unmasked
        store.record_run("broken", at=datetime.now(UTC) - timedelta(days=10))
        store.record_run(
            "broken", at=datetime.now(UTC) - timedelta(days=9),
            error="broken <http://reader:pw-99-SECRET@x.example/?token=T-88-SECRET>: HTTP 500",
        )  # fmt: skip
    with serving(loaded, Metrics()) as served:
        shown += [httpx.get(served.url(p)).text for p in ("/", "/healthz", "/index.opml")]
    for text in shown:
        for secret in ("pw-99-SECRET", "K-77-SECRET", "T-88-SECRET", "reader:"):
            assert secret not in text, (secret, text[:2000])
    assert "***" in run.stderr and "***" in shown[-2]  # /healthz shows the masked error
