"""Query parameters of OGC API – Features: which each endpoint accepts, and the ones only
OGC has (``f``, ``crs``/``bbox-crs``, the ``datetime`` interval).

OGC API Features wants a 400 for any parameter it does not know (a misspelt ``bbox``
must not silently return the whole district), so each endpoint names the parameters it
accepts and everything else is refused by app.params.check_known, naming the parameter.
"""

from __future__ import annotations

from datetime import UTC, datetime

from app.params import parse_instant
from gis.crs import CRS84, Crs
from gis.errors import InvalidParameter
from gis.ogc.collections import Collection
from gis.ogc.selection import Interval, crs_by_uri

# What every endpoint accepts: the output format. Only JSON is served; HTML is not.
FORMAT_PARAMETERS = ("f",)
ITEM_PARAMETERS = ("f", "crs")
# after/before are the keyset paging tokens the next and prev links carry.
ITEMS_PARAMETERS = ("f", "bbox", "bbox-crs", "crs", "limit", "after", "before", "datetime")


def items_parameters(collection: Collection) -> tuple[str, ...]:
    """The parameters /collections/{id}/items accepts: the standard ones and the filters."""
    return ITEMS_PARAMETERS + tuple(p.name for p in collection.properties if p.filterable)


def check_format(params: dict[str, str], *formats: str) -> None:
    """Refuses an ``f`` this API does not serve (only JSON flavours are served)."""
    wanted = params.get("f")
    if wanted is not None and wanted not in formats:
        raise InvalidParameter("f", f"unsupported format {wanted!r}; use {' or '.join(formats)}")


def parse_crs(params: dict[str, str], name: str) -> Crs:
    """The CRS named by the ``crs``/``bbox-crs`` parameter, CRS84 if absent."""
    uri = params.get(name)
    return CRS84 if uri is None else crs_by_uri(uri, parameter=name)


def parse_datetime(text: str | None) -> Interval | None:
    """``datetime``: an instant, or ``start/end`` with ``..`` or nothing for an open end.

    A bare date is a whole day in UTC (the OGC API's clock), so it matches as an instant
    or as either end of an interval.
    """
    if not (text and text.strip()):
        return None
    if "/" not in text:
        return Interval(_end(text, end_of_day=False), _end(text, end_of_day=True))
    first, _, second = text.partition("/")
    if "/" in second:
        raise InvalidParameter("datetime", f"expected an interval with one '/', got {text!r}")
    start = None if first.strip() == ".." else _end(first, end_of_day=False)
    end = None if second.strip() == ".." else _end(second, end_of_day=True)
    if start is None and end is None:
        raise InvalidParameter(
            "datetime", f"expected an interval with at least one end, got {text!r}"
        )
    return Interval(start, end)


def _end(text: str, *, end_of_day: bool) -> datetime | None:
    return parse_instant("datetime", text, dates_in=UTC, end_of_day=end_of_day)
