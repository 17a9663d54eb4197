"""How refeed reads a folder of Full-Text RSS site config files (e.g. a clone of the public
ftr-site-config collection): files read, errors (there must be none), the directives and
the warnings by kind, and the time it took.

    git clone https://github.com/fivefilters/ftr-site-config
    python bench/siterules.py ftr-site-config [--show-warnings]

Every ``.txt`` file of the folder is read as refeed reads a site's rules
(:func:`refeed.siterules.parse_rules`), so a file that would fail a cycle fails here.
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
import time
from collections import Counter
from pathlib import Path

from refeed.siterules import parse_rules

_DIRECTIVE = re.compile(r"^\s*([A-Za-z_][\w-]*)(?:\(.*?\))?\s*:", re.MULTILINE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="a folder of site config files")
    parser.add_argument("--show-warnings", action="store_true", help="print every warning")
    args = parser.parse_args(argv)
    files = sorted(args.folder.glob("*.txt"))
    if not files:
        print(f"no .txt files in {args.folder}", file=sys.stderr)
        return 1
    errors: list[str] = []
    directives: Counter[str] = Counter()
    warnings: Counter[str] = Counter()
    with_body = with_tests = 0
    began = time.perf_counter()
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="replace")
        try:
            config = parse_rules(text, path.name)
        except Exception as exc:  # the count the issue asks for: there must be none
            errors.append(f"{path.name}: {type(exc).__name__}: {exc}")
            continue
        directives.update(
            m[1].lower() for m in _DIRECTIVE.finditer(text) if not m[0].lstrip().startswith("#")
        )
        with_body += bool(config.body)
        with_tests += bool(config.tests)
        for warning in config.warnings:
            warnings[_kind(warning.message)] += 1
            if args.show_warnings:
                print(f"  warning {warning}")
    took = time.perf_counter() - began
    print(f"$ python bench/siterules.py {shlex.join(sys.argv[1:])}")
    print(
        f"{len(files)} files read in {took:.2f} s: {len(errors)} errors, "
        f"{sum(warnings.values())} warnings, {with_body} with a body XPath, "
        f"{with_tests} with a test_url"
    )
    for error in errors:
        print(f"  error {error}")
    print("\ndirectives (lines):")
    for name, count in directives.most_common():
        print(f"  {count:6d}  {name}")
    print("\nwarnings by kind:")
    for kind, count in warnings.most_common():
        print(f"  {count:6d}  {kind}")
    return 1 if errors else 0


def _kind(message: str) -> str:
    """The warning without its particulars (quoted values, XPaths)."""
    return re.sub(r"'[^']*'|\"[^\"]*\"|\(.*?\)", "…", message)[:80]


if __name__ == "__main__":
    sys.exit(main())
