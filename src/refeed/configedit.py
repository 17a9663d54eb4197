"""Edit config.yaml in place: append sources, keeping the user's comments and layout.

``refeed add`` and ``refeed import`` append to the ``sources:`` list. The file is not
rewritten: ruamel.yaml composes it (its nodes know where they start and end in the
text) and renders the new entries, which are spliced in where the list ends, in the
indentation its items already have (and after a blank line, if its items are kept
apart by one). Every byte outside the appended part stays as it was, comments,
quoting and order included. Only a list in flow style (``sources: [{...}]``), where
no block entry fits, goes through ruamel's round-trip dump of the whole document.
:func:`write_config` replaces the file atomically, keeping its permissions.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml as pyyaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.scalarstring import SingleQuotedScalarString

from refeed.errors import ConfigError, RefeedError
from refeed.files import replace_file

NEW_CONFIG = (
    "# refeed configuration, made by `refeed add`; every key is described in refeed's README.\n"
)
_WIDTH = 4096  # never fold a long URL onto a second line
_STR = "tag:yaml.org,2002:str"


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.width = _WIDTH
    yaml.preserve_quotes = True
    return yaml


def _as_read(entry: Mapping[str, Any], *, flow: bool = False) -> CommentedMap:
    """*entry* with its strings quoted where refeed's reader would not take them for
    strings: ruamel writes YAML 1.2, where ``yes`` and ``on`` are strings, and PyYAML reads
    YAML 1.1, where they are booleans (in a flow list every string is quoted: PyYAML ends
    a plain one there at its first ``:``)."""
    quoted = CommentedMap()
    for key, value in entry.items():
        plain = isinstance(value, str) and not flow and _read_as_string(value)
        quoted[key] = (
            value if plain or not isinstance(value, str) else SingleQuotedScalarString(value)
        )
    return quoted


def _read_as_string(value: str) -> bool:
    """Whether PyYAML (refeed's reader) reads *value*, written plain, as a string."""
    resolver = pyyaml.resolver.Resolver()
    tag = resolver.resolve(pyyaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    return bool(tag == _STR)


def render_entries(entries: Sequence[Mapping[str, Any]], dash: int = 2, key: int = 4) -> str:
    """*entries* as block items of a list whose ``-`` is at column *dash* and whose keys
    are at column *key*: the text ``refeed add --dry-run`` prints and the file gets."""
    yaml = _yaml()
    lines: list[str] = []
    for entry in entries:
        out = io.StringIO()
        yaml.dump(_as_read(entry), out)
        for number, line in enumerate(out.getvalue().splitlines()):
            if number == 0:
                lines.append(" " * dash + "-" + " " * max(1, key - dash - 1) + line)
            else:
                lines.append(" " * key + line if line else "")
    return "".join(line + "\n" for line in lines)


def append_sources(text: str, entries: Sequence[Mapping[str, Any]], path: Path) -> str:
    """*text* (config.yaml, at *path* for messages) with *entries* appended to its
    ``sources:`` list (made if missing); the rest of the text unchanged."""
    if not entries:
        return text
    newline = "\r\n" if "\r\n" in text else "\n"
    try:
        root = _yaml().compose(text)
    except YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if root is None:  # empty, or only comments
        return _joined(text, "sources:\n" + render_entries(entries), newline)
    if not isinstance(root, MappingNode) or root.flow_style:
        if isinstance(root, MappingNode):
            return _round_trip(text, entries, path)
        raise ConfigError(f"{path}:1: the top level must be a mapping of keys (sources, ...)")
    for key_node, value in root.value:  # noqa: B007 - the pair found is used below
        if isinstance(key_node, ScalarNode) and key_node.value == "sources":
            break
    else:
        return _joined(text, "sources:\n" + render_entries(entries), newline)
    indent = key_node.start_mark.column
    if isinstance(value, ScalarNode) and str(value.tag).endswith(":null"):
        # "sources:" or "sources: ~": the items go on the lines after the key
        return _after_key(
            text, key_node, value, render_entries(entries, indent + 2, indent + 4), newline
        )
    if not isinstance(value, SequenceNode):
        raise ConfigError(
            f"{path}:{key_node.start_mark.line + 1}: sources: must be a list of sources"
        )
    if value.flow_style:
        if not value.value:  # "sources: []"
            block = render_entries(entries, indent + 2, indent + 4)
            return _after_key(text, key_node, value, block, newline)
        return _round_trip(text, entries, path)
    return _after_items(text, value, entries, newline)


def _joined(text: str, block: str, newline: str) -> str:
    """*block* after the whole of *text*, on a line of its own."""
    if text and not text.endswith("\n"):
        text += newline
    return text + block.replace("\n", newline)


def _line_end(text: str, index: int) -> int:
    """The index just past the end of the line holding *index* (its newline included)."""
    end = text.find("\n", index)
    return len(text) if end < 0 else end + 1


def _after_key(text: str, key: Node, value: Node, block: str, newline: str) -> str:
    """*value* (a null or ``[]`` written after ``sources:``) taken out, *block* on the lines
    after the key."""
    start, end = value.start_mark.index, value.end_mark.index
    if end > start:
        text = text[:start].rstrip(" \t") + text[end:]
    at = _line_end(text, key.end_mark.index)
    head = text[:at]
    if not head.endswith("\n"):
        head += newline
    return head + block.replace("\n", newline) + text[at:]


def _last_scalar(node: Node) -> Node:
    """The node whose end is where *node*'s text ends (a block mapping's own end mark is
    the next token's start, past the comments and blank lines that follow it)."""
    while isinstance(node, MappingNode | SequenceNode) and node.value and not node.flow_style:
        last = node.value[-1]
        node = last[1] if isinstance(node, MappingNode) else last
    return node


def _after_items(
    text: str, sequence: SequenceNode, entries: Sequence[Mapping[str, Any]], newline: str
) -> str:
    """*entries* after the last item of the block list *sequence*, in its indentation."""
    items = sequence.value
    dash = sequence.start_mark.column
    first = items[0]
    key = first.start_mark.column if isinstance(first, MappingNode) else dash + 2
    last = items[-1]
    end = _last_scalar(last).end_mark
    at = end.index if end.column == 0 else _line_end(text, end.index)
    # comment lines indented under the last item belong to it
    while at < len(text):
        line = text[at : _line_end(text, at)]
        body = line.lstrip(" ")
        if not body.startswith("#") or len(line) - len(body) <= dash:
            break
        at += len(line)
    lines = text.splitlines()
    start = last.start_mark.line  # the line of the last item's "-"
    before = start - 1
    while before >= 0 and lines[before].lstrip().startswith("#"):
        before -= 1
    spaced = len(items) > 1 and before >= 0 and not lines[before].strip()
    block = ("\n" if spaced else "") + render_entries(entries, dash, key)
    head = text[:at]
    if head and not head.endswith("\n"):
        head += newline
    return head + block.replace("\n", newline) + text[at:]


def _round_trip(text: str, entries: Sequence[Mapping[str, Any]], path: Path) -> str:
    """*entries* appended by ruamel's round-trip dump (comments kept, layout normalised)."""
    yaml = _yaml()
    try:
        data = yaml.load(text)
    except YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    sources = data.get("sources")
    if sources is None:
        data["sources"] = sources = []
    for entry in entries:
        sources.append(_as_read(entry, flow=True))
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def write_config(path: Path, text: str) -> None:
    """Replace (or create) the config file at *path* with *text*, atomically: a reader
    sees the old file or the new one, never a part. Its permissions are kept; a symbolic
    link is followed, not replaced."""
    target = Path(os.path.realpath(path))
    try:
        mode = target.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    except OSError as exc:
        raise RefeedError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        replace_file(target, text.encode("utf-8"), mode)
    except OSError as exc:
        raise RefeedError(f"cannot write {path}: {exc.strerror or exc}") from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
