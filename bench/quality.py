r"""Extraction quality on the devset: refeed next to bare readability-lxml and trafilatura.

Runs every extractor in-process over the devset's cases and scores the output with the
devset's own scorer functions (``score.py``: snippet include / leak, token F1, clean),
printing one table of macro averages plus the per-source, per-language and per-tag
breakdown.

    python bench/quality.py [--devset DIR] [--set pages|teasers|all] [--only ID]
                            [--extractors refeed,readability,trafilatura] [--jobs N]
                            [--benchmark DIR ...] [--ablate [--ablate-min N]]
                            [--class-names kept|stripped|hashed] [--json OUT] [-v]

``--benchmark DIR`` also scores a benchmark in the ScrapingHub layout (``ground-truth.json``
mapping each id to ``{"articleBody": ...}``, and ``html/<id>.html`` or ``.html.gz``) with
its token-shingle F1: the lower-cased ``\w+`` tokens of a text, in shingles of 4; per page
the precision and recall of the output's shingles against the truth's (an empty output
has precision 0 when the truth is not empty); the F1 of the two averages over the pages.

``--ablate`` scores refeed once as it is, then once with each cleaning rule that removed
something on 3 or more cases switched off (by its rule key, ``refeed.clean.trace``), and
once with each stage of the article path switched off, and prints one table: what each
rule or stage is worth, by set and source (a positive figure: refeed is that much better
with it).

``--class-names stripped`` (or ``hashed``) runs every extractor on the pages with their
``class`` attributes taken out (or each class name replaced by a meaningless token, the same
name by the same token, as a site built with CSS modules names its boxes): how much of a
result rests on class names that pages nobody tuned refeed to will spell otherwise. Ids
stay, since the page's own links point at them.

trafilatura is a bench-only dependency: ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import importlib
import importlib.util
import json
import os
import re
import shlex
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

DEFAULT_DEVSET = Path(__file__).resolve().parents[1].parent / "shared" / "devset"
EXTRACTORS = ("refeed", "readability", "trafilatura")


def load_scorer(devset: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("devset_score", devset / "score.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"no score.py in {devset}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _refeed(data: bytes, url: str, content_type: str) -> str:
    from refeed.article import process

    # the HTML, as `refeed extract` prints it (its text would show a code sample's tags
    # as text, which a scorer reading HTML-looking output then strips)
    return process(data, url=url, content_type=content_type).html


def _refeed_rules(data: bytes, url: str, content_type: str) -> list[str]:
    """The rule keys of what refeed removed from one page."""
    from refeed.article import process
    from refeed.clean.trace import rule_key

    article = process(data, url=url, content_type=content_type)
    return sorted({rule_key(r.kind, r.rule) for r in article.removals})


def _no(*_args: Any, **_kwargs: Any) -> None:
    return None


def _none_found(*_args: Any, **_kwargs: Any) -> list[Any]:
    return []


# stage -> (module, attribute, replacement): the stage switched off
STAGES: dict[str, tuple[str, str, Any]] = {
    "stage: chrome removal on the page": ("refeed.clean", "remove_chrome", _no),
    "stage: teaser removal (page and story)": ("refeed.clean", "remove_teasers", _no),
    "stage: boilerplate lines in the story": ("refeed.clean", "remove_lines", _no),
    "stage: the story's container guarded": ("refeed.clean", "story_candidate", _no),
    "stage: parts put back beside readability's choice": (
        "refeed.extract.story", "better_container", _no,
    ),
    "stage: a thread's other posts": ("refeed.extract.parts", "_thread", _no),
    "stage: lists and quotes readability dropped": ("refeed.extract.parts", "_restore_dropped", _no),
    "stage: the story's notes": ("refeed.extract.parts", "notes", _none_found),
    "stage: the lead in its own box": ("refeed.extract.story", "lead_paragraph", _no),
    "stage: JSON-LD articleBody": ("refeed.extract", "structured_body", _no),
    "stage: the second candidate": ("refeed.article", "_SECOND_WINS", 0.0),
    "stage: a story cut into boxes taken whole": ("refeed.clean.chrome", "_WHOLE", 0),
    "stage: the last resort": ("refeed.article", "_last_resort", _no),
}  # fmt: skip


@contextlib.contextmanager
def switched_off(off: str | None) -> Any:
    """Run the block with one rule key or one stage (of STAGES) switched off."""
    if off is None:
        yield
        return
    if off in STAGES:
        module_name, attribute, replacement = STAGES[off]
        module = importlib.import_module(module_name)
        original = getattr(module, attribute)
        setattr(module, attribute, replacement)
        try:
            yield
        finally:
            setattr(module, attribute, original)
        return
    from refeed.clean.trace import without

    with without([off]):
        yield


def _readability(data: bytes, url: str, content_type: str) -> str:
    from readability import Document

    from refeed.decode import decode

    return str(Document(decode(data, content_type).text, url=url or None).summary())


def _trafilatura(data: bytes, url: str, content_type: str) -> str:
    import trafilatura

    from refeed.decode import decode

    text = decode(data, content_type).text
    if content_type.startswith("text/plain"):
        return text
    return trafilatura.extract(text, url=url or None, favor_precision=False) or ""


RUNNERS: dict[str, Callable[[bytes, str, str], str]] = {
    "refeed": _refeed,
    "readability": _readability,
    "trafilatura": _trafilatura,
}


_TAG = re.compile(rb"<[A-Za-z][^<>]*>")
_CLASS = re.compile(rb"""(\s)class(\s*=\s*)("[^"]*"|'[^']*'|[^\s>]+)""", re.IGNORECASE)


