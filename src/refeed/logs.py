"""Logging set-up: plain lines or JSON lines on stderr.

``-q`` shows errors only, ``-v`` adds debug lines of refeed, ``-vv`` those of the
libraries too. With ``--log-format json`` every record is one JSON object; the
per-source line of a cycle carries its figures as fields (``source``, ``new``,
``updated``, ``kept``, ``bytes``, ``seconds``, ``error``).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Literal

LogFormat = Literal["text", "json"]


class JsonFormatter(logging.Formatter):
    """One JSON object per record."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            doc.update(fields)
        if record.exc_info:
            doc["traceback"] = self.formatException(record.exc_info)
        return json.dumps(doc, ensure_ascii=False, default=str)


def setup_logging(*, verbose: int = 0, quiet: bool = False, fmt: LogFormat = "text") -> None:
    level = logging.ERROR if quiet else (logging.DEBUG if verbose else logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter() if fmt == "json" else logging.Formatter("%(levelname)s %(message)s")
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    library_level = logging.DEBUG if verbose > 1 else max(level, logging.WARNING)
    for name in (
        "httpx",
        "httpcore",
        "apscheduler",
        "procrastinate",
        "uvicorn.error",
        "uvicorn.access",
    ):
        logging.getLogger(name).setLevel(library_level)
    if verbose:
        logging.getLogger("uvicorn.access").setLevel(logging.INFO)
