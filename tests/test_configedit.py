"""Appending sources to config.yaml: the user's text stays byte for byte (refeed.configedit)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from conftest import ROOT
from refeed.config import parse_config
from refeed.configedit import append_sources, render_entries, write_config

NEW = [{"name": "new", "feed": "https://new.example/feed?a=1#top"}]
P = Path("config.yaml")


def _names(text: str) -> list[str]:
    return [s.name for s in parse_config(text, P).sources]


def test_the_example_config_keeps_every_byte_and_gets_the_source_last() -> None:
    text = (ROOT / "config.yaml").read_text("utf-8")
    edited = append_sources(text, NEW, P)
    # its sources are kept apart by blank lines, and so is the new one
    assert edited == text + "\n  - name: new\n    feed: https://new.example/feed?a=1#top\n"
    assert _names(edited) == ["dialog", "blog", "new"]
    assert parse_config(edited, P).sources[-1].feed == "https://new.example/feed?a=1#top"


def test_the_entry_goes_after_the_last_item_not_after_the_comments_of_the_next_key() -> None:
    text = (
        "# my feeds\n"
        "sources:\n"
        "- name: a         # the first\n"
        "  feed: 'https://a.example/rss'\n"
        "  # links: later\n"
        "\n"
        "# --- global settings ---\n"
        "max_items: 3  # few\n"
    )
    edited = append_sources(text, [*NEW, {"name": "b", "page": "https://b.example/"}], P)
    head = "# my feeds\nsources:\n- name: a         # the first\n  feed: 'https://a.example/rss'\n  # links: later\n"
    added = "- name: new\n  feed: https://new.example/feed?a=1#top\n- name: b\n  page: https://b.example/\n"
    assert edited == head + added + "\n# --- global settings ---\nmax_items: 3  # few\n"
    assert _names(edited) == ["a", "new", "b"]
    assert parse_config(edited, P).max_items == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "sources:\n  - name: new\n"),
        ("# only a comment", "# only a comment\nsources:\n  - name: new\n"),
        ("max_items: 3\n", "max_items: 3\nsources:\n  - name: new\n"),
        ("sources:\nmax_items: 3\n", "sources:\n  - name: new\n"),
        ("sources: []   # none yet\nmax_items: 3\n", "sources:   # none yet\n  - name: new\n"),
        ("sources: ~\n", "sources:\n  - name: new\n"),
        ("sources:\r\n  - name: a\r\n    feed: https://a.example/\r\n", "\r\n  - name: new\r\n"),
    ],
)
def test_a_config_without_sources_gets_a_list(text: str, expected: str) -> None:
    edited = append_sources(text, NEW, P)
    assert expected in edited
    assert "new" in _names(edited)
    assert "max_items" not in text or parse_config(edited, P).max_items == 3


def test_a_flow_list_is_appended_by_round_trip() -> None:
    text = "max_items: 3   # few\nsources: [{name: a, feed: 'https://a.example/'}]\n"
    edited = append_sources(text, NEW, P)
    assert _names(edited) == ["a", "new"]
    assert "# few" in edited and "'https://a.example/'" in edited


def test_entries_are_quoted_where_yaml_needs_it() -> None:
    odd = {"name": "odd", "feed": "https://x.example/a: b #c", "title": "yes"}
    rendered = render_entries([odd])
    assert rendered.startswith("  - name: odd\n    feed: ")
    [source] = parse_config("sources:\n" + rendered, P).sources
    assert source.feed == "https://x.example/a: b #c" and source.title == "yes"


def test_write_config_replaces_the_file_keeping_its_mode_and_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.yaml"
    real.write_text("old\n", encoding="utf-8")
    real.chmod(0o600)
    link = tmp_path / "config.yaml"
    link.symlink_to(real)
    write_config(link, "new\n")
    assert link.is_symlink() and real.read_text("utf-8") == "new\n"
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    made = tmp_path / "sub" / "config.yaml"
    write_config(made, "made\n")
    assert made.read_text("utf-8") == "made\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