def renamed(data: bytes, how: str) -> bytes:
    """The page with the ``class`` attributes of its tags *how*: "kept", "stripped" or
    "hashed" (each name a token of its hash)."""
    if how == "kept":
        return data

    def one(match: re.Match[bytes]) -> bytes:
        if how == "stripped":
            return b""
        names = match.group(3).strip(b"'\"").split()
        tokens = b" ".join(
            b"n" + hashlib.blake2s(n, digest_size=3).hexdigest().encode() for n in names
        )
        return match.group(1) + b'class="' + tokens + b'"'

    return _TAG.sub(lambda tag: _CLASS.sub(one, tag.group(0)), data)


def run_one(
    job: tuple[str, str, dict[str, Any]] | tuple[str, str, dict[str, Any], str | None],
) -> dict[str, Any]:
    extractor, devset, case = job[:3]
    off = job[3] if len(job) > 3 else None
    with switched_off(off):  # type: ignore[arg-type]
        return _run_one(extractor, devset, case)


def _run_one(extractor: str, devset: str, case: dict[str, Any]) -> dict[str, Any]:
    scorer = load_scorer(Path(devset))
    meta = case["meta"]
    url = meta.get("url") or ""
    kind = "text" if case["input"].endswith(".txt") else "html"
    ctype = meta.get("content_type") or ("text/plain" if kind == "text" else "text/html")
    data = renamed(Path(case["input"]).read_bytes(), case.get("class_names", "kept"))
    started = time.perf_counter()
    status = "ok"
    try:
        out = RUNNERS[extractor](data, url, ctype)
    except Exception as exc:  # a bench reports every failure as a row, it never stops
        status, out = f"error: {type(exc).__name__}: {exc}"[:200], ""
    elapsed = time.perf_counter() - started
    text = scorer.norm(scorer.output_text(out.encode()))
    key = scorer.squash(text)
    exp = case["expected"]
    inc, exc_ = exp.get("must_include") or [], exp.get("must_exclude") or []
    missed = [s for s in inc if scorer.squash(s) not in key]
    leaked = [s for s in exc_ if scorer.squash(s) in key]
    return {
        "extractor": extractor,
        "set": case["set"],
        "id": case["id"],
        "source": scorer.source_of(case),
        "language": meta.get("language"),
        "tags": meta.get("tags") or [],
        "status": status,
        "seconds": elapsed,
        "n_include": len(inc),
        "n_exclude": len(exc_),
        "include": (len(inc) - len(missed)) / len(inc) if inc else None,
        "leak": len(leaked) / len(exc_) if exc_ else None,
        "f1": scorer.token_f1(text, exp["text"]) if exp.get("text") else None,
        "clean": not missed and not leaked and status == "ok",
        "missed": missed,
        "leaked": leaked,
        "output_chars": len(text),
    }


def source_group(row: dict[str, Any]) -> str:
    """The devset source a case comes from: traf, goose3, np4k, rdbl, ... or teasers."""
    return "teasers" if row["set"] == "teasers" else str(row["id"]).split("-")[0]


# -- benchmarks in the ScrapingHub layout -------------------------------------------------

_SHINGLE_TOKEN = re.compile(r"\w+")
_LOOKS_LIKE_HTML = re.compile(r"<(?:p|div|br|span|article|h[1-6]|li|a)\b", re.IGNORECASE)
SHINGLE = 4


def shingles(text: str) -> set[tuple[str, ...]]:
    tokens = _SHINGLE_TOKEN.findall(text.lower())
    if len(tokens) < SHINGLE:
        return {tuple(tokens)} if tokens else set()
    return {tuple(tokens[i : i + SHINGLE]) for i in range(len(tokens) - SHINGLE + 1)}


