"""Query parameters of OGC API – Features, parsed from the query string.

OGC API Features wants a 400 for any parameter it does not know (a misspelt ``bbox``
must not silently return the whole district), so each endpoint names the parameters it
accepts and everything else is refused with a message naming the parameter.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from starlette.datastructures import QueryParams

from gis.errors import InvalidParameter
from gis.ogc.collections import Collection
from gis.ogc.features import DEFAULT_LIMIT
from gis.ogc.selection import CRS84, Crs, Interval, crs_by_uri

# What every endpoint accepts: the output format. Only JSON is served; HTML is not.
FORMAT_PARAMETERS = ("f",)
ITEM_PARAMETERS = ("f", "crs")
# after/before are the keyset paging tokens the next and prev links carry.
ITEMS_PARAMETERS = ("f", "bbox", "bbox-crs", "crs", "limit", "after", "before", "datetime")

_DATE = r"\d{4}-\d{2}-\d{2}"
_TIME = r"\d{2}:\d{2}:\d{2}(?:\.\d+)?"
_OFFSET = r"(?:[Zz]|[+-]\d{2}:\d{2})"
_INSTANT = re.compile(rf"^(?P<date>{_DATE})(?:[Tt](?P<time>{_TIME})(?P<offset>{_OFFSET}))?$")


def items_parameters(collection: Collection) -> tuple[str, ...]:
    """The parameters /collections/{id}/items accepts: the standard ones and the filters."""
    return ITEMS_PARAMETERS + tuple(p.name for p in collection.properties if p.filterable)


def check_known(query: QueryParams, allowed: tuple[str, ...]) -> dict[str, str]:
    """The query as a dict; 400 for an unknown or repeated parameter."""
    for name in query:
        if name not in allowed:
            raise InvalidParameter(
                name, f"unknown query parameter; this endpoint accepts {', '.join(allowed)}"
            )
        if len(query.getlist(name)) > 1:
            raise InvalidParameter(name, "given more than once")
        if "\x00" in query[name]:
            # PostgreSQL text cannot hold NUL; refuse it here rather than fail in the query.
            raise InvalidParameter(name, "contains a NUL character")
    return dict(query)


def check_format(params: dict[str, str], *formats: str) -> None:
    """Refuses an ``f`` this API does not serve (only JSON flavours are served)."""
    wanted = params.get("f")
    if wanted is not None and wanted not in formats:
        raise InvalidParameter("f", f"unsupported format {wanted!r}; use {' or '.join(formats)}")


def parse_crs(params: dict[str, str], name: str) -> Crs:
    """The CRS named by the ``crs``/``bbox-crs`` parameter, CRS84 if absent."""
    uri = params.get(name)
    return CRS84 if uri is None else crs_by_uri(uri, parameter=name)


def parse_bbox(text: str) -> list[float]:
    """The numbers of ``bbox=minx,miny,maxx,maxy`` (range checks are the domain's)."""
    parts = text.split(",")
    if len(parts) not in (4, 6):
        raise InvalidParameter(
            "bbox", f"expected 4 or 6 comma-separated numbers, got {len(parts)}: {text!r}"
        )
    try:
        return [float(part) for part in parts]
    except ValueError:
        raise InvalidParameter("bbox", f"not all numbers: {text!r}") from None


def parse_limit(text: str | None) -> int:
    """``limit``: a positive integer (values above the maximum are clamped later)."""
    if text is None:
        return DEFAULT_LIMIT
    if not re.fullmatch(r"\+?\d+", text.strip()) or int(text) < 1:
        raise InvalidParameter("limit", f"expected a positive integer, got {text!r}")
    return int(text)


def _instant(text: str, *, end_of_day: bool) -> datetime:
    # An unencoded "+08:00" in a URL arrives as " 08:00": read it back as the offset.
    text = re.sub(r" (\d{2}:\d{2})$", r"+\1", text)
    match = _INSTANT.match(text)
    if match is None:
        raise InvalidParameter(
            "datetime",
            f"{text!r} is not an RFC 3339 date-time such as 2024-05-01T08:00:00+08:00 "
            "or a date such as 2024-05-01",
        )
    try:
        if match["time"] is None:
            # A bare date covers the whole day (UTC), so it matches as an instant or
            # as either end of an interval.
            day = datetime.fromisoformat(match["date"]).replace(tzinfo=UTC)
            return day + timedelta(days=1, microseconds=-1) if end_of_day else day
        return datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError as error:
        raise InvalidParameter("datetime", f"{text!r}: {error}") from None


def parse_datetime(text: str) -> Interval:
    """``datetime``: an instant, or ``start/end`` with ``..`` or nothing for an open end."""
    if "/" not in text:
        return Interval(_instant(text, end_of_day=False), _instant(text, end_of_day=True))
    first, _, second = text.partition("/")
    if "/" in second:
        raise InvalidParameter("datetime", f"an interval has one '/', got {text!r}")
    start = None if first in ("", "..") else _instant(first, end_of_day=False)
    end = None if second in ("", "..") else _instant(second, end_of_day=True)
    if start is None and end is None:
        raise InvalidParameter("datetime", "an interval needs at least one end")
    return Interval(start, end)
