"""Whether the server processes asked for fit the database's connections.

Each process may hold ``Settings.connections_per_process()`` connections at once. With W
processes that must fit under PostgreSQL's ``max_connections``, less the connections it
keeps for superusers and a margin for the command line (migrations, imports, backups,
notebooks), or under load requests would fail to connect rather than wait their turn.
`onemap serve` refuses to start processes that would not fit, and says what to change.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from app.settings import Settings

# connections left for the command line, notebooks and a backup beside the server
COMMAND_LINE_MARGIN = 10


@dataclass(frozen=True)
class Capacity:
    """What the server processes need and what the database offers."""

    workers: int
    per_process: int
    max_connections: int
    reserved: int

    @property
    def needed(self) -> int:
        return self.workers * self.per_process

    @property
    def available(self) -> int:
        return self.max_connections - self.reserved - COMMAND_LINE_MARGIN

    @property
    def fits(self) -> bool:
        return self.needed <= self.available

    def explain(self) -> str:
        return (
            f"{self.workers} process(es) × {self.per_process} connections = {self.needed};"
            f" PostgreSQL offers {self.available} (max_connections {self.max_connections},"
            f" {self.reserved} reserved for superusers, {COMMAND_LINE_MARGIN} kept for the"
            " command line)"
        )


def capacity(settings: Settings, workers: int) -> Capacity:
    """The database's connections against what ``workers`` processes need."""
    with psycopg.connect(settings.database_url, connect_timeout=10) as conn:
        row = conn.execute(
            "SELECT current_setting('max_connections')::int,"
            " current_setting('superuser_reserved_connections')::int"
        ).fetchone()
    assert row is not None
    return Capacity(workers, settings.connections_per_process(), row[0], row[1])
