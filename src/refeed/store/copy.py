"""``refeed migrate``: one store copied into another (an SQLite file into PostgreSQL).

Every table is copied row by row, in batches, with its keys and ids as they are (an
item's id in the feeds is made of its key, so a reader sees the same items), into a
store that holds nothing yet, in one transaction: a copy that fails leaves the target
empty. The source is only read.
"""

from __future__ import annotations

from refeed.errors import StoreError
from refeed.store.backend import TABLES
from refeed.store.core import Store

BATCH = 500  # rows read and written at a time


def copy_store(source: Store, target: Store) -> dict[str, int]:
    """Copy *source* into the empty *target*; the rows copied, by table."""
    src, dst = source._db, target._db
    if src is dst or source.where == target.where:
        raise StoreError(f"database {target.where}: it is the store being copied")
    for table in TABLES:
        if dst.one(f"SELECT 1 AS found FROM {table} LIMIT 1") is not None:
            raise StoreError(
                f"database {target.where}: it already holds refeed's data ({table});"
                " copy into an empty database, or drop its tables first"
            )
    counts: dict[str, int] = {}
    with dst.transaction():
        for table, order in TABLES.items():
            counts[table] = 0
            while True:
                rows = src.rows(
                    f"SELECT * FROM {table} ORDER BY {order} LIMIT ? OFFSET ?",
                    (BATCH, counts[table]),
                )
                if not rows:
                    break
                # keys(): iterating an sqlite3.Row gives its values; rowid is renumbered
                columns = [c for c in rows[0].keys() if c != "rowid"]  # noqa: SIM118
                dst.run_many(
                    f"INSERT INTO {table} ({', '.join(columns)})"
                    f" VALUES ({', '.join('?' * len(columns))})",
                    [tuple(row[c] for c in columns) for row in rows],
                )
                counts[table] += len(rows)
        if dst.dialect.reset_ids:
            dst.rows(dst.dialect.reset_ids)
    return counts
