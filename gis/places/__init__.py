"""The places of a district, from the county down to a building's unit: found by their one
code or by a piece of their name, compounds by name or id (:mod:`gis.places.lookup`)."""

from gis.places.lookup import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_QUERY_LENGTH,
    SEARCH_LEVELS,
    search,
    unit,
)

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "MAX_QUERY_LENGTH", "SEARCH_LEVELS", "search", "unit"]
