"""The README's screenshots of the preview pages, made from the demo site.

    python docs/screenshots.py [--chromium /usr/bin/chromium]

Runs ``refeed demo`` into a temporary folder, serves its feeds with ``refeed serve`` on
a free loopback port, and has Debian's headless chromium (driven by Playwright) take the
index, the demo feed's source page and one item's preview into docs/preview-*.png.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
VIEWPORT = {"width": 1280, "height": 960}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait(url: str) -> None:
    for _ in range(100):
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"refeed serve did not answer at {url}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()
    refeed = [sys.executable, "-m", "refeed", "-q"]
    with tempfile.TemporaryDirectory(prefix="refeed-shots-") as tmp:
        subprocess.run([*refeed, "demo", "--output", tmp], check=True, capture_output=True)
        base = f"http://127.0.0.1:{_free_port()}/"
        listen = base.removeprefix("http://").rstrip("/")
        config = str(Path(tmp) / "config.yaml")
        server = subprocess.Popen([*refeed, "serve", "-c", config, "--listen", listen])
        try:
            _wait(base)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=args.chromium)
                page = browser.new_page(viewport=VIEWPORT)
                page.goto(base)
                page.screenshot(path=HERE / "preview-index.png")
                page.goto(base + "preview/demo-news")
                page.screenshot(path=HERE / "preview-source.png")
                page.locator("table.items a", has_text="Harbour Bridge").click()
                page.wait_for_load_state()
                # down to the first teaser list refeed took out of the page
                teaser = page.locator('.original [data-kind="teaser"]').first.bounding_box()
                bottom = teaser["y"] + teaser["height"] + 24 if teaser else 1800
                tall = {"x": 0, "y": 0, "width": VIEWPORT["width"], "height": min(bottom, 2800)}
                page.screenshot(path=HERE / "preview-item.png", full_page=True, clip=tall)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    for name in ("index", "source", "item"):
        print(HERE / f"preview-{name}.png")


if __name__ == "__main__":
    main()
