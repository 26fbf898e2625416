"""The demo district's walking network, built in PostGIS from its streets."""

from __future__ import annotations

import psycopg

from gis.access.network import replace_staged_network
from gis.sql import query


def build_walking_network(conn: psycopg.Connection) -> dict[str, int]:
    """Replace every walking network with one built from the ``streets`` table: streets
    cut where they meet, nodes at their ends, every street class walkable (the demo draws
    no motorways). In the caller's transaction (demo.load commits).

    Returns
    -------
    Row counts of ``walk_nodes`` and ``walk_edges``.
    """
    with conn.transaction():
        # Node and edge ids start at 1 again, so a seed always gives the same network.
        conn.execute("TRUNCATE walk_edges, walk_nodes RESTART IDENTITY")
        conn.execute(query("access/staging"))
        conn.execute(query("access/node_streets"))
        replace_staged_network(conn)
        row = conn.execute(
            "SELECT (SELECT count(*) FROM walk_nodes), (SELECT count(*) FROM walk_edges)"
        ).fetchone()
    assert row is not None
    return {"walk_nodes": int(row[0]), "walk_edges": int(row[1])}
