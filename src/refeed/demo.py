"""``refeed demo``: serve the bundled sample news site on 127.0.0.1 and run one cycle on it.

The site (``examples/site``, installed as ``refeed/demo_site``) has a teaser-only
RSS feed, a front page without a feed, and article pages full of teaser lists,
one of them a Russian page in windows-1251. The cycle goes through the whole
network path: HTTP, conditional requests, decoding, extraction, store, publish.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import yaml

from refeed.config import Config, SourceConfig


def site_dir() -> Path:
    """The demo site: installed package data, else the source checkout's examples/site."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "demo_site", here.parents[1] / "examples" / "site"):
        if (candidate / "rss.xml").is_file():
            return candidate
    raise FileNotFoundError("the demo site is missing (examples/site in the source tree)")


class _Handler(SimpleHTTPRequestHandler):
    content_types: ClassVar[dict[str, str]] = {}

    def guess_type(self, path: str | Any) -> str:
        relative = Path(path).resolve().relative_to(Path(self.directory).resolve()).as_posix()
        return self.content_types.get(relative) or str(super().guess_type(path))

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@contextmanager
def serve_site(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    manifest = directory / "site.json"
    types = (
        json.loads(manifest.read_text("utf-8")).get("content_types", {})
        if manifest.exists()
        else {}
    )
    handler = type("DemoHandler", (_Handler,), {"content_types": types})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def demo_config(base: str, workdir: Path, *, base_url: str | None = None) -> Config:
    """Two sources on the demo site: its teaser feed, and its front page (no feed).

    *base_url* is where the feeds will be served (``refeed demo --serve``), for self links.
    """
    return Config(
        output_dir=workdir / "feeds",
        database=workdir / "refeed.db",
        base_url=base_url,
        allow_private_networks=True,
        sources=(
            SourceConfig(name="demo-news", feed=base + "rss.xml", title="Demo Daily News"),
            SourceConfig(
                name="demo-frontpage",
                page=base,
                links="h2.headline a",
                title="Demo Daily News (front page)",
            ),
        ),
    )


def write_demo_config(config: Config, workdir: Path) -> Path:
    """Write *config* as ``workdir/config.yaml``, so ``refeed serve -c`` can serve its feeds."""
    data = config.model_dump(mode="json", exclude_defaults=True)
    data["output_dir"] = config.output_dir.relative_to(workdir).as_posix()
    assert isinstance(config.database, Path)  # the demo keeps its database in its folder
    data["database"] = config.database.relative_to(workdir).as_posix()
    path = workdir / "config.yaml"
    header = "# written by `refeed demo`: the demo site's port is gone once the demo ends\n"
    path.write_text(header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
    return path
