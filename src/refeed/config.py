"""Read config.yaml once, validate it, and hand out frozen objects.

An error names the file, the key path and the fix, and becomes exit status 2
in the CLI. Relative paths (output dir, database) are relative to the config file.

Any string value may take a part from the environment, ``${NAME}`` (``$${`` is a
literal ``${``), so that a shared config.yaml holds no secret: such values are
masked wherever refeed shows a URL or a message (:func:`refeed.urls.declare_secret`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from refeed import defaults
from refeed.errors import ConfigError
from refeed.urls import declare_secret, redact

if TYPE_CHECKING:
    from refeed.filters import Filter

Format = Literal["atom", "rss", "json"]

_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_INTERVAL = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)?\s*$",
    re.IGNORECASE,
)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_NICKNAMES = {
    "@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}  # fmt: skip
SCHEDULE_FORMS = (
    "a cron expression ('*/30 * * * *'), an interval ('45m', '90s', '2h', '1.5h', '1d', or a "
    "number of minutes) or one of @hourly, @daily, @weekly, @monthly"
)


@dataclass(frozen=True, slots=True)
class Schedule:
    """A source's schedule: a cron expression or a fixed interval."""

    cron: str | None = None
    interval: timedelta | None = None

    def __str__(self) -> str:
        if self.cron is not None:
            return self.cron
        assert self.interval is not None
        return f"every {int(self.interval.total_seconds())}s"


def parse_schedule(value: str) -> Schedule:
    """A cron expression, an interval (``"45m"``, ``"1.5h"``, ``"90s"``, ``"1d"``, ``"30"``
    minutes, ``"30min"``, ``"2 hours"``) or a nickname (``"@hourly"``, ``"@daily"``, ...)."""
    value = _NICKNAMES.get(value.strip().lower(), value)
    match = _INTERVAL.match(value)
    if match:
        amount = float(match.group(1))
        if amount <= 0:
            raise ValueError("an interval must be positive, e.g. '45m'")
        unit = _UNITS[(match.group(2) or "m")[0].lower()]
        return Schedule(interval=timedelta(**{unit: amount}))
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(value)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a schedule: use {SCHEDULE_FORMS} ({exc})") from exc
    return Schedule(cron=value.strip())


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{value!r} is not an http(s) URL, e.g. 'https://example.com/rss.xml'")
    return value


def _schedule(value: str) -> str:
    parse_schedule(value)
    return value


