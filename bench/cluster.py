"""refeed worker processes sharing one PostgreSQL store: throughput, database load, and
the guarantees (once per period, no overlap, per-host limits, nothing lost) under SIGKILL.

A loopback network (``bench/loopback.py serve``: each source on its own address, every
answer after ``--latency-ms``) plays the sites; the workers are real ``refeed worker``
processes on a database of their own on the PostgreSQL server (``--server``).

Throughput (default)::

    python bench/cluster.py --workers 1 2 3 --sources 1000 [--items 3] [--concurrency 8]

For each worker count, one job per source is deferred at once and timed until the queue
is empty: a cold round (every item new: fetched, extracted, stored, feeds rendered) and
a warm one (every feed answers 304: the steady state of a hosted service). Reported per
round: seconds, sources a second, and the database's load per job (transactions,
rows read and written, from pg_stat_database).

Guarantees::

    python bench/cluster.py --check --workers 3 --sources 300 --periods 5 [--kill 10]

The sources run on their schedule (``--period`` seconds, spread by refeed) for a warm-up
period and then ``--periods`` more. From the workers' own log lines (one per run, with
its end and its length) and the server's counters it checks that every source ran
exactly once per period, that no two runs of one source overlapped, that no host ever
had more than ``max_per_host`` requests at once, and that the store holds each source's
items once, all of them full text. ``--kill N`` SIGKILLs a random worker at N random
moments (restarting it at once, as systemd's Restart=always does).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil
import psycopg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from cycle import start_server, write_config  # noqa: E402
from loopback import DEFAULT_PAGES, get_json  # noqa: E402

SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
NEVER = "0 0 1 1 *"  # a schedule that does not come round during a benchmark


def fresh_database(server: str, name: str) -> str:
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return server.rsplit("/", 1)[0] + "/" + name


def drop_database(server: str, name: str) -> None:
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class Workers:
    """``refeed worker`` processes, each logging JSON lines to a file of its own."""

    def __init__(self, config: Path, count: int, concurrency: int, stalled_after: float) -> None:
        self.config, self.concurrency, self.stalled_after = config, concurrency, stalled_after
        self.logs = config.parent / "logs"
        self.logs.mkdir(exist_ok=True)
        self.procs: list[subprocess.Popen[bytes]] = []
        self.started = 0
        for _ in range(count):
            self.procs.append(self._start())

    def _start(self) -> subprocess.Popen[bytes]:
        self.started += 1
        log = (self.logs / f"worker-{self.started}.jsonl").open("wb")
        return subprocess.Popen(
            [sys.executable, "-m", "refeed", "--log-format", "json", "worker",
             "-c", str(self.config), "--concurrency", str(self.concurrency),
             "--stalled-after", str(self.stalled_after)],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def kill_one(self) -> None:
        """SIGKILL a random worker and start another in its place."""
        n = random.randrange(len(self.procs))
        self.procs[n].kill()
        self.procs[n].wait()
        self.procs[n] = self._start()

    def cpu_seconds(self) -> float:
        """CPU time the living workers and their extraction processes have used."""
        total = 0.0
        for proc in self.procs:
            try:
                tree = psutil.Process(proc.pid)
                for p in [tree, *tree.children(recursive=True)]:
                    times = p.cpu_times()
                    total += times.user + times.system
            except psutil.Error:
                continue
        return total

    def stop(self) -> list[int]:
        for proc in self.procs:
            proc.send_signal(signal.SIGTERM)
        return [proc.wait(timeout=120) for proc in self.procs]

    def runs(self) -> list[dict[str, Any]]:
        """Every run the workers logged: source, start and end (epoch s), error."""
        runs = []
        for path in sorted(self.logs.glob("*.jsonl")):
            for line in path.read_text("utf-8", "replace").splitlines():
                try:
                    doc = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if doc.get("logger") == "refeed.cycle" and "seconds" in doc and "source" in doc:
                    end = datetime.fromisoformat(doc["time"]).timestamp()
                    runs.append(
                        {"source": doc["source"], "start": end - doc["seconds"], "end": end,
                         "error": doc.get("error")}
                    )  # fmt: skip
        return runs


def wait_for_workers(url: str, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(url) as conn:
                row = conn.execute("SELECT count(*) FROM procrastinate_workers").fetchone()
            if row and row[0] >= count:
                return
        except psycopg.Error:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the {count} workers did not start in {timeout:g} s")


def db_stats(url: str) -> dict[str, int]:
    time.sleep(1.0)  # the server flushes its counters about every second
    with psycopg.connect(url) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute(
            "SELECT xact_commit, tup_returned + tup_fetched, tup_inserted + tup_updated"
            " + tup_deleted FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    assert row is not None
    return {"transactions": row[0], "rows_read": row[1], "rows_written": row[2]}


def defer_all(config_path: Path, names: list[str], period: int) -> None:
    """One job per source for *period*, with the locks a periodic one has (refeed.jobs)."""
    import asyncio

    from refeed.config import load_config
    from refeed.jobs import TASK, build_app, lock_of

    config = load_config(config_path)

    async def main() -> None:
        app = build_app(config, None, concurrency=4)
        async with app.open_async():
            task = app.tasks[TASK]
            for name in names:
                await task.configure(lock=lock_of(name), queueing_lock=lock_of(name)).defer_async(
                    source=name, timestamp=period
                )

    asyncio.run(main())


def queue_empty(url: str) -> bool:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'refeed.run_source'"
            " AND status IN ('todo', 'doing')"
        ).fetchone()
    return bool(row and row[0] == 0)


def server_cpu_seconds() -> float:
    """CPU time of the PostgreSQL server's processes on this machine (0 if elsewhere)."""
    total = 0.0
    for proc in psutil.process_iter(["name", "cpu_times"]):
        if proc.info["name"] in ("postgres", "postmaster") and proc.info["cpu_times"]:
            total += proc.info["cpu_times"].user + proc.info["cpu_times"].system
    return total


