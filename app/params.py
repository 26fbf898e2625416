"""Request text to typed values: the one parser each for bbox, instants, integers,
booleans and paging, used by every router.

Every parser takes the parameter's name and its text (a query parameter, a form field or a
header) and returns the typed value, or its default when the text is absent, empty or
blank (an HTML form sends an untouched field as empty); surrounding blanks are ignored.
Anything else is refused with ``InvalidParameter(name, "expected …, got '…'")``, which
the edge answers with 400 naming the parameter. Parsing stops at the types: ranges that
belong to the domain (a bbox's latitudes, the minutes a service area is stored for) are
checked by gis, which notebooks call with typed values too.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, overload

from starlette.datastructures import QueryParams

from gis import codes
from gis.errors import InvalidParameter

# China Standard Time (UTC+8, no daylight saving): the day and the clock people report in.
CHINA = timezone(timedelta(hours=8))
# Every integer parameter ends up compared with a PostgreSQL bigint.
BIGINT_MAX = 2**63 - 1

_INTEGER = re.compile(r"[+-]?[0-9]+")
_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_TIME = r"[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?"
_OFFSET = r"[Zz]|[+-][0-9]{2}:[0-9]{2}"
_INSTANT = re.compile(rf"(?P<date>{_DATE})(?:[Tt](?P<time>{_TIME})(?P<offset>{_OFFSET})?)?")
_EXAMPLE_INSTANT = (
    "an RFC 3339 date-time such as 2024-05-01T08:00:00+08:00 or a date such as 2024-05-01"
)


def check_known(query: QueryParams, allowed: tuple[str, ...]) -> dict[str, str]:
    """The query as a dict; 400 for an unknown or repeated parameter.

    A misspelt parameter must not silently widen the answer (a ``bbx`` returning the whole
    district), so each endpoint names what it accepts and everything else is refused.
    """
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


def _given(text: str | None) -> str | None:
    """The text without surrounding blanks; None when there is nothing left."""
    return None if text is None else text.strip() or None


@overload
def parse_integer(
    name: str,
    text: str | None,
    *,
    default: int,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int: ...


@overload
def parse_integer(
    name: str,
    text: str | None,
    *,
    default: None = None,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int | None: ...


def parse_integer(
    name: str,
    text: str | None,
    *,
    default: int | None = None,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int | None:
    """A whole number in decimal digits (an optional sign), within [minimum, maximum]."""
    if not (given := _given(text)):
        return default
    kind = _integer_kind(minimum, maximum)
    if not _INTEGER.fullmatch(given):
        raise InvalidParameter(name, f"expected {kind}, got {text!r}")
    value = int(given)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise InvalidParameter(name, f"expected {kind}, got {text!r}")
    if abs(value) > BIGINT_MAX:
        raise InvalidParameter(name, f"expected {kind} no larger than {BIGINT_MAX:,}, got {text!r}")
    return value


def _integer_kind(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f"an integer from {minimum:,} to {maximum:,}"
    if minimum == 1:
        return "a positive integer"
    if minimum == 0:
        return "a non-negative integer"
    if minimum is not None:
        return f"an integer of at least {minimum:,}"
    if maximum is not None:
        return f"an integer of at most {maximum:,}"
    return "an integer"


@overload
def parse_boolean(name: str, text: str | None, *, default: bool) -> bool: ...


@overload
def parse_boolean(name: str, text: str | None, *, default: None = None) -> bool | None: ...


def parse_boolean(name: str, text: str | None, *, default: bool | None = None) -> bool | None:
    """``true`` or ``false``, spelt as JSON and the OGC API filters spell them."""
    if not (given := _given(text)):
        return default
    if given not in ("true", "false"):
        raise InvalidParameter(name, f"expected true or false, got {text!r}")
    return given == "true"


def parse_bbox(name: str, text: str | None) -> tuple[float, float, float, float] | None:
    """``minx,miny,maxx,maxy`` as four finite numbers, in the order given (the axis order
    is the CRS's); six numbers carry heights, which are dropped: the data are 2D. The
    order of the corners and the ranges of the numbers are the domain's to check."""
    if not (given := _given(text)):
        return None
    parts = given.split(",")
    if len(parts) not in (4, 6):
        raise InvalidParameter(
            name, f"expected 4 or 6 comma-separated numbers, got {len(parts)}: {text!r}"
        )
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        raise InvalidParameter(name, f"expected numbers only, got {text!r}") from None
    if not all(math.isfinite(number) for number in numbers):
        raise InvalidParameter(name, f"expected finite numbers, got {text!r}")
    low, high = (numbers[0:2], numbers[2:4]) if len(numbers) == 4 else (numbers[0:2], numbers[3:5])
    return low[0], low[1], high[0], high[1]


def parse_instant(
    name: str,
    text: str | None,
    *,
    dates_in: tzinfo = CHINA,
    local_times: bool = False,
    end_of_day: bool = False,
) -> datetime | None:
    """An RFC 3339 date-time with its UTC offset, or a date (the midnight that starts it in
    ``dates_in``; with ``end_of_day`` its last microsecond instead, for the end of a
    period). A date-time without an offset is refused unless ``local_times`` reads it in
    ``dates_in`` too (Open311 and the event list take China's clock)."""
    if not (given := _given(text)):
        return None
    # An unencoded "+08:00" in a URL arrives as " 08:00": read it back as the offset.
    spelt = re.sub(r" ([0-9]{2}:[0-9]{2})$", r"+\1", given)
    match = _INSTANT.fullmatch(spelt)
    if match is None:
        raise InvalidParameter(name, f"expected {_EXAMPLE_INSTANT}, got {text!r}")
    if match["time"] is not None and match["offset"] is None and not local_times:
        raise InvalidParameter(
            name, f"expected a UTC offset (RFC 3339, e.g. {spelt}+08:00), got {text!r}"
        )
    try:
        instant = datetime.fromisoformat(spelt.upper().replace("Z", "+00:00"))
    except ValueError as error:
        raise InvalidParameter(
            name, f"expected a real date and time, got {text!r}: {error}"
        ) from None
    if match["time"] is None and end_of_day:
        instant += timedelta(days=1, microseconds=-1)
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=dates_in)


