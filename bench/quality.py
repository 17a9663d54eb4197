"""Extraction quality on the devset: refeed next to bare readability-lxml and trafilatura.

Runs every extractor in-process over the devset's cases and scores the output with the
devset's own scorer functions (``score.py``: snippet include / leak, token F1, clean),
printing one table of macro averages plus the per-language and per-encoding breakdown.

    python bench/quality.py [--devset DIR] [--set pages|teasers|all] [--only ID]
                            [--extractors refeed,readability,trafilatura] [--jobs N]
                            [--json OUT] [-v]

trafilatura is a bench-only dependency: ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
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

    return process(data, url=url, content_type=content_type).text


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


def run_one(job: tuple[str, str, dict[str, Any]]) -> dict[str, Any]:
    extractor, devset, case = job
    scorer = load_scorer(Path(devset))
    meta = case["meta"]
    url = meta.get("url") or ""
    kind = "text" if case["input"].endswith(".txt") else "html"
    ctype = meta.get("content_type") or ("text/plain" if kind == "text" else "text/html")
    data = Path(case["input"]).read_bytes()
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--devset", type=Path, default=DEFAULT_DEVSET)
    ap.add_argument("--set", choices=("pages", "teasers", "all"), default="all")
    ap.add_argument("--only", help="only cases whose id contains this")
    ap.add_argument("--extractors", default=",".join(EXTRACTORS))
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--json", type=Path, help="write every row and the summaries here")
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
    jobs = [(e, str(args.devset), c) for c in cases for e in extractors]
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        rows = list(pool.map(run_one, jobs, chunksize=4))
    wall = time.perf_counter() - started
    print("$ python bench/quality.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:])))
    print(f"{len(cases)} cases, {len(extractors)} extractors, {wall:.0f} s wall, {args.jobs} jobs")

    by_set = {"all": rows} | {s: [r for r in rows if r["set"] == s] for s in ("pages", "teasers")}
    print_table("set", {k: v for k, v in by_set.items() if v}, extractors)
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
    if args.verbose:
        for r in rows:
            if r["extractor"] == extractors[0] and not r["clean"]:
                print(f"\n[{r['set']}] {r['id']} include={_fmt(r['include'])} leak={_fmt(r['leak'])} "
                      f"f1={_fmt(r['f1'])} {r['status']}")  # fmt: skip
                for s in r["missed"]:
                    print(f"   MISSED {s[:110]!r}")
                for s in r["leaked"]:
                    print(f"   LEAKED {s[:110]!r}")
    if args.json:
        args.json.write_text(
            json.dumps({"rows": rows}, ensure_ascii=False, indent=1), encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