def _number_as_text(value: Any) -> Any:
    """``schedule: 30`` (a YAML number) is ``"30"``."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def _one_or_many(what: str, example: str) -> Any:
    """A validator taking one value where a list is meant (``strip: .share``)."""

    def accept(value: Any) -> Any:
        if isinstance(value, str):
            return (value,)
        if value is None or isinstance(value, list | tuple):
            return value
        raise ValueError(f"give a list of {what}, e.g. {example}")

    return accept


HttpUrl = Annotated[str, AfterValidator(_http_url)]
ScheduleText = Annotated[str, BeforeValidator(_number_as_text), AfterValidator(_schedule)]
Selectors = Annotated[
    tuple[str, ...], BeforeValidator(_one_or_many("CSS selectors", '[".share", ".related"]'))
]
Hosts = Annotated[
    tuple[str, ...],
    BeforeValidator(_one_or_many("host names or networks", "[intranet.example, 10.0.0.0/8]")),
]
Folders = Annotated[
    tuple[Path, ...],
    BeforeValidator(_one_or_many("folders", "[site-rules/, ftr-site-config/]")),
]


def _database(value: object) -> object:
    """A PostgreSQL URL stays text; anything else is the path of an SQLite file."""
    if isinstance(value, str) and "://" in value:
        if not value.startswith(("postgresql://", "postgres://")):
            raise ValueError(
                f"{redact(value)} is neither a file nor a PostgreSQL URL"
                " (postgresql://user@host/dbname)"
            )
        return value
    return Path(value) if isinstance(value, str) else value


# the path of an SQLite file, or postgresql://... (refeed.store)
Database = Annotated[Path | str, BeforeValidator(_database)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class SourceConfig(_Model):
    """One source as written in the file; unset optional keys take the global values."""

    name: str
    feed: HttpUrl | None = None
    page: HttpUrl | None = None
    links: str | None = None
    title: str | None = None
    schedule: ScheduleText | None = None
    max_items: int | None = Field(default=None, ge=1, le=10_000)
    content: str | None = None
    strip: Selectors = ()
    formats: Annotated[
        tuple[Format, ...] | None, BeforeValidator(_one_or_many("formats", "[atom, rss, json]"))
    ] = None
    headers: dict[str, str] = Field(default_factory=dict)
    # site rules of this source's own, in the Full-Text RSS format (refeed.siterules)
    rules: str | None = None
    # which items are published (refeed.filters): regular expressions, or {field: regex}
    keep: Annotated[tuple[str | dict[str, str], ...], BeforeValidator(_one_or_many(
        "filters", "['(?i)climate', {title: '(?i)sponsored'}]"))] = ()  # fmt: skip
    block: Annotated[tuple[str | dict[str, str], ...], BeforeValidator(_one_or_many(
        "filters", "['(?i)climate', {title: '(?i)sponsored'}]"))] = ()  # fmt: skip
    drop_stubs: bool = False  # an item whose page gave only the feed's teaser: not published
    max_pages: int | None = Field(default=None, ge=1, le=50)  # of a story split over pages
    fetch_pages: bool = True
    allow_private_networks: bool | None = None
    allow_hosts: Hosts = ()  # private hosts or networks this source may reach
    enabled: bool = True

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError(
                f"{value!r} is not a slug: use lower-case letters, digits, '.', '_' and '-' "
                "(it names the output files)"
            )
        return value

    @field_validator("links", "content")
    @classmethod
    def _css(cls, value: str | None) -> str | None:
        return _check_css(value) if value is not None else None

    @field_validator("strip")
    @classmethod
    def _css_list(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_css(v) for v in value)

    @field_validator("keep", "block")
    @classmethod
    def _filters(cls, value: tuple[str | dict[str, str], ...]) -> tuple[str | dict[str, str], ...]:
        from refeed.filters import compile_filter

        for written in value:
            compile_filter(written)  # a ValueError names the field or the expression
        return value

    def filters(self) -> tuple[tuple[Filter, ...], tuple[Filter, ...]]:
        """The compiled ``keep`` and ``block`` filters."""
        from refeed.filters import compile_filter

        return tuple(map(compile_filter, self.keep)), tuple(map(compile_filter, self.block))

    @model_validator(mode="after")
    def _one_kind(self) -> SourceConfig:
        if (self.feed is None) == (self.page is None):
            raise ValueError(
                "give exactly one of 'feed: URL' (a feed) or 'page: URL' (a listing page)"
            )
        if self.links is not None and self.page is None:
            raise ValueError(
                "'links' selects article links on a 'page:' source; remove it or use 'page:'"
            )
        return self

    @property
    def url(self) -> str:
        url = self.feed or self.page
        assert url is not None
        return url

    @property
    def kind(self) -> Literal["feed", "page"]:
        return "feed" if self.feed is not None else "page"


def _check_css(selector: str) -> str:
    from cssselect import GenericTranslator, SelectorError

    try:
        GenericTranslator().css_to_xpath(selector)
    except SelectorError as exc:
        raise ValueError(f"{selector!r} is not a valid CSS selector: {exc}") from exc
    return selector


class Config(_Model):
    """The whole config file."""

    output_dir: Path = Path(defaults.OUTPUT_DIR)
    database: Database = Path(defaults.DATABASE)
    base_url: HttpUrl | None = None
    user_agent: str = defaults.USER_AGENT
    schedule: ScheduleText = defaults.SCHEDULE
    max_items: int = Field(default=defaults.MAX_ITEMS, ge=1, le=10_000)
    formats: Annotated[
        tuple[Format, ...], BeforeValidator(_one_or_many("formats", "[atom, rss, json]"))
    ] = ("atom", "rss", "json")
    allow_private_networks: bool = False
    # host names or networks reachable even if private, by the sources on one of them
    allow_hosts: Hosts = ()
    timeout: float = Field(default=defaults.DEADLINE, gt=0, le=600)  # seconds per request
    cycle_timeout: float = Field(default=defaults.CYCLE_TIMEOUT, gt=0, le=86_400)  # per cycle
    max_connections: int = Field(default=defaults.MAX_CONNECTIONS, ge=1, le=1000)
    max_per_host: int = Field(default=defaults.MAX_PER_HOST, ge=1, le=100)
    max_pages: int = Field(default=defaults.MAX_PAGES, ge=1, le=50)  # of a story over pages
    websub_hub: HttpUrl | None = None  # a WebSub hub told of each changed feed
    # folders of Full-Text RSS site config files (example.com.txt), the first wins
    site_rules: Folders = ()
    # send the user agent a rule file asks for (Googlebot and the like): off unless opted in
    site_rules_user_agent: bool = False
    # keep each rendered feed in the database too, for `refeed serve` on any machine to
    # serve from there; unset: yes with a PostgreSQL database, no with an SQLite file
    feeds_in_database: bool | None = None
    sources: tuple[SourceConfig, ...] = ()

    @field_validator("base_url")
    @classmethod
    def _trailing_slash(cls, value: str | None) -> str | None:
        return value if value is None or value.endswith("/") else value + "/"

    @field_validator("sources")
    @classmethod
    def _unique(cls, value: tuple[SourceConfig, ...]) -> tuple[SourceConfig, ...]:
        seen: set[str] = set()
        for source in value:
            if source.name in seen:
                raise ValueError(f"two sources are named {source.name!r}; names must be unique")
            seen.add(source.name)
        return value

    def resolve(self, base: Path) -> Config:
        """Make relative paths relative to ``base`` (the config file's folder); ``~`` is the
        home folder."""
        return self.model_copy(
            update={
                "output_dir": base / self.output_dir.expanduser(),
                "database": base / self.database.expanduser()
                if isinstance(self.database, Path)
                else self.database,
                "site_rules": tuple(base / folder.expanduser() for folder in self.site_rules),
            }
        )

    @property
    def stores_feeds(self) -> bool:
        """Whether rendered feeds are kept in the database (``feeds_in_database``)."""
        if self.feeds_in_database is not None:
            return self.feeds_in_database
        return not isinstance(self.database, Path)

    # per-source settings with the global fallbacks applied
    def schedule_of(self, source: SourceConfig) -> Schedule:
        return parse_schedule(source.schedule or self.schedule)

    def max_pages_of(self, source: SourceConfig) -> int:
        return source.max_pages or self.max_pages

    def max_items_of(self, source: SourceConfig) -> int:
        return source.max_items or self.max_items

    def formats_of(self, source: SourceConfig) -> tuple[str, ...]:
        return source.formats or self.formats

    def private_ok(self, source: SourceConfig) -> bool:
        if source.allow_private_networks is None:
            return self.allow_private_networks
        return source.allow_private_networks

    def source(self, name: str) -> SourceConfig:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none"
        raise ConfigError(f"no source named {name!r} (sources: {known})")


def load_config(path: Path | str) -> Config:
    """Read and validate ``path``; raise :class:`ConfigError` with file, key and fix."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such file; create it (see config.yaml in refeed's README) or pass -c PATH"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the file: {exc}") from exc
    return parse_config(text, path)


class _Loader(yaml.SafeLoader):
    """Safe YAML, except that a key given twice in one mapping is an error, not a
    silent override (a second ``sources:`` would drop every source of the first)."""

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            first: dict[Any, int] = {}
            for key_node, _value in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    line = first.setdefault(key, key_node.start_mark.line)
                except TypeError:
                    continue  # an unhashable key: the base constructor reports it
                if line != key_node.start_mark.line:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"the key {key!r} is given twice (first on line {line + 1});"
                        " keep one of them",
                        key_node.start_mark,
                    )
        return super().construct_mapping(node, deep=deep)  # type: ignore[arg-type]


