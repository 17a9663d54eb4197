"""Peak memory of ``refeed run`` against hostile sources, measured with ``/usr/bin/time -v``.

``python bench/bombs.py [--case NAME ...]`` serves, on 127.0.0.1, a brotli bomb (1 GiB of
zeros in under 1 KB, as a feed and as an article page), a stacked gzip bomb
(``Content-Encoding: gzip, gzip``, 1 GiB in under 2 KB), a single gzip bomb (1 GiB in
1 MB) and a 5 MiB feed of 162,000 tiny items, then runs ``refeed run`` once per case (and
once with all of them) under ``/usr/bin/time -v``. It prints, per run, the figures
``time`` gives for the refeed process (maximum resident set size, elapsed time) and,
sampled every 20 ms with psutil, the peak of the whole process tree's proportional set
size (PSS: shared pages counted once; the parsing and extraction workers are children of
the forkserver, which ``time`` does not wait for, so its figure leaves them out).

Needs the ``bench`` extra (psutil) and GNU time at /usr/bin/time.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import re
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import brotli
import psutil

GiB = 1 << 30


def _brotli_bomb(size: int) -> bytes:
    compressor = brotli.Compressor(quality=5, lgwin=24)
    zeros = b"\0" * (1 << 20)
    return b"".join(compressor.process(zeros) for _ in range(size >> 20)) + compressor.finish()


def _gzip_bomb(size: int) -> bytes:
    with tempfile.SpooledTemporaryFile() as out:
        with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9, mtime=0) as handle:
            zeros = b"\0" * (1 << 20)
            for _ in range(size >> 20):
                handle.write(zeros)
        out.seek(0)
        return out.read()


def _tiny_items_feed() -> bytes:
    items = "<item><title>x</title></item>" * 162_000
    return f'<rss version="2.0"><channel><title>Tiny</title>{items}</channel></rss>'.encode()


def bodies() -> dict[str, tuple[bytes, str, str | None]]:
    """path -> (body, content type, content encoding)."""
    print("building the bombs ...", file=sys.stderr, flush=True)
    single = _gzip_bomb(GiB)
    return {
        "/brotli.xml": (_brotli_bomb(GiB), "application/rss+xml", "br"),
        "/brotli.html": (_brotli_bomb(GiB), "text/html", "br"),
        "/stacked.xml": (gzip.compress(single, 9, mtime=0), "application/rss+xml", "gzip, gzip"),
        "/gzip.xml": (single, "application/rss+xml", "gzip"),
        "/tiny.xml": (_tiny_items_feed(), "application/rss+xml", None),
    }


def serve(routes: dict[str, tuple[bytes, str, str | None]]) -> str:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            if self.path == "/article-feed.xml":
                host = self.headers["Host"]
                body = (
                    '<rss version="2.0"><channel><title>A</title><item><title>Bomb page</title>'
                    f"<link>http://{host}/brotli.html</link></item></channel></rss>"
                ).encode()
                content_type, encoding = "application/rss+xml", None
            elif self.path in routes:
                body, content_type, encoding = routes[self.path]
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            if encoding:
                self.send_header("Content-Encoding", encoding)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

        def handle(self) -> None:
            with contextlib.suppress(ConnectionError):  # refeed hung up at its cap
                super().handle()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


CASES = {
    "brotli-bomb": [("brotli-feed", "/brotli.xml"), ("brotli-page", "/article-feed.xml")],
    "stacked-gzip-bomb": [("stacked", "/stacked.xml")],
    "gzip-bomb": [("gzip", "/gzip.xml")],
    "tiny-items-feed": [("tiny", "/tiny.xml")],
}


def run(base: str, name: str, sources: list[tuple[str, str]], workdir: Path) -> dict[str, str]:
    config = workdir / f"{name}.yaml"
    lines = [
        "allow_private_networks: true",
        f"output_dir: {workdir / name / 'feeds'}",
        f"database: {workdir / name / 'refeed.db'}",
        "sources:",
    ]
    for source, path in sources:
        lines += [f"  - name: {source}", f"    feed: {base}{path}"]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    command = ["/usr/bin/time", "-v", sys.executable, "-m", "refeed", "run", "-c", str(config)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    watched = psutil.Process(process.pid)
    while process.poll() is None:
        try:
            tree = [watched, *watched.children(recursive=True)]
            # PSS: pages the forked workers share with the forkserver are counted once
            peak = max(peak, sum(p.memory_full_info().pss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.02)
    _, err = process.communicate()
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    elapsed = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", err)
    errors = [line for line in err.splitlines() if line.startswith("ERROR")]
    return {
        "case": name,
        "time_max_rss_mb": f"{int(rss.group(1)) / 1024:.0f}" if rss else "?",
        "tree_peak_mb": f"{peak / 2**20:.0f}",
        "elapsed": elapsed.group(1) if elapsed else "?",
        "exit": str(process.returncode),
        "errors": " | ".join(errors)[:300],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", action="append", choices=sorted(CASES), help="default: all")
    args = parser.parse_args()
    names = args.case or list(CASES)
    base = serve(bodies())
    print(f"$ python bench/bombs.py {' '.join(f'--case {n}' for n in args.case or [])}".rstrip())
    print(f"{'case':<20} {'time -v max RSS':>16} {'tree PSS':>10} {'elapsed':>9}  exit  errors")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        runs = [(name, CASES[name]) for name in names]
        if len(names) > 1:
            runs.append(("all-at-once", [s for n in names for s in CASES[n]]))
        for name, sources in runs:
            row = run(base, name, sources, workdir)
            print(
                f"{row['case']:<20} {row['time_max_rss_mb'] + ' MB':>16} "
                f"{row['tree_peak_mb'] + ' MB':>10} {row['elapsed']:>9}  {row['exit']:>4}  "
                f"{row['errors']}",
                flush=True,
            )


if __name__ == "__main__":
    main()