def shingle_precision_recall(output: str, truth: str) -> tuple[float, float]:
    found, expected = shingles(output), shingles(truth)
    if not expected:
        return (1.0, 1.0) if not found else (0.0, 1.0)
    if not found:
        return 0.0, 0.0
    common = len(found & expected)
    return common / len(found), common / len(expected)


def load_benchmark(directory: Path) -> list[dict[str, Any]]:
    truth = json.loads((directory / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id, item in sorted(truth.items()):
        for name in (f"{page_id}.html", f"{page_id}.html.gz"):
            path = directory / "html" / name
            if path.exists():
                pages.append({"benchmark": directory.name, "id": page_id, "path": str(path),
                              "url": item.get("url") or "", "truth": item.get("articleBody") or ""})  # fmt: skip
                break
    return pages


def run_benchmark_one(job: tuple[str, dict[str, Any], str | None]) -> dict[str, Any]:
    extractor, page, off = job
    raw = Path(page["path"]).read_bytes()
    data = gzip.decompress(raw) if page["path"].endswith(".gz") else raw
    data = renamed(data, page.get("class_names", "kept"))
    started = time.perf_counter()
    status, out = "ok", ""
    with switched_off(off):
        try:
            out = RUNNERS[extractor](data, page["url"], "text/html")
        except Exception as exc:  # every failure is a row
            status = f"error: {type(exc).__name__}: {exc}"[:200]
    if _LOOKS_LIKE_HTML.search(out[:20000]):  # bare readability gives HTML: its text counts
        from refeed.article import html_to_text

        out = html_to_text(out)
    precision, recall = shingle_precision_recall(out, page["truth"])
    return {"extractor": extractor, "benchmark": page["benchmark"], "id": page["id"],
            "status": status, "seconds": time.perf_counter() - started,
            "precision": precision, "recall": recall, "empty": not out.strip()}  # fmt: skip


def benchmark_summary(rows: list[dict[str, Any]]) -> dict[str, float]:
    precision = sum(r["precision"] for r in rows) / max(1, len(rows))
    recall = sum(r["recall"] for r in rows) / max(1, len(rows))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"pages": len(rows), "precision": precision, "recall": recall, "f1": f1,
            "errors": sum(r["status"] != "ok" for r in rows),
            "empty": sum(r["empty"] for r in rows)}  # fmt: skip


def print_benchmarks(rows: list[dict[str, Any]], extractors: list[str]) -> None:
    print(f"\n{'benchmark (shingle F1)':<34} {'extractor':<12} {'pages':>5} {'prec':>7} "
          f"{'recall':>7} {'f1':>7} {'empty':>6} {'errors':>6}")  # fmt: skip
    for name in sorted({r["benchmark"] for r in rows}):
        for extractor in extractors:
            mine = [r for r in rows if r["benchmark"] == name and r["extractor"] == extractor]
            if mine:
                s = benchmark_summary(mine)
                print(f"{name[:34]:<34} {extractor:<12} {s['pages']:>5} {s['precision']:7.3f} "
                      f"{s['recall']:7.3f} {s['f1']:7.3f} {s['empty']:>6} {s['errors']:>6}")  # fmt: skip


# -- ablation -------------------------------------------------------------------------------

# (group, metric): what the ablation table shows; "pages" and "teasers" are sets, the rest
# devset sources
ABLATION_COLUMNS = [
    ("pages", "include"), ("pages", "leak"), ("pages", "f1"), ("teasers", "clean"),
    ("rdbl", "f1"), ("traf", "include"), ("traf", "leak"), ("goose3", "f1"), ("np4k", "f1"),
]  # fmt: skip


def _figure(rows: list[dict[str, Any]], group: str, metric: str) -> float | None:
    mine = [r for r in rows if r["set"] == group or source_group(r) == group]
    return summary(mine)[metric] if mine else None


def ablate(
    pool: ProcessPoolExecutor,
    devset: Path,
    cases: list[dict[str, Any]],
    pages: list[dict[str, Any]],
    *,
    base: list[dict[str, Any]],
    base_bench: list[dict[str, Any]],
    least: int,
) -> list[dict[str, Any]]:
    """What each rule (fired on *least* cases or more) and each stage is worth."""
    fired: dict[str, int] = {}
    for keys in pool.map(_rules_of_case, cases, chunksize=4):
        for key in keys:
            fired[key] = fired.get(key, 0) + 1
    offs = [k for k, n in sorted(fired.items(), key=lambda kv: -kv[1]) if n >= least]
    offs += list(STAGES)
    table = []
    for off in offs:
        rows = list(
            pool.map(run_one, [("refeed", str(devset), c, off) for c in cases], chunksize=4)
        )
        bench = list(pool.map(run_benchmark_one, [("refeed", p, off) for p in pages], chunksize=4))
        entry: dict[str, Any] = {"off": off, "cases": fired.get(off)}
        for group, metric in ABLATION_COLUMNS:
            with_it, without_it = _figure(base, group, metric), _figure(rows, group, metric)
            if with_it is None or without_it is None:
                entry[f"{group} {metric}"] = None
                continue
            gain = with_it - without_it
            entry[f"{group} {metric}"] = -gain if metric == "leak" else gain
        for name in sorted({p["benchmark"] for p in pages}):
            mine = [r for r in base_bench if r["benchmark"] == name and r["extractor"] == "refeed"]
            theirs = [r for r in bench if r["benchmark"] == name]
            entry[f"{name} f1"] = benchmark_summary(mine)["f1"] - benchmark_summary(theirs)["f1"]
        table.append(entry)
        print(_ablation_line(entry), flush=True)
    return table


def _rules_of_case(case: dict[str, Any]) -> list[str]:
    meta = case["meta"]
    kind = "text" if case["input"].endswith(".txt") else "html"
    ctype = meta.get("content_type") or ("text/plain" if kind == "text" else "text/html")
    try:
        data = renamed(Path(case["input"]).read_bytes(), case.get("class_names", "kept"))
        return _refeed_rules(data, meta.get("url") or "", ctype)
    except Exception:  # a page refeed fails on has no rules to switch off
        return []


def _ablation_line(entry: dict[str, Any]) -> str:
    figures = " ".join(
        "      -" if v is None else f"{v:+7.3f}"
        for k, v in entry.items()
        if k not in ("off", "cases")
    )
    cases = "" if entry["cases"] is None else str(entry["cases"])
    return f"{entry['off'][:58]:<58} {cases:>5} {figures}"


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def _fmt(value: float | None) -> str:
    return "    - " if value is None else f"{value:6.3f}"


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "cases": len(rows),
        "include": _mean([r["include"] for r in rows]),
        "leak": _mean([r["leak"] for r in rows]),
        "f1": _mean([r["f1"] for r in rows]),
        "clean": sum(r["clean"] for r in rows) / len(rows) if rows else None,
        "errors": sum(r["status"] != "ok" for r in rows),
        "pages_per_s": len(rows) / max(1e-9, sum(r["seconds"] for r in rows)),
    }


