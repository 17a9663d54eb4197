"""Full-Text RSS site config files (the ftr-site-config format), read into a :class:`SiteConfig`.

One directive a line, ``name: value`` or ``name(argument): value``; ``#`` starts a
comment line. Lists (``body``, ``strip``, ...) take every value in order (the first
matching XPath wins where one thing is chosen); yes/no switches take the last value.
Nothing in a file stops the rest from being read: a line refeed cannot use (an unknown
directive, a login directive, an XPath lxml cannot compile, a ``replace_string``
without its ``find_string``) is a :class:`RuleWarning` naming the file and the line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from lxml import etree

__all__ = ["Link", "Rule", "RuleWarning", "SiteConfig", "SiteTest", "merge", "parse_rules"]


@dataclass(frozen=True, slots=True)
class Rule:
    """One value of a directive and where it was written (``example.com.txt:12``)."""

    value: str
    at: str


@dataclass(frozen=True, slots=True)
class Link:
    """A ``single_page_link`` or ``next_page_link`` XPath, followed only on pages that
    hold one of its ``if_page_contains`` XPaths (when it has any)."""

    xpath: Rule
    if_page_contains: tuple[Rule, ...] = ()


@dataclass(frozen=True, slots=True)
class SiteTest:
    """A ``test_url`` and the ``test_contains`` snippets written under it."""

    url: str
    contains: tuple[str, ...]
    at: str


@dataclass(frozen=True, slots=True)
class RuleWarning:
    """A line refeed read past: where, and why."""

    at: str
    message: str

    def __str__(self) -> str:
        return f"{self.at}: {self.message}"


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """The rules of one site (or of ``global.txt``, or a source's inline ``rules:``)."""

    origin: str  # the file (or "source NAME's rules") the rules come from
    title: tuple[Rule, ...] = ()
    body: tuple[Rule, ...] = ()
    author: tuple[Rule, ...] = ()
    date: tuple[Rule, ...] = ()
    strip: tuple[Rule, ...] = ()
    strip_id_or_class: tuple[Rule, ...] = ()
    strip_image_src: tuple[Rule, ...] = ()
    strip_attr: tuple[Rule, ...] = ()
    dissolve: tuple[Rule, ...] = ()
    wrap_in: tuple[tuple[str, Rule], ...] = ()  # (tag, XPath of what it wraps)
    native_ad_clue: tuple[Rule, ...] = ()
    replace: tuple[tuple[str, str, str], ...] = ()  # (find, replacement, where)
    headers: tuple[tuple[str, str], ...] = ()  # (lower-case name, value)
    single_page_link: tuple[Link, ...] = ()
    next_page_link: tuple[Link, ...] = ()
    tests: tuple[SiteTest, ...] = ()
    src_lazy_load_attr: str | None = None
    # yes/no switches: None where the file does not say (see the properties)
    prune_set: bool | None = None
    autodetect_set: bool | None = None
    skip_json_ld_set: bool | None = None
    warnings: tuple[RuleWarning, ...] = field(default=(), compare=False)

    @property
    def prune(self) -> bool:
        """Clean the chosen body of page chrome (refeed's teaser and line cleaning run
        whatever this says)."""
        return self.prune_set is not False

    @property
    def autodetect_on_failure(self) -> bool:
        """When no ``body`` XPath matches, extract automatically (else: no story)."""
        return self.autodetect_set is not False

    @property
    def skip_json_ld(self) -> bool:
        """Take no metadata or story from the page's JSON-LD."""
        return self.skip_json_ld_set is True

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None


_LISTS = frozenset(
    ("title", "body", "author", "date", "strip", "strip_id_or_class", "strip_image_src",
     "strip_attr", "dissolve", "native_ad_clue")
)  # fmt: skip
_XPATHS = _LISTS - {"strip_id_or_class", "strip_image_src"}  # the rest are plain strings
_SWITCHES = {
    "prune": "prune_set",
    "autodetect_on_failure": "autodetect_set",
    "skip_json_ld": "skip_json_ld_set",
}
# read, understood, and nothing for refeed to do: its parser mends any markup (tidy),
# comments never reach a story, line breaks and pictures are judged by the cleaners
_NOTHING_TO_DO = frozenset(
    ("tidy", "parser", "strip_comments", "convert_double_br_tags", "insert_detected_image",
     "autodetect_next_page", "single_page_link_in_feed", "footnotes")
)  # fmt: skip
_UNSUPPORTED = {
    "login_uri": "logging in to a site is not supported",
    "login_username_field": "logging in to a site is not supported",
    "login_password_field": "logging in to a site is not supported",
    "login_extra_fields": "logging in to a site is not supported",
    "requires_login": "logging in to a site is not supported",
    "not_logged_in_xpath": "logging in to a site is not supported",
    "move_into": "move_into is not supported",
}
_HEADERS = ("user-agent", "referer", "cookie", "accept-language")
_LINE = re.compile(r"^\s*([A-Za-z_][\w-]*)(?:\((.*?)\))?\s*:\s?(.*?)\s*$")
_YES = frozenset(("yes", "true", "1", "on"))
_NO = frozenset(("no", "false", "0", "off"))


def parse_rules(text: str, origin: str) -> SiteConfig:
    """Read the rules in *text* (a file's contents); *origin* names it in every
    :class:`Rule` and :class:`RuleWarning` (``example.com.txt``)."""
    reader = _Reader(origin)
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            reader.line(line, f"{origin}:{number}")
    return reader.config()


class _Reader:
    """What the lines of one file said so far."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.lists: dict[str, list[Rule]] = {name: [] for name in _LISTS}
        self.switches: dict[str, Any] = {}
        self.warnings: list[RuleWarning] = []
        self.finds: list[tuple[str, str]] = []  # find_string values not yet paired
        self.replacements: list[tuple[str, str, str]] = []
        self.headers: dict[str, str] = {}
        self.wraps: list[tuple[str, Rule]] = []
        self.links: dict[str, list[Link]] = {"single_page_link": [], "next_page_link": []}
        self.last_link: str | None = None
        self.tests: list[SiteTest] = []
        self.lazy: str | None = None

    def line(self, line: str, at: str) -> None:
        match = _LINE.match(line)
        if match is None:
            self.warn(at, f"not a directive ('name: value'): {line.strip()[:60]!r}")
            return
        name, argument, value = match[1].lower(), match[2], match[3]
        if name in _LISTS:
            if value and (name not in _XPATHS or self.xpath_ok(value, at)):
                self.lists[name].append(Rule(value, at))
        elif name in _SWITCHES:
            flag = _switch(value)
            if flag is None:
                self.warn(at, f"{name}: {value!r} is not yes or no")
            else:
                self.switches[_SWITCHES[name]] = flag
        elif name in self.links:
            if self.xpath_ok(value, at):
                self.links[name].append(Link(Rule(value, at)))
                self.last_link = name
        elif name in _HANDLERS:
            _HANDLERS[name](self, argument, value, at)
        elif name in _UNSUPPORTED:
            self.warn(at, _UNSUPPORTED[name])
        elif name not in _NOTHING_TO_DO:
            self.warn(at, f"unknown directive {name!r}")

    def find_string(self, _argument: str | None, value: str, at: str) -> None:
        if value:
            self.finds.append((value, at))
        else:  # an empty string is found between every two characters of the page
            self.warn(at, "find_string names nothing to find")

    def replace_string(self, argument: str | None, value: str, at: str) -> None:
        if argument is not None:  # replace_string(find): replacement
            if argument:
                self.replacements.append((argument, value, at))
            else:
                self.warn(at, "replace_string() names nothing to find")
        elif self.finds:
            find, _ = self.finds.pop(0)
            self.replacements.append((find, value, at))
        else:
            self.warn(at, "replace_string without a find_string before it")

    def http_header(self, argument: str | None, value: str, at: str) -> None:
        header = (argument or "").strip().lower()
        if header in _HEADERS:
            self.headers[header] = value
        else:
            self.warn(at, f"http_header({argument}) is not supported: only {', '.join(_HEADERS)}")

    def wrap_in(self, argument: str | None, value: str, at: str) -> None:
        tag = (argument or "").strip().lower()
        if not re.fullmatch(r"[a-z][a-z0-9]*", tag):
            self.warn(at, f"wrap_in({argument}) does not name a tag")
        elif self.xpath_ok(value, at):
            self.wraps.append((tag, Rule(value, at)))

    def if_page_contains(self, _argument: str | None, value: str, at: str) -> None:
        if self.last_link is None:
            self.warn(at, "if_page_contains without a single_page_link or next_page_link before")
        elif self.xpath_ok(value, at):
            links = self.links[self.last_link]
            links[-1] = replace(
                links[-1], if_page_contains=(*links[-1].if_page_contains, Rule(value, at))
            )

    def test_url(self, _argument: str | None, value: str, at: str) -> None:
        if value:
            self.tests.append(SiteTest(value, (), at))

    def test_contains(self, _argument: str | None, value: str, at: str) -> None:
        if self.tests:
            self.tests[-1] = replace(self.tests[-1], contains=(*self.tests[-1].contains, value))
        else:
            self.warn(at, "test_contains without a test_url before it")

    def src_lazy_load_attr(self, _argument: str | None, value: str, _at: str) -> None:
        self.lazy = value or None

    def warn(self, at: str, message: str) -> None:
        self.warnings.append(RuleWarning(at, message))

    def xpath_ok(self, expression: str, at: str) -> bool:
        problem = _xpath_problem(expression)
        if problem is not None:
            self.warn(at, f"not an XPath lxml can use ({problem}): {expression[:80]!r}")
        return problem is None

    def config(self) -> SiteConfig:
        for _, at in self.finds:
            self.warn(at, "find_string without a replace_string after it")
        listed: dict[str, Any] = {name: tuple(values) for name, values in self.lists.items()}
        return SiteConfig(
            origin=self.origin,
            **listed,
            wrap_in=tuple(self.wraps),
            replace=tuple(self.replacements),
            headers=tuple(self.headers.items()),
            single_page_link=tuple(self.links["single_page_link"]),
            next_page_link=tuple(self.links["next_page_link"]),
            tests=tuple(self.tests),
            src_lazy_load_attr=self.lazy,
            **self.switches,
            warnings=tuple(self.warnings),
        )


_HANDLERS: dict[str, Callable[[_Reader, str | None, str, str], None]] = {
    name: getattr(_Reader, name)
    for name in (
        "find_string", "replace_string", "http_header", "wrap_in", "if_page_contains",
        "test_url", "test_contains", "src_lazy_load_attr",
    )
}  # fmt: skip


def merge(first: SiteConfig, then: SiteConfig) -> SiteConfig:
    """*first*'s rules, then *then*'s after them (where one is chosen, *first*'s are tried
    first; its switches win where it sets them)."""

    def both(name: str) -> Any:
        return (*getattr(first, name), *getattr(then, name))

    lists = (
        *_LISTS,
        "wrap_in",
        "replace",
        "single_page_link",
        "next_page_link",
        "tests",
        "warnings",
    )
    headers = dict(then.headers) | dict(first.headers)
    switches: dict[str, Any] = {
        key: getattr(first, key) if getattr(first, key) is not None else getattr(then, key)
        for key in _SWITCHES.values()
    }
    return replace(
        first,
        origin=f"{first.origin} + {then.origin}",
        headers=tuple(headers.items()),
        src_lazy_load_attr=first.src_lazy_load_attr or then.src_lazy_load_attr,
        **{name: both(name) for name in lists},
        **switches,
    )


def _switch(value: str) -> bool | None:
    word = value.strip().lower()
    return True if word in _YES else False if word in _NO else None


@lru_cache(maxsize=4096)
def _xpath_problem(expression: str) -> str | None:
    try:
        etree.XPath(expression)
    except etree.XPathError as exc:
        return str(exc) or type(exc).__name__
    return None
