"""The one parser each for request text (app/params.py): what each accepts, what it
refuses, and that every refusal names the parameter in one style."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from starlette.datastructures import QueryParams

from app.params import (
    CHINA,
    check_known,
    parse_bbox,
    parse_boolean,
    parse_code,
    parse_instant,
    parse_integer,
    parse_list,
    parse_matching,
    parse_paging,
)
from gis.codes import Level
from gis.errors import InvalidParameter
from gis.ogc.collections import DEPARTMENT_CODE
from tests.planters.event_places import T0

H = timedelta(hours=1)


# --- instants (moved from tests/gis/events/test_indicators.py with parse_instant) ----------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-06-01", T0 - 9 * H),
        ("2026-06-01T09:00:00+08:00", T0),
        ("2026-06-01T01:00:00Z", T0),
        ("", None),
    ],
)
def test_from_and_to_parse(value: str, expected: datetime | None) -> None:
    assert parse_instant("from", value) == expected


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "2026-06-01T09:00"])
def test_bad_instants_are_refused_by_name(value: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse_instant("to", value)
    assert caught.value.parameter == "to"


# --- instants ------------------------------------------------------------------------------


def test_a_date_is_the_midnight_of_the_zone_asked_for() -> None:
    assert parse_instant("datetime", "2024-05-01", dates_in=UTC) == datetime(2024, 5, 1, tzinfo=UTC)
    last = parse_instant("datetime", "2024-05-01", dates_in=UTC, end_of_day=True)
    assert last == datetime(2024, 5, 2, tzinfo=UTC) - timedelta(microseconds=1)


def test_local_times_read_a_time_without_offset_on_chinas_clock() -> None:
    assert parse_instant("start_date", "2026-06-01T09:00:00", local_times=True) == T0
    with pytest.raises(InvalidParameter, match="UTC offset"):
        parse_instant("start_date", "2026-06-01T09:00:00")


def test_an_unencoded_plus_is_read_back_as_the_offset() -> None:
    assert parse_instant("to", "2026-06-01T09:00:00 08:00") == T0
    assert parse_instant("to", "2026-06-01t09:00+08:00") == T0


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("yesterday", "RFC 3339"),
        ("2024-01-01T08:00:00", "RFC 3339"),
        ("2024-02-30", "day"),
        ("2024-05-01 08:00:00+08:00", "RFC 3339"),
    ],
)
def test_bad_instants_say_what_was_expected(value: str, problem: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse_instant("datetime", value)
    assert str(caught.value).startswith("datetime: expected ")
    assert problem in caught.value.problem and repr(value) in caught.value.problem


# --- integers and paging -------------------------------------------------------------------


def test_integers_within_their_bounds() -> None:
    assert parse_integer("k", " 3 ") == 3
    assert parse_integer("k", "+3") == 3
    assert parse_integer("level", "-1") == -1
    assert parse_integer("k", None) is None
    assert parse_integer("k", "", default=7) == 7
    assert parse_integer("limit", "100", minimum=1, maximum=100) == 100


@pytest.mark.parametrize(
    ("value", "minimum", "maximum", "expected"),
    [
        ("ten", None, None, "expected an integer, got 'ten'"),
        ("2.5", 1, None, "expected a positive integer, got '2.5'"),
        ("0", 1, None, "expected a positive integer, got '0'"),
        ("-1", 0, None, "expected a non-negative integer, got '-1'"),
        ("101", 1, 100, "expected an integer from 1 to 100, got '101'"),
        ("1_000", None, None, "expected an integer, got '1_000'"),
        ("１２", None, None, "expected an integer, got '１２'"),
    ],
)
def test_bad_integers_say_what_was_expected(
    value: str, minimum: int | None, maximum: int | None, expected: str
) -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse_integer("limit", value, minimum=minimum, maximum=maximum)
    assert str(caught.value) == f"limit: {expected}"


def test_integers_fit_a_bigint() -> None:
    assert parse_integer("id", str(2**63 - 1)) == 2**63 - 1
    with pytest.raises(InvalidParameter, match="no larger than"):
        parse_integer("id", str(2**63))


def test_paging_defaults_and_bounds() -> None:
    paging = parse_paging({}, default_limit=50, max_limit=1000)
    assert (paging.limit, paging.offset) == (50, 0)
    paging = parse_paging({"limit": "2", "offset": "4"}, default_limit=50, max_limit=1000)
    assert (paging.limit, paging.offset) == (2, 4)
    assert parse_paging({"limit": "25000"}, default_limit=10, max_limit=None).limit == 25000
    assert parse_paging({"limit": "0"}, default_limit=10, max_limit=None, min_limit=0).limit == 0
    for params, named in (({"limit": "0"}, "limit"), ({"offset": "-1"}, "offset")):
        with pytest.raises(InvalidParameter) as caught:
            parse_paging(params, default_limit=50, max_limit=1000)
        assert caught.value.parameter == named


# --- booleans ------------------------------------------------------------------------------


def test_booleans_are_true_or_false() -> None:
    assert parse_boolean("overdue", "true") is True
    assert parse_boolean("overdue", " false ") is False
    assert parse_boolean("overdue", None) is None
    assert parse_boolean("repair", "", default=False) is False


@pytest.mark.parametrize("value", ["yes", "1", "on", "True", "maybe"])
def test_other_spellings_of_booleans_are_refused(value: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse_boolean("compliant", value)
    assert str(caught.value) == f"compliant: expected true or false, got {value!r}"


# --- bbox ----------------------------------------------------------------------------------


def test_a_bbox_is_four_numbers_and_heights_are_dropped() -> None:
    assert parse_bbox("bbox", "108.2,22.7,108.3,22.8") == (108.2, 22.7, 108.3, 22.8)
    assert parse_bbox("bbox", "108.2,22.7,-10,108.3,22.8,500") == (108.2, 22.7, 108.3, 22.8)
    assert parse_bbox("bbox", None) is None
    # The order of the corners is the domain's to check (with the CRS's axis order).
    assert parse_bbox("bbox", "3,4,1,2") == (3, 4, 1, 2)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("1,2,3", "expected 4 or 6 comma-separated numbers, got 3"),
        ("1,2,3,4,5", "expected 4 or 6 comma-separated numbers, got 5"),
        ("west,2,3,4", "expected numbers only"),
        ("1,2,3,nan", "expected finite numbers"),
        ("1,2,inf,4", "expected finite numbers"),
    ],
)
def test_bad_bboxes_say_what_was_expected(value: str, problem: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse_bbox("bbox", value)
    assert caught.value.parameter == "bbox" and caught.value.problem.startswith(problem)


# --- the query as a whole ------------------------------------------------------------------


def test_unknown_repeated_and_nul_parameters_are_refused() -> None:
    assert check_known(QueryParams("a=1&b=2"), ("a", "b")) == {"a": "1", "b": "2"}
    for query, named, problem in (
        ("c=1", "c", "unknown query parameter"),
        ("a=1&a=2", "a", "given more than once"),
        ("a=x%00y", "a", "NUL"),
    ):
        with pytest.raises(InvalidParameter) as caught:
            check_known(QueryParams(query), ("a", "b"))
        assert caught.value.parameter == named and problem in caught.value.problem


def test_china_is_utc_plus_eight() -> None:
    assert datetime(2026, 6, 1, 9, tzinfo=CHINA) == datetime(2026, 6, 1, 1, tzinfo=UTC)


def test_a_list_is_its_comma_separated_items_without_blanks_or_empties() -> None:
    assert parse_list(" community , compound,,") == ["community", "compound"]
    assert parse_list(None) == [] and parse_list("") == [] and parse_list(" , ") == []


# --- codes (the event list's place filters, found by tests/app/test_bad_input.py) ---------


@pytest.mark.parametrize(
    ("level", "value", "expected"),
    [
        (Level.GRID, "450105001001001", "450105001001001"),
        (Level.GRID, " 45010500100101 ", "450105001001001"),  # legacy 14 digits, widened
        (Level.COMMUNITY, "450105001001", "450105001001"),
        (Level.TOWNSHIP, "450105001", "450105001"),
        (Level.GRID, "", None),
    ],
)
def test_codes_of_their_level_parse(level: Level, value: str, expected: str | None) -> None:
    assert parse_code("code", value, level) == expected


@pytest.mark.parametrize(
    ("level", "value"),
    [
        (Level.GRID, "' OR 1=1 --"),
        (Level.GRID, "450105001001"),  # a community's code
        (Level.COMMUNITY, "; DROP TABLE events"),
        (Level.TOWNSHIP, "%00"),
    ],
)
def test_malformed_codes_are_refused_by_name(level: Level, value: str) -> None:
    with pytest.raises(InvalidParameter, match=f"^grid_code: expected a {level} code, got"):
        parse_code("grid_code", value, level)


def test_texts_of_a_format_must_match_it_whole() -> None:
    assert parse_matching("department", " chengguan ", DEPARTMENT_CODE, "a code") == "chengguan"
    assert parse_matching("department", "", DEPARTMENT_CODE, "a code") is None
    for value in ("' OR 1=1 --", "chengguan; DROP TABLE events", "Chengguan"):
        with pytest.raises(InvalidParameter, match=r"^department: expected a code, got"):
            parse_matching("department", value, DEPARTMENT_CODE, "a code")
