"""Versions of what a collection serves, from the change counters, and caches keyed by them.

Every statement changing a table a collection reads bumps that table's counter for each
county it touched (migration 0019, gis/ogc/sql/functions/change_counters.sql). The sum of
a collection's counters only grows, and grows with every commit that changes what the
collection serves, so it is a strong validator of it (an HTTP ETag, a cache key)::

    async with await psycopg.AsyncConnection.connect(url) as conn:
        tag = await versions.collection_version(conn, COLLECTIONS["events"], ["450105"])

The tag also carries the counters' table's identity (its OID): a database whose counters
were dropped and made again (a downgrade and upgrade) counts from zero, and must not hand
out an old tag for new data.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from psycopg import AsyncConnection, sql

from gis.ogc.collections import Collection
from gis.sql import query

# The county whose counter counts what touches every county (a TRUNCATE, a table without
# counties): every county's version includes it. Not a county code of GB/T 2260.
EVERY_COUNTY = "000000"


@dataclass(frozen=True)
class Version:
    """A collection's version: ``tag``, a strong validator of what it serves, and when its
    data last changed (None only before the counters' first row)."""

    tag: str
    changed_at: datetime | None


def version_query(
    collection: Collection, counties: Sequence[str] | None = None
) -> tuple[sql.Composed, dict[str, Any]]:
    """The SELECT giving ``tag`` and ``changed_at`` of the collection's version, and its
    parameters: for a statement that reads the version in the same snapshot as the data
    it serves (a page of features, an extent)."""
    params: dict[str, Any] = {"version_tables": list(collection.tables)}
    counted: sql.Composable = sql.SQL("true")
    if counties is not None:
        params["version_counties"] = sorted({*counties, EVERY_COUNTY})
        counted = sql.SQL("county_code = ANY (%(version_counties)s::bpchar[])")
    return sql.SQL(query("ogc/collection_version")).format(counties=counted), params


async def collection_state(
    conn: AsyncConnection, collection: Collection, counties: Sequence[str] | None = None
) -> Version:
    """The collection's version, over the given counties only when ``counties`` is given.

    Limit it to counties only when no row of another county can be served (a filter on
    ``county_code``): the counters say which county a row belongs to, not where it lies.
    """
    statement, params = version_query(collection, counties)
    cursor = await conn.execute(statement, params)
    row = await cursor.fetchone()
    assert row is not None  # an aggregate without GROUP BY returns one row
    return Version(tag=row[0], changed_at=row[1])


async def collection_version(
    conn: AsyncConnection, collection: Collection, counties: Sequence[str] | None = None
) -> str:
    """A strong validator of what ``collection`` serves (of its rows of ``counties``
    only, when given): it changes with every commit that changes them."""
    return (await collection_state(conn, collection, counties)).tag


async def collection_states(
    conn: AsyncConnection, collections: Sequence[Collection]
) -> dict[str, Version]:
    """The versions of several collections over every county, by id, in one query (the
    list of collections)."""
    tables = sorted({table for c in collections for table in c.tables})
    cursor = await conn.execute(sql.SQL(query("ogc/table_versions")), {"tables": tables})
    sums: dict[str, tuple[int, datetime]] = {}
    epoch = ""
    for oid, table, total, changed_at in await cursor.fetchall():
        epoch = str(oid)
        sums[table] = (int(total), changed_at)
    states = {}
    for c in collections:
        counted = [sums[table] for table in c.tables if table in sums]
        states[c.id] = Version(
            tag=f"{epoch or await _epoch(conn)}.{sum(total for total, _ in counted)}",
            changed_at=max((changed for _, changed in counted), default=None),
        )
    return states


async def _epoch(conn: AsyncConnection) -> str:
    cursor = await conn.execute("SELECT 'change_counters'::regclass::oid")
    row = await cursor.fetchone()
    assert row is not None
    return str(row[0])


Value = TypeVar("Value")


class VersionedCache(Generic[Value]):
    """What was last computed for each key, with the version tag it was computed at; the
    least recently used keys go first beyond ``size``. A value is only as good as its tag:
    the caller compares it with the current version."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[str, Value]] = OrderedDict()

    def get(self, key: Hashable) -> tuple[str, Value] | None:
        """The tag and value kept for ``key``, or None."""
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, key: Hashable, tag: str, value: Value) -> None:
        """Keep ``value``, computed at version ``tag``, for ``key``."""
        self._entries[key] = (tag, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget everything."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