def parse_config(text: str, path: Path) -> Config:
    """Validate the YAML ``text`` of the file at ``path``."""
    try:
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: not valid YAML: {problem}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}:1: the top level must be a mapping of keys (output_dir, sources, ...)"
        )
    data = _from_environment(data, path, text)
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_explain(path, data, exc, yaml.compose(text, Loader=_Loader))) from exc
    config = config.resolve(path.parent)
    output = config.output_dir.resolve()
    if isinstance(config.database, Path) and config.database.resolve().is_relative_to(output):
        line = _line_of(yaml.compose(text, Loader=_Loader), ("database",))
        raise ConfigError(
            f"{path}:{line or 1}: database: {config.database} is inside output_dir"
            f" ({config.output_dir}), which is served to readers and where feed files are"
            " written; put the database outside it (e.g. database: refeed.db beside the config)"
        )
    return config


_VARIABLE = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _from_environment(data: dict[str, Any], path: Path, text: str) -> dict[str, Any]:
    """Every ``${NAME}`` in a string value replaced by that environment variable."""
    missing: list[str] = []

    def substitute(value: Any, loc: tuple[int | str, ...]) -> Any:
        if isinstance(value, dict):
            return {k: substitute(v, (*loc, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [substitute(v, (*loc, i)) for i, v in enumerate(value)]
        if not isinstance(value, str) or "${" not in value:
            return value

        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name is None:
                return "${"
            if name not in os.environ:
                line = _line_of(yaml.compose(text, Loader=_Loader), loc)
                where = f"{path}:{line}" if line else str(path)
                missing.append(
                    f"{where}: {_key_path(data, loc)}: the environment variable {name} is not"
                    f" set (the value says ${{{name}}}); export it, or write $${{ for a"
                    " literal ${"
                )
                return match.group(0)
            declare_secret(os.environ[name])
            return os.environ[name]

        return _VARIABLE.sub(one, value)

    result: dict[str, Any] = substitute(data, ())
    if missing:
        raise ConfigError("\n".join(missing))
    return result


def _explain(path: Path, data: dict[str, Any], exc: ValidationError, root: yaml.Node | None) -> str:
    lines = []
    for error in exc.errors():
        loc = _key_path(data, error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key; check its spelling against the config reference in the README"
        elif error["type"] == "missing":
            message = "this key is required"
        line = _line_of(root, error["loc"])
        where = f"{path}:{line}" if line else str(path)
        lines.append(f"{where}: {loc}: {message}")
    return "\n".join(lines)


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """The 1-based line of the key (or list item) that ``loc`` points to, as far as it exists."""
    line = None
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key_node, value_node in node.value:
                if getattr(key_node, "value", None) == part:
                    line, node = key_node.start_mark.line + 1, value_node
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            continue  # pydantic's own steps (function-after, ...) have no node
    return line


def _key_path(data: Any, loc: tuple[int | str, ...]) -> str:
    """``('sources', 1, 'feed')`` -> ``sources[1] (name: blog).feed``."""
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            if isinstance(node, list) and part < len(node):
                node = node[part]
                if isinstance(node, dict) and isinstance(node.get("name"), str):
                    out += f" (name: {node['name']})"
            else:
                node = None
        else:
            if part.startswith("function-") or part in ("str", "int"):
                continue
            out += f".{part}" if out else part
            node = node.get(part) if isinstance(node, dict) else None
    return out or "(top level)"