def timed_round(
    url: str, config: Path, names: list[str], workers: Workers, period: int
) -> dict[str, Any]:
    before, cpu, db_cpu = db_stats(url), workers.cpu_seconds(), server_cpu_seconds()
    started = time.monotonic()
    defer_all(config, names, period)
    while not queue_empty(url):
        time.sleep(0.1)
    seconds = time.monotonic() - started
    cpu, db_cpu = workers.cpu_seconds() - cpu, server_cpu_seconds() - db_cpu
    after = db_stats(url)
    jobs = len(names)
    return {
        "seconds": round(seconds, 2),
        "sources_per_s": round(jobs / seconds, 1),
        "worker_cpu_ms_per_job": round(cpu * 1000 / jobs, 1),
        "db_cpu_ms_per_job": round(db_cpu * 1000 / jobs, 1),
        **{f"{k}_per_job": round((after[k] - before[k]) / jobs, 1) for k in before},
    }


def throughput(args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    results = []
    server, port = start_server(args.sources, args.items, args.latency_ms, args.pages)
    try:
        for count in args.workers:
            name = f"refeed_bench_{count}"
            url = fresh_database(args.server, name)
            directory = work / f"w{count}"
            directory.mkdir()
            extra = {"database": url, "schedule": NEVER, "max_per_host": 2}
            config = write_config(directory, args.sources, port, args.items, extra)
            workers = Workers(config, count, args.concurrency, args.stalled_after)
            try:
                wait_for_workers(url, count)
                names = [f"s{k:04d}" for k in range(args.sources)]
                get_json(f"http://127.0.0.2:{port}/__reset")
                cold = timed_round(url, config, names, workers, period=1)
                warm = timed_round(url, config, names, workers, period=2)
                stats = get_json(f"http://127.0.0.2:{port}/__stats")
            finally:
                codes = workers.stop()
            runs = workers.runs()
            row = {
                "workers": count,
                "cold": cold,
                "warm": warm,
                "runs_logged": len(runs),
                "failed_runs": sum(1 for r in runs if r["error"]),
                "max_inflight_per_host": stats["max_inflight_per_host"],
                "exit_codes": codes,
            }
            print(json.dumps(row), flush=True)
            results.append(row)
            drop_database(args.server, name)
    finally:
        server.terminate()
    return results


def scheduled(cron: str, start: float, end: float) -> list[float]:
    from croniter import croniter

    times, it = [], croniter(cron, start)
    while (t := it.get_next(float)) < end:
        times.append(t)
    return times


def check(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from refeed.config import load_config
    from refeed.jobs import cron_of
    from refeed.store import Store

    period = args.period
    server, port = start_server(args.sources, args.items, args.latency_ms, args.pages)
    name = "refeed_bench_check"
    url = fresh_database(args.server, name)
    extra = {"database": url, "schedule": f"{period}s", "max_per_host": args.max_per_host}
    config_path = write_config(work, args.sources, port, args.items, extra)
    config = load_config(config_path)
    workers = Workers(config_path, args.workers[0], args.concurrency, args.stalled_after)
    kills: list[float] = []
    try:
        wait_for_workers(url, args.workers[0])
        t0 = time.time()
        window = (t0 + period, t0 + period * (1 + args.periods))  # after one warm-up period
        stop = threading.Event()

        def killer() -> None:
            moments = sorted(random.uniform(0, window[1] - t0) for _ in range(args.kill))
            for moment in moments:
                if stop.wait(max(0.0, t0 + moment - time.time())):
                    return
                workers.kill_one()
                kills.append(time.time() - t0)

        thread = threading.Thread(target=killer, daemon=True)
        thread.start()
        time.sleep(window[1] + period + args.stalled_after - time.time())  # the last runs end
        stop.set()
        stats = get_json(f"http://127.0.0.2:{port}/__stats")
    finally:
        codes = workers.stop()
        server.terminate()
    runs = workers.runs()
    by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        by_source[run["source"]].append(run)
    per_period: Counter[int] = Counter()  # runs a source had in one of its periods
    overlaps = late = 0
    for source in config.sources:
        mine = sorted(by_source[source.name], key=lambda r: r["start"])
        overlaps += sum(1 for a, b in itertools.pairwise(mine) if b["start"] < a["end"])
        cron = cron_of(config.schedule_of(source), source.name)
        for due in scheduled(cron, window[0], window[1]):
            started = [r for r in mine if due - 0.5 <= r["start"] < due + period - 0.5]
            per_period[len(started)] += 1
            late += sum(1 for r in started if r["start"] > due + period / 2)
    items = duplicates = partial = 0
    with Store(url) as store:
        for source in config.sources:
            stored = store.items(source.name, 1000)
            items += len(stored)
            titles = [i.title for i in stored]
            duplicates += len(titles) - len(set(titles))
            partial += sum(1 for i in stored if not i.full_text)
    drop_database(args.server, name)
    return {
        "workers": args.workers[0],
        "sources": args.sources,
        "period_s": period,
        "periods": args.periods,
        "kills": len(kills),
        "kill_moments_s": [round(k, 1) for k in kills],
        "source_periods_by_runs": dict(sorted(per_period.items())),
        "runs_started_late": late,
        "overlapping_runs": overlaps,
        "max_inflight_per_host": stats["max_inflight_per_host"],
        "max_per_host": args.max_per_host,
        "items": items,
        "items_expected": args.sources * args.items,
        "duplicate_items": duplicates,
        "items_without_full_text": partial,
        "failed_runs": sum(1 for r in runs if r["error"]),
        "exit_codes": codes,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--items", type=int, default=3)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--stalled-after", type=float, default=6.0)
    parser.add_argument("--pages", type=Path, default=HERE.parent / DEFAULT_PAGES)
    parser.add_argument("--server", default=os.environ.get("REFEED_BENCH_POSTGRESQL", SERVER))
    parser.add_argument("--check", action="store_true", help="the guarantees, on schedule")
    parser.add_argument("--period", type=int, default=20, help="seconds (--check)")
    parser.add_argument("--periods", type=int, default=5, help="(--check)")
    parser.add_argument("--kill", type=int, default=0, help="SIGKILLs at random (--check)")
    parser.add_argument("--max-per-host", type=int, default=1, help="(--check)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    print("$ python bench/cluster.py " + shlex.join(sys.argv[1:] if argv is None else argv))
    print(f"cores: {os.cpu_count()}, sources: {args.sources} x {args.items} items,"
          f" latency {args.latency_ms:g} ms, concurrency {args.concurrency} per worker")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="refeed-cluster-") as tmp:
        result: Any = check(args, Path(tmp)) if args.check else throughput(args, Path(tmp))
    if args.check:
        print(json.dumps(result, indent=1))
    else:
        head = f"{'s':>7} {'src/s':>6} {'cpu ms':>6} {'db ms':>6} {'tx/job':>6} {'rows/job':>8}"
        print(f"{'':7} {'cold: every item new':^46} {'warm: every feed 304':^46}")
        print(f"{'workers':>7} {head} {head} {'host max':>8}")
        for row in result:
            cells = [
                f"{r['seconds']:>7} {r['sources_per_s']:>6} {r['worker_cpu_ms_per_job']:>6}"
                f" {r['db_cpu_ms_per_job']:>6} {r['transactions_per_job']:>6}"
                f" {r['rows_read_per_job'] + r['rows_written_per_job']:>8.0f}"
                for r in (row["cold"], row["warm"])
            ]
            print(f"{row['workers']:>7} {cells[0]} {cells[1]} {row['max_inflight_per_host']:>8}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