def print_table(title: str, groups: dict[str, list[dict[str, Any]]], extractors: list[str]) -> None:
    print(f"\n{title:<34} {'extractor':<12} {'cases':>5} {'include':>7} {'leak':>7} "
          f"{'f1':>7} {'clean':>7} {'errors':>6}")  # fmt: skip
    for name, rows in groups.items():
        for extractor in extractors:
            mine = [r for r in rows if r["extractor"] == extractor]
            if not mine:
                continue
            s = summary(mine)
            print(f"{name[:34]:<34} {extractor:<12} {s['cases']:>5} {_fmt(s['include'])}  "
                  f"{_fmt(s['leak'])}  {_fmt(s['f1'])}  {_fmt(s['clean'])} {s['errors']:>6}")  # fmt: skip


def report(rows: list[dict[str, Any]], extractors: list[str], *, verbose: bool) -> None:
    """The devset tables: by set, source, language and tag; the speed; unclean cases."""

    by_set = {"all": rows} | {s: [r for r in rows if r["set"] == s] for s in ("pages", "teasers")}
    print_table("set", {k: v for k, v in by_set.items() if v}, extractors)
    by_source: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_source.setdefault(source_group(r), []).append(r)
    print_table("source", dict(sorted(by_source.items())), extractors)
    # the scorer's own breakdown: languages with 3+ cases, the rest together, then tags
    by_language: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_language.setdefault(r["language"] or "?", []).append(r)
    cases_of = {lang: len({r["id"] for r in group}) for lang, group in by_language.items()}
    groups = {lang: group for lang, group in sorted(by_language.items()) if cases_of[lang] >= 3}
    groups["other (<3 cases each)"] = [
        r for lang, group in by_language.items() if cases_of[lang] < 3 for r in group
    ]
    print_table("language", groups, extractors)
    tags = ("teasers", "news", "legacy-encoding", "broken-encoding", "hard", "expected-text")
    print_table("tag", {t: [r for r in rows if t in r["tags"]] for t in tags}, extractors)
    speed = {
        e: summary([r for r in rows if r["extractor"] == e])["pages_per_s"] for e in extractors
    }
    print(
        "\npages/s (one worker, in-process): " + ", ".join(f"{e} {v:.1f}" for e, v in speed.items())
    )
    if verbose:
        for r in rows:
            if r["extractor"] == extractors[0] and not r["clean"]:
                print(f"\n[{r['set']}] {r['id']} include={_fmt(r['include'])} leak={_fmt(r['leak'])} "
                      f"f1={_fmt(r['f1'])} {r['status']}")  # fmt: skip
                for s in r["missed"]:
                    print(f"   MISSED {s[:110]!r}")
                for s in r["leaked"]:
                    print(f"   LEAKED {s[:110]!r}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--devset", type=Path, default=DEFAULT_DEVSET)
    ap.add_argument("--set", choices=("pages", "teasers", "all"), default="all")
    ap.add_argument("--only", help="only cases whose id contains this")
    ap.add_argument("--extractors", default=",".join(EXTRACTORS))
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--json", type=Path, help="write every row and the summaries here")
    ap.add_argument(
        "--benchmark",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="also score a benchmark in the ScrapingHub layout (repeatable)",
    )
    ap.add_argument("--ablate", action="store_true", help="what each rule and stage is worth")
    ap.add_argument("--ablate-min", type=int, default=3, metavar="N",
                    help="rules that removed something on at least N cases (default 3)")  # fmt: skip
    ap.add_argument("--class-names", choices=("kept", "stripped", "hashed"), default="kept",
                    help="run on the pages with their class names stripped or hashed")  # fmt: skip
    ap.add_argument("-v", "--verbose", action="store_true", help="list each unclean case")
    args = ap.parse_args(argv)
    extractors = [e.strip() for e in args.extractors.split(",") if e.strip()]
    for extractor in extractors:
        if extractor not in RUNNERS:
            ap.error(f"unknown extractor {extractor!r}; choose from {', '.join(RUNNERS)}")
    scorer = load_scorer(args.devset)
    cases = scorer.load_cases(str(args.devset), args.set)
    if args.only:
        cases = [c for c in cases if args.only in c["id"]]
    for case in cases:
        case["class_names"] = args.class_names
    jobs = [(e, str(args.devset), c) for c in cases for e in extractors]
    pages = [p for directory in args.benchmark for p in load_benchmark(directory)]
    for page in pages:
        page["class_names"] = args.class_names
    started = time.perf_counter()
    pool = ProcessPoolExecutor(max_workers=max(1, args.jobs))
    rows = list(pool.map(run_one, jobs, chunksize=4))
    bench_rows = list(
        pool.map(run_benchmark_one, [(e, p, None) for p in pages for e in extractors], chunksize=4)
    )
    wall = time.perf_counter() - started
    print("$ python bench/quality.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:])))
    print(f"{len(cases)} cases, {len(extractors)} extractors, {wall:.0f} s wall, {args.jobs} jobs")
    report(rows, extractors, verbose=args.verbose)
    if bench_rows:
        print_benchmarks(bench_rows, extractors)
    ablation: list[dict[str, Any]] = []
    if args.ablate:
        base = [r for r in rows if r["extractor"] == "refeed"] or list(
            pool.map(run_one, [("refeed", str(args.devset), c) for c in cases], chunksize=4)
        )
        base_bench = [r for r in bench_rows if r["extractor"] == "refeed"] or list(
            pool.map(run_benchmark_one, [("refeed", p, None) for p in pages], chunksize=4)
        )
        heads = " ".join(f"{g[:7]:>7}" for g, _ in ABLATION_COLUMNS)
        metrics = " ".join(f"{m[:7]:>7}" for _, m in ABLATION_COLUMNS)
        names = " ".join(f"{b[:7]:>7}" for b in sorted({p["benchmark"] for p in pages}))
        print(f"\nablation: what each rule or stage is worth (refeed with it minus without it;"
              f" leak: without minus with)\n{'rule or stage switched off':<58} {'cases':>5} "
              f"{heads} {names}\n{'':<58} {'':>5} {metrics} {'f1 ' * len(names.split())}")  # fmt: skip
        ablation = ablate(
            pool, args.devset, cases, pages, base=base, base_bench=base_bench, least=args.ablate_min
        )
    pool.shutdown()
    if args.json:
        args.json.write_text(
            json.dumps(
                {"rows": rows, "benchmarks": bench_rows, "ablation": ablation},
                ensure_ascii=False,
                indent=1,
            ),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
