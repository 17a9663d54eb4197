"""A bad config is exit 2 with the file, the line, the key and the fix; a typo never disables a source."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_refeed
from refeed.config import parse_config
from refeed.errors import ConfigError

GOOD = "sources:\n  - name: a\n    feed: https://x.org/rss\n"

# (config text, the line, the key path, a word of the fix)
CASES = [
    ("sources:\n  - name: a\n    feed: https://x.org/rss\n    bogus: 1\n", 4, "sources[0] (name: a).bogus", "spelling"),
    ("sources:\n  - name: a\n    feed: https://x.org/rss\n    enabeld: false\n", 4, "enabeld", "spelling"),
    ("sources:\n  - name: a\n    feed: https://x.org/rss\n    enabled: flase\n", 4, "sources[0] (name: a).enabled", "boolean"),
    ("max_items: lots\n", 1, "max_items", "integer"),
    ("output_dir: feeds\nmax_items: -3\n", 2, "max_items", "greater than"),
    ("formats: [atom, pdf]\n", 1, "formats[1]", "'atom'"),
    ("sources:\n  - name: a\n    feed: htp://x.org/rss\n", 3, "sources[0] (name: a).feed", "https://"),
    ("sources:\n  - name: a\n    feed: https://\n", 3, "sources[0] (name: a).feed", "http(s) URL"),
    ("sources:\n  - name: a\n    page: /relative/path\n", 3, "sources[0] (name: a).page", "http(s) URL"),
    ("schedule: every tuesday\n", 1, "schedule", "*/30 * * * *"),
    ("sources:\n  - name: a\n    feed: https://x.org/\n    schedule: '61 * * * *'\n", 4, "sources[0] (name: a).schedule", "cron"),
    ("sources:\n  - name: a\n    feed: https://x.org/\n  - name: a\n    feed: https://y.org/\n", 1, "sources", "unique"),
    ("sources:\n  - name: Bad Name\n    feed: https://x.org/\n", 2, "sources[0] (name: Bad Name).name", "slug"),
    ("sources:\n  - name: a\n", 2, "sources[0] (name: a)", "feed: URL"),
    ("sources:\n  - feed: https://x.org/\n", 2, "sources[0].name", "required"),
    ("source:\n  - name: a\n    feed: https://x.org/\n", 1, "source", "spelling"),
    ("sources: [\n", 2, "not valid YAML", "YAML"),
    ("- just\n- a list\n", 1, "top level", "mapping"),
    # a key given twice: YAML would silently keep the second one
    (GOOD + "sources:\n  - name: b\n    feed: https://y.org/\n", 4, "'sources' is given twice", "keep one"),
    ("sources:\n  - name: a\n    feed: https://x.org/\n    enabled: true\n    enabled: false\n", 5, "'enabled' is given twice", "first on line 4"),
    ("allow_hosts: {intranet: yes}\n", 1, "allow_hosts", "a list of host names"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "line", "key", "fix"), CASES)
def test_errors_name_file_line_key_and_fix(
    tmp_path: Path, text: str, line: int, key: str, fix: str
) -> None:
    path = tmp_path / "config.yaml"
    with pytest.raises(ConfigError) as caught:
        parse_config(text, path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert key in message and fix in message, message


def test_a_good_config_still_loads(tmp_path: Path) -> None:
    config = parse_config(GOOD + "allow_hosts: [localhost, 10.0.0.0/8]\n", tmp_path / "c.yaml")
    assert [s.name for s in config.sources] == ["a"] and config.allow_hosts == (
        "localhost",
        "10.0.0.0/8",
    )


@pytest.mark.parametrize("kind", ["directory", "not utf-8", "duplicate key"])
def test_unreadable_or_ambiguous_files_exit_2(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "config.yaml"
    if kind == "directory":
        path.mkdir()
    elif kind == "not utf-8":
        path.write_bytes(b"sources:\n  - name: \xff\xfe\n")
    else:
        path.write_text(GOOD + "sources: []\n", encoding="utf-8")
    for command in ("run", "check", "daemon", "status"):
        result = run_refeed(command, "-c", str(path))
        assert result.returncode == 2, (command, result.stderr)
        assert str(path) in result.stderr and "config error" in result.stderr


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("30", 30), ("30min", 30), ("90s", 1.5), ("1.5h", 90), ("2 hours", 120), ("1d", 1440)],
)
def test_common_interval_forms_are_schedules(text: str, minutes: float, tmp_path: Path) -> None:
    from refeed.config import parse_schedule

    config = parse_config(f"schedule: {text}\n", tmp_path / "c.yaml")
    interval = parse_schedule(config.schedule).interval
    assert interval is not None and interval.total_seconds() == minutes * 60


@pytest.mark.parametrize(("text", "cron"), [("@hourly", "0 * * * *"), ("@daily", "0 0 * * *")])
def test_cron_nicknames_are_schedules(text: str, cron: str, tmp_path: Path) -> None:
    from refeed.config import parse_schedule

    config = parse_config(f'schedule: "{text}"\n', tmp_path / "c.yaml")
    assert parse_schedule(config.schedule).cron == cron


def test_one_selector_where_a_list_is_meant_and_home_in_paths(tmp_path: Path) -> None:
    config = parse_config(
        "output_dir: ~/feeds\nsources:\n  - name: a\n    feed: https://x.example/\n"
        "    strip: .share\n    formats: atom\n",
        tmp_path / "c.yaml",
    )
    assert config.sources[0].strip == (".share",) and config.sources[0].formats == ("atom",)
    assert config.output_dir == Path.home() / "feeds"


def test_a_schedule_that_is_none_names_the_forms_it_could_be(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"is not a schedule: use a cron expression .*@hourly"):
        parse_config("schedule: every day\n", tmp_path / "c.yaml")
