"""What the database's map covers, named as a command centre says it: the one county
(江南区), the city its counties share when the shipped division codes know the city's
name (南宁市), or else how many counties (12 个区县). The page's title says it."""

from __future__ import annotations

from functools import cache
from typing import Any

from psycopg import AsyncConnection

from gis import data

# A county code's first four digits are its city's (prefecture's); the city's own
# six-digit code ends in 00 (450105 江南区 lies in 4501 → 450100 南宁市).
CITY_DIGITS = 4


@cache
def city_names() -> dict[str, str]:
    """Guangxi's cities by their four-digit code (gis/data/guangxi_45_cities.csv)."""
    return {row["code"]: row["name"] for row in data.rows("guangxi_45_cities.csv")}


async def covered(conn: AsyncConnection) -> dict[str, Any]:
    """The area the map covers: ``level`` (``county``, ``city``, ``counties`` for several
    counties of no one known city, or None for an empty database), ``code`` and ``name``
    (None for ``counties``), and ``counties``, how many the database holds."""
    cursor = await conn.execute(
        "SELECT rtrim(county_code), name FROM districts ORDER BY county_code"
    )
    counties = await cursor.fetchall()
    answer: dict[str, Any] = {"level": None, "code": None, "name": None, "counties": len(counties)}
    if len(counties) == 1:
        code, name = counties[0]
        return answer | {"level": "county", "code": code, "name": name}
    cities = {code[:CITY_DIGITS] for code, _ in counties}
    if len(cities) == 1 and (city := cities.pop()) in city_names():
        return answer | {"level": "city", "code": f"{city}00", "name": city_names()[city]}
    if counties:
        answer["level"] = "counties"
    return answer
