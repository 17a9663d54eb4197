"""Dates feeds write with a named time zone feedparser does not know (EET, MSK, CEST, ...).

feedparser reads RFC 822 dates with the American and military zone names only and takes
any other name for UTC: a Moscow paper's "04:00 MSK" came out three hours late. The
handler registered here reads such dates first; every other date is left to feedparser.
JSON Feed dates (RFC 3339) are read by :func:`iso_date`.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from typing import Final

import feedparser
from dateutil import parser as dateparser

# abbreviation -> hours east of UTC; only names that mean one offset wherever they are used
ZONES: Final = {
    "UTC": 0, "GMT": 0, "UT": 0, "Z": 0, "WET": 0, "WEST": 1, "BST": 1, "CET": 1, "CEST": 2,
    "MET": 1, "MEST": 2, "EET": 2, "EEST": 3, "MSK": 3, "MSD": 4, "SAMT": 4, "YEKT": 5,
    "OMST": 6, "KRAT": 7, "IRKT": 8, "YAKT": 9, "VLAT": 10, "MAGT": 11, "PETT": 12,
    "TRT": 3, "GST": 4, "PKT": 5, "NPT": 5.75, "BDT": 6, "ICT": 7, "WIB": 7, "HKT": 8,
    "SGT": 8, "PHT": 8, "AWST": 8, "JST": 9, "KST": 9, "ACST": 9.5, "ACDT": 10.5, "AEST": 10,
    "AEDT": 11, "NZST": 12, "NZDT": 13, "ART": -3, "BRT": -3, "HST": -10, "AKST": -9,
    "AKDT": -8, "SAST": 2, "CAT": 2, "EAT": 3, "WAT": 1,
}  # fmt: skip
_RFC822: Final = re.compile(
    r"^\s*(?:[A-Za-z]{3},?\s+)?(?P<day>\d{1,2})\s+(?P<month>[A-Za-z]{3})[a-z]*\.?\s+"
    r"(?P<year>\d{2,4})\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?\s+"
    r"(?P<zone>[A-Za-z]{1,5})\s*$"
)
_TZINFOS: Final = {name: int(hours * 3600) for name, hours in ZONES.items()}  # for dateutil
_MONTHS: Final = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
)}  # fmt: skip


def named_zone_date(value: str) -> time.struct_time | None:
    """An RFC 822 date with a named zone of :data:`ZONES`, as a UTC struct_time."""
    match = _RFC822.match(value)
    if match is None or match.group("zone").upper() not in ZONES:
        return None
    month = _MONTHS.get(match.group("month").lower())
    if month is None:
        return None
    year = int(match.group("year"))
    year += 2000 if year < 50 else 1900 if year < 100 else 0
    try:
        local = datetime(
            year, month, int(match.group("day")), int(match.group("hour")),
            int(match.group("minute")), int(match.group("second") or 0),
        )  # fmt: skip
    except ValueError:
        return None
    offset = timedelta(hours=ZONES[match.group("zone").upper()])
    return (local - offset).timetuple()


def register() -> None:
    """Let feedparser read named zones (once per process)."""
    if named_zone_date not in feedparser.datetimes._date_handlers:
        feedparser.registerDateHandler(named_zone_date)


def iso_date(value: object) -> datetime | None:
    """An RFC 3339 date (JSON Feed), or any date dateutil reads, as an aware UTC datetime."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        try:
            when = dateparser.parse(value, tzinfos=_TZINFOS)
        except (ValueError, OverflowError):
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)
