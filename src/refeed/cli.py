"""The ``refeed`` command line: run, daemon, worker, serve, extract, preview, status, check,
demo, add, import, export, migrate."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from refeed import __version__, defaults
from refeed.config import Config, SourceConfig, load_config
from refeed.errors import ConfigError, LockedError, RefeedError
from refeed.logs import setup_logging
from refeed.models import Article

if TYPE_CHECKING:
    from refeed.cycle import Mode

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2
EXIT_LOCKED = 75  # EX_TEMPFAIL: another run or the daemon holds the lock; try again later
DEFAULT_LISTEN = defaults.LISTEN
log = logging.getLogger("refeed")


EXIT_CODES = """exit codes:
  0    done
  1    a source or the command failed (one line on stderr says why)
  2    config or usage error (the message names the key and the fix)
  75   another run or the daemon holds the database: try again later
  130  interrupted"""

# each command's description and examples, shown by `refeed COMMAND --help`
_HELP: dict[str, tuple[str, list[str]]] = {
    "run": (
        "Run one cycle: fetch each enabled source (or the named ones), follow its items to "
        "their pages, clean them and write the feeds. For cron and systemd timers.",
        ["refeed run", "refeed run -c /etc/refeed/config.yaml --source news -v"],
    ),
    "reprocess": (
        "Extract every stored item of each enabled source (or the named ones) again from "
        "its page as refeed kept it, with today's site rules, content and strip selectors "
        "and code, without fetching anything, then write the feeds again. A source whose "
        "rules changed is re-extracted this way at its next cycle anyway; this does it now, "
        "and for all of its items.",
        ["refeed reprocess", "refeed reprocess -c config.yaml --source news"],
    ),
    "refetch": (
        "Run one cycle of each enabled source (or the named ones) that also fetches the page "
        "of every stored item again, not conditionally, and extracts it: a story its site "
        "changed is published as an update (a page that now fails keeps what was published).",
        ["refeed refetch --source news", "refeed refetch -c config.yaml"],
    ),
    "daemon": (
        "Run every enabled source on its own schedule until SIGTERM or Ctrl+C. SIGHUP "
        "reloads the config file (a bad file is refused and the running config stays); "
        "sources removed from it have their feeds retired.",
        ["refeed daemon", "refeed daemon -c config.yaml --serve 0.0.0.0:8080"],
    ),
    "worker": (
        "Run the sources' jobs from the PostgreSQL store's job queue (procrastinate) until "
        "SIGTERM or Ctrl+C: start any number of workers, on any number of machines, with "
        "the same config. Each source runs once per period of its schedule on one of them, "
        "never twice at once; requests to one host stay within max_per_host across all "
        "workers. A worker killed mid-run loses nothing: its job is taken again.",
        [
            "refeed worker -c config.yaml",
            "refeed worker -c config.yaml --concurrency 16",
        ],
    ),
    "migrate": (
        "Copy the store into another database (an SQLite file into PostgreSQL, to scale "
        "out), items, ids, validators, history and kept pages intact. The target must be "
        "empty; the source is left as it was. Then point database: at the target.",
        ["refeed migrate -c config.yaml --to postgresql://refeed@db.example/refeed"],
    ),
    "serve": (
        "Serve the feed files, an index page with subscribe links, /healthz and /metrics. "
        "The port is checked first: a busy one is one line and exit 1.",
        ["refeed serve", "refeed serve -c config.yaml --listen 127.0.0.1:9000"],
    ),
    "extract": (
        "Print the clean article of one saved page, as a feed would carry it.",
        [
            "refeed extract page.html --url https://example.org/news/1 --explain",
            "curl -s https://example.org/news/1 | refeed extract --text",
            "refeed extract page.html --without 'teaser: list of N items, most of them headlines'",
            "refeed extract page.html --url https://example.org/news/1 --site-rules site-rules/",
        ],
    ),
    "preview": (
        "Fetch one article page and show what refeed keeps: its title, date, author, what "
        "was removed, and the clean text. With --source, fetched and cleaned as that "
        "source of the config does it.",
        [
            "refeed preview https://example.org/news/1",
            "refeed preview URL --explain",
            "refeed preview URL -c config.yaml --source news --explain",
        ],
    ),
    "rules": (
        "Test site rule files (the Full-Text RSS format, as in the public ftr-site-config "
        "collection): each test_url is fetched and extracted with its site's rules, and "
        "passes when the body XPath still matches and the story holds every test_contains "
        "under it. With --page, a saved page is tested instead, without the network. "
        "Exit 1 when a test fails: run it from cron to learn when a site's template changed.",
        [
            "refeed rules test site-rules/",
            "refeed rules test -c config.yaml --site www.example.org",
            "refeed rules test site-rules/ --page saved.html --url https://example.org/news/1",
        ],
    ),
    "status": (
        "A table of the sources: last run, last success, stored items, failures, failing "
        "pages, next run (and backoff), break (why the output looks broken) and the last "
        "error.",
        ["refeed status", "refeed status -c /etc/refeed/config.yaml"],
    ),
    "check": (
        "Validate the config file and show each source's settings; exit 2 names the key "
        "and the fix when it is wrong.",
        ["refeed check", "refeed check -c config.yaml"],
    ),
    "demo": (
        "Offline showcase: serve a bundled sample news site on 127.0.0.1, refeed it, and "
        "print where the clean feeds are. No internet needed.",
        ["refeed demo", "refeed demo --output demo --serve"],
    ),
    "add": (
        "Add a source from a feed's URL, a site's homepage or a listing page: the feed "
        'itself, else the feed the page links (<link rel="alternate">, else an "RSS" link), '
        "else one at a common path (/feed, /rss, /atom.xml, ...), else a page: source with "
        "automatic links. Shows the first items as refeed extracts them, then appends the "
        "source to the config, leaving the rest of the file as it was (a missing file is "
        "created). A URL or name already there is refused.",
        [
            "refeed add https://example.org/",
            "refeed add https://example.org/news/ --name example-news --dry-run",
        ],
    ),
    "import": (
        "Append the feeds of an OPML file (what feed readers export; categories included) "
        "to the config, leaving the rest of the file as it was. Feeds already there, or "
        "listed twice, are skipped, and each one skipped says why.",
        ["refeed import subscriptions.opml", "refeed import feeds.opml -c config.yaml --dry-run"],
    ),
    "export": (
        "Write the config's sources, their own feeds (not refeed's: those are in "
        'index.opml), as OPML: a page: source as an outline of type "link", which '
        "import reads back. Credentials in URLs are masked.",
        ["refeed export > sources.opml", "refeed export -c config.yaml -o sources.opml"],
    ),
}


def _command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    parents: list[argparse.ArgumentParser],
    summary: str,
) -> argparse.ArgumentParser:
    """A subcommand with its one-line *summary* (in ``refeed --help``), a description,
    examples and the exit codes (in ``refeed NAME --help``)."""
    description, examples = _HELP.get(name, (summary, []))
    epilog = "examples:\n" + "".join(f"  {e}\n" for e in examples) if examples else ""
    return sub.add_parser(
        name,
        parents=parents,
        help=summary,
        description=description,
        epilog=f"{epilog}\n{EXIT_CODES}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _cycle_command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
    name: str,
    summary: str,
) -> None:
    """A command that runs the sources once: ``run``, ``reprocess``, ``refetch``."""
    command = _command(sub, name, [common], summary)
    _with_config(command)
    command.add_argument(
        "--source", action="append", metavar="NAME", help="only this source (repeatable)"
    )
    command.add_argument(
        "--wait",
        type=float,
        default=None,
        metavar="SECONDS",
        help="wait this long for another run or the daemon to finish (default: 60)",
    )


def _with_config(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-c",
        "--config",
        type=Path,
        default=Path("config.yaml"),
        help="config file (default: config.yaml)",
    )


def _add_scale_out(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """``refeed worker`` and ``refeed migrate``."""
    worker = _command(sub, "worker", [common], "run sources from the PostgreSQL job queue")
    _with_config(worker)
    worker.add_argument(
        "--concurrency",
        type=int,
        default=defaults.WORKER_CONCURRENCY,
        metavar="N",
        help=f"sources run at once by this worker (default: {defaults.WORKER_CONCURRENCY})",
    )
    worker.add_argument(
        "--wait",
        type=float,
        default=defaults.LOCK_WAIT,
        metavar="SECONDS",
        help=f"wait this long for a refeed run or daemon on the database to end"
        f" (default: {defaults.LOCK_WAIT:g})",
    )
    worker.add_argument(
        "--stalled-after",
        type=float,
        default=defaults.WORKER_STALLED_AFTER,
        metavar="SECONDS",
        help="run again the jobs of a worker whose heartbeat stopped this long ago"
        f" (default: {defaults.WORKER_STALLED_AFTER:g})",
    )

    migrate = _command(sub, "migrate", [common], "copy the store into another database")
    _with_config(migrate)
    migrate.add_argument(
        "--to", required=True, metavar="DATABASE", help="postgresql://... or an SQLite file"
    )


def _add_rules(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """``refeed rules test``."""
    rules = _command(sub, "rules", [common], "test site rule files (Full-Text RSS format)")
    rules_sub = rules.add_subparsers(dest="rules_command", required=True, metavar="ACTION")
    rules_test = rules_sub.add_parser(
        "test",
        parents=[common],
        help="fetch each rule file's test_url and check its test_contains",
        description=_HELP["rules"][0],
        epilog="examples:\n" + "".join(f"  {e}\n" for e in _HELP["rules"][1]) + f"\n{EXIT_CODES}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rules_test.add_argument(
        "folders", nargs="*", type=Path, help="rule folders (default: the config's site_rules)"
    )
    _with_config(rules_test)
    rules_test.add_argument("--site", metavar="HOST", help="only the file that serves HOST")
    rules_test.add_argument("--page", metavar="FILE", type=Path, help="a saved page, not fetched")
    rules_test.add_argument("--url", help="the saved page's URL (with --page)")
    rules_test.add_argument("--content-type", default=None, help="the saved page's Content-Type")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="refeed",
        description="Clean full-text feeds from teaser feeds and feedless news sites.",
        epilog=f"refeed COMMAND --help shows each command's examples.\n\n{EXIT_CODES}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"refeed {__version__}")

    def logging_options(p: argparse.ArgumentParser, default: object) -> None:
        """-v, -q and --log-format, before the command or after it (``refeed run -v``)."""
        p.add_argument(
            "-v", "--verbose", action="count", default=0 if default is None else default,
            help="more log output",
        )  # fmt: skip
        p.add_argument(
            "-q", "--quiet", action="store_true", default=False if default is None else default,
            help="errors only",
        )  # fmt: skip
        p.add_argument(
            "--log-format", choices=("text", "json"),
            default="text" if default is None else default, help="log lines as text or JSON",
        )  # fmt: skip

    logging_options(parser, None)
    common = argparse.ArgumentParser(add_help=False)
    logging_options(common, argparse.SUPPRESS)  # the command's own keep the global ones
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    with_config = _with_config

    for name, summary in (
        ("run", "run one cycle over all (or the named) sources, then exit"),
        ("reprocess", "extract the stored items again from their kept pages"),
        ("refetch", "run a cycle that fetches every stored item's page again"),
    ):
        _cycle_command(sub, common, name, summary)

    daemon = _command(sub, "daemon", [common], "run every source on its schedule until stopped")
    with_config(daemon)
    daemon.add_argument(
        "--serve", metavar="HOST:PORT", default=None, help="also serve the feeds on HOST:PORT"
    )

    _add_scale_out(sub, common)

    serve = _command(sub, "serve", [common], "serve the feeds, an index, /healthz and /metrics")
    with_config(serve)
    serve.add_argument(
        "--listen",
        metavar="HOST:PORT",
        default=DEFAULT_LISTEN,
        help=f"address to listen on (default: {DEFAULT_LISTEN})",
    )

    extract = _command(sub, "extract", [common], "print the clean article of one saved page")
    extract.add_argument("file", nargs="?", default="-", help="the page's bytes (default: stdin)")
    extract.add_argument("--url", default="", help="the page's URL (resolves relative links)")
    extract.add_argument("--content-type", default=None, help="the HTTP Content-Type it came with")
    extract.add_argument("--text", action="store_true", help="plain text instead of HTML")
    extract.add_argument(
        "--explain",
        action="store_true",
        help="after the article, list each removed block: its kind, the rule and its text",
    )
    extract.add_argument("--content", metavar="CSS", help="the story's selector (as in config)")
    extract.add_argument(
        "--site-rules",
        metavar="DIR",
        type=Path,
        action="append",
        default=[],
        help="a folder of site rule files (Full-Text RSS format); the --url's host picks "
        "the file (repeatable; the first folder wins)",
    )
    extract.add_argument(
        "--strip", metavar="CSS", action="append", default=[], help="remove this (repeatable)"
    )
    extract.add_argument(
        "--without",
        metavar="RULE",
        action="append",
        default=[],
        help="switch a cleaning rule off, by its kind and rule as --explain prints them, "
        "with quoted words and numbers as N, e.g. 'teaser: list of N items, most of them "
        "headlines' (repeatable)",
    )

    _add_rules(sub, common)

    preview = _command(
        sub, "preview", [common], "fetch one article page and show what refeed keeps"
    )
    preview.add_argument("url")
    preview.add_argument("--explain", action="store_true", help="list each removed block")
    preview.add_argument(
        "-c",
        "--config",
        type=Path,
        default=None,
        help="fetch with this config's settings (default with --source: config.yaml)",
    )
    preview.add_argument(
        "--source",
        metavar="NAME",
        default=None,
        help="as this source does: its user agent, headers, content and strip selectors, "
        "and the private networks it may reach",
    )

    status = _command(
        sub, "status", [common], "a table of sources: last run, success, items, error"
    )
    with_config(status)

    check = _command(sub, "check", [common], "validate the config and show each source's settings")
    with_config(check)

    _source_commands(sub, common, with_config)

    demo = _command(
        sub, "demo", [common], "offline showcase: serve a sample site locally and refeed it"
    )
    demo.add_argument(
        "--output", type=Path, default=None, help="where to write (default: a temp dir)"
    )
    demo.add_argument(
        "--serve",
        metavar="HOST:PORT",
        nargs="?",
        const=DEFAULT_LISTEN,
        default=None,
        help=f"then serve the demo feeds (default address: {DEFAULT_LISTEN}) until Ctrl+C",
    )
    return parser


def _source_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
    with_config: Callable[[argparse.ArgumentParser], None],
) -> None:
    """add, import and export (their work is in refeed.subscribe)."""
    add = _command(
        sub, "add", [common], "find the feed of a URL, preview it and add it to the config"
    )
    add.add_argument("url", help="a feed, a site's homepage or a listing page")
    add.add_argument("--name", metavar="N", help="the source's name (default: from its title)")
    with_config(add)
    add.add_argument(
        "--dry-run", action="store_true", help="print what would be appended; write nothing"
    )
    import_ = _command(sub, "import", [common], "append the feeds of an OPML file to the config")
    import_.add_argument("opml", type=Path, help="subscriptions.opml, as a feed reader exports")
    with_config(import_)
    import_.add_argument(
        "--dry-run", action="store_true", help="say what would be added; write nothing"
    )
    export = _command(sub, "export", [common], "the config's sources (their own feeds) as OPML")
    with_config(export)
    export.add_argument(
        "-o", "--output", type=Path, default=None, help="write to FILE (default: stdout)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    setup_logging(verbose=args.verbose, quiet=args.quiet, fmt=args.log_format)
    try:
        command = {
            "run": _run,
            "daemon": _daemon,
            "serve": _serve,
            "extract": _extract,
            "preview": _preview,
            "check": _check,
            "status": _status,
            "demo": _demo,
            "add": _add,
            "import": _import,
            "export": _export,
            "rules": _rules,
            "reprocess": _reprocess,
            "refetch": _refetch,
            "worker": _worker,
            "migrate": _migrate,
        }[args.command]
        return command(args)
    except ConfigError as exc:
        print(f"refeed: config error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except LockedError as exc:
        print(f"refeed: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except RefeedError as exc:
        print(f"refeed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:  # `refeed check | head`: the reader has gone, so be quiet
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        return 130


def _listen(value: str) -> tuple[str, int]:
    from refeed.httpd import parse_listen

    try:
        return parse_listen(value)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _sources_or_fail(config: Config, path: Path) -> None:
    if not config.sources:
        raise ConfigError(
            f"{path}: there are no sources; add one under 'sources:', e.g.\n"
            "sources:\n  - name: news\n    feed: https://example.org/rss.xml"
        )


def _run(args: argparse.Namespace, *, mode: Mode = "cycle") -> int:
    config = load_config(args.config)
    _sources_or_fail(config, args.config)
    if args.source:
        for name in args.source:
            config.source(name)
    from refeed.runlock import run_lock

    wait = defaults.LOCK_WAIT if args.wait is None else args.wait
    with run_lock(config.database, what=args.command, wait=wait):
        return _cycle(config, args.source, mode=mode)


def _reprocess(args: argparse.Namespace) -> int:
    return _run(args, mode="reprocess")


def _refetch(args: argparse.Namespace) -> int:
    return _run(args, mode="refetch")


def _cycle(config: Config, names: list[str] | None, *, mode: Mode = "cycle") -> int:
    from refeed.cycle import SourceResult, run_cycle

    results: list[SourceResult]
    count = len(names) if names else sum(1 for s in config.sources if s.enabled)
    if sys.stdout.isatty() and count > 1:
        from rich.progress import Progress

        with Progress(transient=True) as progress:
            task = progress.add_task("refeed run", total=count)

            def done(result: SourceResult) -> None:
                progress.update(task, advance=1, description=result.name)

            results = asyncio.run(run_cycle(config, names, on_done=done, mode=mode))
    else:
        results = asyncio.run(run_cycle(config, names, mode=mode))
    failed = [r for r in results if not r.ok]
    return EXIT_FAILED if failed else EXIT_OK


def _daemon(args: argparse.Namespace) -> int:
    from refeed.runlock import run_lock
    from refeed.scheduler import serve_forever

    config = load_config(args.config)
    _sources_or_fail(config, args.config)
    # the port is taken first: a busy one is one line before any cycle starts
    sock = _bind(args.serve) if args.serve else None
    with run_lock(config.database, what="daemon", wait=defaults.LOCK_WAIT):
        asyncio.run(serve_forever(config, listen=sock, path=args.config))
    return EXIT_OK


def _worker(args: argparse.Namespace) -> int:
    from refeed.runlock import run_lock

    try:
        from refeed.jobs import database_url, work
    except ImportError as exc:  # psycopg and procrastinate are the postgresql extra
        raise RefeedError(
            f"refeed worker needs PostgreSQL's packages ({exc}): install refeed[postgresql]"
        ) from exc

    if args.concurrency < 1 or args.stalled_after < 3:
        raise ConfigError("--concurrency must be at least 1, --stalled-after at least 3")
    config = load_config(args.config)
    _sources_or_fail(config, args.config)
    url = database_url(config)  # an SQLite file is refused before anything else
    with run_lock(url, what="worker", wait=args.wait, shared=True):
        asyncio.run(work(config, concurrency=args.concurrency, stalled_after=args.stalled_after))
    return EXIT_OK


def _migrate(args: argparse.Namespace) -> int:
    from refeed.store import Store, copy_store
    from refeed.urls import redact

    config = load_config(args.config)
    target = args.to if "://" in args.to else Path(args.to)
    with Store(config.database) as source, Store(target) as copy:
        counts = copy_store(source, copy)
    shown = ", ".join(f"{n} {table}" for table, n in counts.items() if n)
    print(f"copied {redact(str(config.database))} to {redact(str(target))}: {shown or 'nothing'}")
    return EXIT_OK


def _bind(listen: str) -> socket.socket:
    from refeed.httpd import listen_socket

    return listen_socket(*_listen(listen))


def _serve(args: argparse.Namespace) -> int:
    from refeed.serve import serve

    config = load_config(args.config)
    sock = _bind(args.listen)
    asyncio.run(serve(config, sock, access_log=args.verbose > 0))
    return EXIT_OK


def _extract(args: argparse.Namespace) -> int:
    from refeed.article import Rules, process
    from refeed.clean.trace import without

    try:
        body = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    except OSError as exc:
        raise RefeedError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    site = None
    if args.site_rules:
        from refeed.siterules import RuleBook

        if not args.url:
            raise ConfigError("--site-rules needs the page's --url (its host picks the rules)")
        site = RuleBook(args.site_rules).for_url(args.url)
    rules = Rules(content=args.content, strip=tuple(args.strip), site=site)
    with without(args.without):
        article = process(body, url=args.url, content_type=args.content_type, rules=rules)
    sys.stdout.write((article.text if args.text else article.html) + "\n")
    if args.explain:
        _explain(article)
    return EXIT_OK


def _rules(args: argparse.Namespace) -> int:
    """``refeed rules test``: a line per test, PASS or FAIL with why; exit 1 on a failure."""
    from refeed.cycle import fetch_settings
    from refeed.fetch import Fetcher, FetchSettings
    from refeed.siterules import RuleBook
    from refeed.siterules.check import Outcome, test_files, test_page
    from refeed.urls import redact

    config = load_config(args.config) if not args.folders or args.config.is_file() else None
    folders = tuple(args.folders) or (config.site_rules if config is not None else ())
    if not folders:
        raise ConfigError(
            f"{args.config}: no rule folders: give them (refeed rules test site-rules/) or "
            "set site_rules: in the config"
        )
    book = RuleBook(folders)
    if args.page is not None:
        if not args.url:
            raise ConfigError("--page needs the page's --url (its site's rules are chosen by it)")
        try:
            page = args.page.read_bytes()
        except OSError as exc:
            raise RefeedError(f"cannot read {args.page}: {exc.strerror or exc}") from None
        outcomes = test_page(
            book, page, _given_url(args.url, "rules test --url"), args.content_type
        )
    else:
        if args.site:
            found = book.for_host(args.site.lower())
            if found is None:
                raise RefeedError(
                    f"no rule file serves {args.site} in {', '.join(map(str, folders))}"
                )
            files = [p for p in book.files() if found.origin == p.name]
        else:
            files = book.files()
        settings = fetch_settings(config) if config is not None else FetchSettings()
        user_agent = config.site_rules_user_agent if config is not None else False

        async def fetch_all() -> list[Outcome]:
            async with Fetcher(settings) as fetcher:
                return await test_files(book, files, fetcher, user_agent=user_agent)

        outcomes = asyncio.run(fetch_all())
    for outcome in outcomes:
        verdict = "PASS" if outcome.passed else "FAIL"
        why = f": {outcome.problem}" if outcome.problem else f" ({outcome.chars} chars)"
        print(f"{verdict}  {outcome.at}  {redact(outcome.url)}{why}")
    failed = sum(not o.passed for o in outcomes)
    print(f"{len(outcomes)} test(s), {failed} failed")
    return EXIT_FAILED if failed else EXIT_OK


def _explain(article: Article) -> None:
    """Which rule chose the story (when one did), and each removed block, in the order
    the cleaners took them out."""
    if article.chosen_by:
        print(f"\n--- story chosen by {article.chosen_by} ---")
    print(f"\n--- removed: {len(article.removals)} block(s) ---")
    width = max((len(r.kind) for r in article.removals), default=0)
    for removal in article.removals:
        text = removal.text or "(no text)"
        print(f"{removal.kind:<{width}}  {removal.rule}: {text}")


def _preview(args: argparse.Namespace) -> int:
    import contextlib
    from dataclasses import replace

    from refeed.article import Rules, process
    from refeed.cycle import SiteLookup, fetch_settings, source_policy
    from refeed.fetch import Fetcher, FetchSettings, network_policy

    url = _given_url(args.url, "preview")
    config: Config | None = None
    source = None
    if args.config is not None or args.source is not None:
        path = args.config or Path("config.yaml")
        if args.config is None and not path.is_file():
            raise ConfigError(
                f"--source {args.source} needs a config, and there is no config.yaml here:"
                f" give it with -c, e.g. refeed preview {url} -c config.yaml --source"
                f" {args.source}"
            )
        config = load_config(path)
        if args.source is not None:
            source = config.source(args.source)  # unknown: names the sources there are
    settings = fetch_settings(config) if config is not None else FetchSettings()
    rules = Rules(content=source.content, strip=source.strip) if source else Rules()
    sites = SiteLookup.of(config, source) if config is not None else None

    async def fetch() -> tuple[bytes, str, str | None]:
        policy = (
            network_policy(source_policy(config, source))
            if config is not None and source is not None
            else contextlib.nullcontext()
        )
        headers = sites.headers(sites.for_url(url), source) if sites is not None else None
        with policy:
            async with Fetcher(settings) as fetcher:
                response = await fetcher.get(url, headers=headers)
        return response.body, response.url, response.content_type

    body, url, content_type = asyncio.run(fetch())
    if sites is not None:  # the site rules of where the page was
        rules = replace(rules, site=sites.for_url(url))
    article = process(body, url=url, content_type=content_type, rules=rules)
    print(f"Title:   {article.title or '-'}")
    print(f"Date:    {article.published.isoformat() if article.published else '-'}")
    print(f"Author:  {article.author or '-'}")
    removed = ", ".join(f"{n} {k}" for k, n in sorted(article.removed.items())) or "nothing"
    print(f"Removed: {removed}")
    if source is not None and (source.keep or source.block or source.drop_stubs):
        why = _filtered(source, article)
        print(f"Filters: {'published' if why is None else f'not published: {why}'}")
    print()
    print(article.text)
    if args.explain:
        _explain(article)
    return EXIT_OK


def _filtered(source: SourceConfig, article: Article) -> str | None:
    """What the source's item filters say of the page's story (a preview has no feed
    entry: its title, author and text are the page's)."""
    from datetime import UTC

    from refeed.cycle import filtered
    from refeed.models import Item

    item = Item(
        source=source.name, url=article.url, guid=article.url, title=article.title or "",
        content_html=article.html, first_seen=datetime.now(UTC), author=article.author,
        full_text=bool(article.text),
    )  # fmt: skip
    return filtered(source, item)


def _check(args: argparse.Namespace) -> int:
    from refeed.urls import redact

    config = load_config(args.config)
    _sources_or_fail(config, args.config)
    print(f"config:   {args.config}")
    print(f"output:   {config.output_dir}")
    print(f"database: {redact(str(config.database))}")
    print(f"base_url: {config.base_url or '-'}")
    if config.site_rules:
        from refeed.siterules import RuleBook

        files = RuleBook(config.site_rules).files()
        folders = ", ".join(str(f) for f in config.site_rules)
        print(f"site_rules: {folders} ({len(files)} rule files)")
        missing = [str(f) for f in config.site_rules if not f.is_dir()]
        if missing:
            print(f"  warning: not a folder: {', '.join(missing)}")
    for source in config.sources:
        print(f"- {source.name}{'' if source.enabled else ' (disabled)'}")
        print(f"    {source.kind}: {redact(source.url)}")
        print(
            f"    schedule: {config.schedule_of(source)}  max_items: {config.max_items_of(source)}"
        )
        print(f"    formats: {', '.join(config.formats_of(source))}")
        for key in ("links", "content", "title"):
            if getattr(source, key):
                print(f"    {key}: {getattr(source, key)}")
        if source.strip:
            print(f"    strip: {', '.join(source.strip)}")
        if source.rules:
            from refeed.siterules import parse_rules

            own = parse_rules(source.rules, f"source {source.name}'s rules")
            print(f"    rules: {len(source.rules.splitlines())} line(s)")
            for warning in own.warnings:
                print(f"      warning: {warning}")
    print(f"{len(config.sources)} sources, config OK")
    return EXIT_OK


def _status(args: argparse.Namespace) -> int:
    from datetime import UTC

    from refeed import preview
    from refeed.scheduler import next_run
    from refeed.store import Store
    from refeed.urls import redact_text

    config = load_config(args.config)
    now = datetime.now(UTC)

    def when(value: datetime | None) -> str:
        return preview.when(value, never="-")

    rows = [
        ("SOURCE", "LAST RUN", "LAST SUCCESS", "ITEMS", "FAILS", "FAILING PAGES", "NEXT RUN",
         "BREAK", "LAST ERROR"),
    ]  # fmt: skip
    with Store(config.database) as store:
        queue = store.queue()
        for source in config.sources:
            state = store.state(source.name)
            failing = store.failing_pages(source.name)
            error = state.last_error or (failing[0][2] if failing else "-")
            error = error.removeprefix(f"{source.name} ")  # the SOURCE column says it
            upcoming = when(next_run(config, state, now)) if source.enabled else "disabled"
            if source.enabled and state.backing_off(now):
                upcoming += " (backoff)"
            rows.append(
                (
                    source.name,
                    when(state.last_run),
                    when(state.last_success),
                    str(store.count(source.name)),
                    str(state.failures),
                    str(len(failing)),
                    upcoming,
                    redact_text("; ".join(state.broken)) or "-",
                    redact_text(error),
                )
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print(
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[-1]
        )
    if queue is not None:  # refeed worker: the job queue in the database
        print(
            f"\nworkers: {queue.workers} alive; runs: {queue.waiting} waiting,"
            f" {queue.running} running, {queue.failed} failed"
        )
    return EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    from refeed.cycle import run_cycle
    from refeed.demo import demo_config, serve_site, site_dir, write_demo_config

    workdir = args.output or Path(tempfile.mkdtemp(prefix="refeed-demo-"))
    listen = _listen(args.serve) if args.serve else None
    host, port = listen or _listen(DEFAULT_LISTEN)
    sock = _bind(args.serve) if args.serve else None  # a busy port: one line, before anything
    base_url = f"http://{host}:{port}/"  # where `refeed serve` serves them by default
    with serve_site(site_dir()) as base:
        print(f"Serving the sample news site at {base}")
        config = demo_config(base, workdir.resolve(), base_url=base_url)
        results = asyncio.run(run_cycle(config))
        for result in results:
            status = "ok" if result.ok else f"FAILED: {result.error}"
            print(f"{result.name}: {result.new} items, {status}")
        print(f"\nFeeds written to {config.output_dir}:")
        for path in sorted(config.output_dir.iterdir()):
            print(f"  {path}")
        config_file = write_demo_config(config, workdir.resolve())
        ok = all(r.ok for r in results)
        if listen is None:
            print(f"\nServe them with: refeed serve -c {config_file}")
            return EXIT_OK if ok else EXIT_FAILED
        from refeed.serve import serve

        # the sample site stays up meanwhile, so the items' links open too
        print(f"\nServing them at {base_url} (Ctrl+C stops)", flush=True)
        assert sock is not None
        asyncio.run(serve(config, sock))
    return EXIT_OK if ok else EXIT_FAILED


def _add(args: argparse.Namespace) -> int:
    from refeed.opml import from_feed_scheme
    from refeed.subscribe import add

    url = _given_url(from_feed_scheme(args.url.strip()), "add")
    return add(args.config, url, name=args.name, dry_run=args.dry_run)


def _given_url(url: str, command: str) -> str:
    """A URL given on the command line, or one line saying what is wrong with it."""
    from urllib.parse import urlsplit

    if "://" not in url:  # "example.org/news/1": the scheme left out
        raise RefeedError(
            f"{url!r} is not a URL: give its scheme, e.g. refeed {command} https://{url}"
        )
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise RefeedError(f"{url!r} is not an http(s) URL, e.g. https://example.org/")
    return url


def _import(args: argparse.Namespace) -> int:
    from refeed.subscribe import import_opml

    return import_opml(args.config, args.opml, dry_run=args.dry_run)


def _export(args: argparse.Namespace) -> int:
    from refeed.subscribe import export_opml

    return export_opml(args.config, args.output)