def parse_code(name: str, text: str | None, level: codes.Level) -> str | None:
    """A place code of ``level`` (gis.codes: digits, the level's length, its segments),
    normalised; a legacy 14-digit grid code is widened to 15 digits."""
    if not (given := _given(text)):
        return None
    try:
        return codes.parse(given, expect=level).value
    except codes.InvalidCode as error:
        raise InvalidParameter(
            name, f"expected a {level} code, got {text!r}: {error.problem}"
        ) from None


def parse_matching(name: str, text: str | None, pattern: str, what: str) -> str | None:
    """Text of a fixed format (a department code, a tracking number): ``pattern`` must
    match the whole of it."""
    if not (given := _given(text)):
        return None
    if not re.fullmatch(pattern, given):
        raise InvalidParameter(name, f"expected {what}, got {text!r}")
    return given


def parse_list(text: str | None) -> list[str]:
    """A comma-separated list (levels, statuses, codes, ids): its items without surrounding
    blanks, empty items dropped; absent text is the empty list."""
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def documented(
    name: str, schema: dict[str, Any], description: str = "", *, required: bool = False
) -> dict[str, Any]:
    """The OpenAPI description of a query parameter a route parses itself (with the
    parsers above), for its ``openapi_extra={"parameters": [...]}``: FastAPI documents only
    the parameters of a route's signature."""
    parameter: dict[str, Any] = {"name": name, "in": "query", "required": required}
    if description:
        parameter["description"] = description
    if schema.get("type") == "array":
        parameter.update(style="form", explode=False)  # comma-separated, as bbox is
    return {**parameter, "schema": schema}


def paging_documented(*, max_limit: int, min_limit: int = 1) -> list[dict[str, Any]]:
    """``limit`` and ``offset`` as :func:`parse_paging` reads them."""
    return [
        documented("limit", {"type": "integer", "minimum": min_limit, "maximum": max_limit}),
        documented("offset", {"type": "integer", "minimum": 0, "maximum": BIGINT_MAX}),
    ]


BBOX_DOCUMENTED = documented(
    "bbox",
    {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4},
    "min longitude, min latitude, max longitude, max latitude",
)


@dataclass(frozen=True)
class Paging:
    """A page of a list: at most ``limit`` items after the first ``offset``."""

    limit: int
    offset: int


def parse_paging(
    params: Mapping[str, str],
    *,
    default_limit: int,
    max_limit: int | None,
    min_limit: int = 1,
) -> Paging:
    """``limit`` (min_limit–max_limit; max_limit None where the domain clamps or checks
    the ceiling) and ``offset`` (0 or more) of a query."""
    limit = parse_integer(
        "limit", params.get("limit"), default=default_limit, minimum=min_limit, maximum=max_limit
    )
    offset = parse_integer("offset", params.get("offset"), default=0, minimum=0)
    return Paging(limit, offset)
