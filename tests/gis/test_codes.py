"""The one code system."""

from __future__ import annotations

import itertools

import pytest

from gis import codes
from gis.codes import InvalidCode, Level


@pytest.mark.parametrize(
    ("raw", "level"),
    [
        ("450105", Level.COUNTY),
        ("450105001", Level.TOWNSHIP),
        ("450105001001", Level.COMMUNITY),
        ("450105001001003", Level.GRID),
        ("45010500100100042", Level.BUILDING),
        ("4501050010010004203", Level.UNIT),
    ],
)
def test_every_level_parses(raw, level):
    code = codes.parse(raw)
    assert code.level is level
    chain = [a.level for a in code.ancestors()] + [level]
    assert chain[0] is Level.COUNTY
    assert all(codes.PARENT[child] is parent for parent, child in itertools.pairwise(chain))


def test_parents_and_serials():
    unit = codes.parse("4501050010010004203")
    assert unit.parent is not None and unit.parent.value == "45010500100100042"
    assert unit.parent.parent is not None and unit.parent.parent.value == "450105001001"
    assert [a.value for a in unit.ancestors()] == [
        "450105",
        "450105001",
        "450105001001",
        "45010500100100042",
    ]
    assert unit.serial == 3 and unit.county == "450105"


def test_legacy_14_digit_grid_codes_are_widened():
    code = codes.parse("45010500100107")
    assert code.value == "450105001001007" and code.level is Level.GRID
    assert codes.normalise(" 45010500100107 ") == "450105001001007"


def test_spreadsheet_numbers_lose_their_decimal():
    assert codes.parse("450105001001.0").value == "450105001001"


def test_grid_types_follow_the_serial():
    assert codes.parse("450105001001799").grid_type == "base"
    assert codes.parse("450105001001800").grid_type == "dedicated"


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", "empty"),
        ("45010A", "digits only"),
        ("4501050", "no level"),
        ("450105001001000", "must not be zero"),
        ("450105001000", "must not be zero"),
        ("000000", "province"),
        ("４５０１０５", "digits only"),  # full-width digits are not a code
    ],
)
def test_bad_codes_say_what_is_wrong(raw, problem):
    with pytest.raises(InvalidCode, match=problem) as caught:
        codes.parse(raw)
    assert caught.value.code == raw


def test_expected_level_is_enforced():
    with pytest.raises(InvalidCode, match="is a community code"):
        codes.parse("450105001001", expect=Level.GRID)


def test_grid_validation_checks_nesting_and_type():
    assert (
        codes.validate_grid(
            "450105001001801", community_code="450105001001", grid_type="dedicated"
        ).serial
        == 801
    )
    with pytest.raises(InvalidCode, match="does not start with"):
        codes.validate_grid("450105001002001", community_code="450105001001")
    with pytest.raises(InvalidCode, match="for base grids, not dedicated"):
        codes.validate_grid("450105001001001", grid_type="dedicated")


def test_builders_round_trip():
    assert codes.grid_code("450105001001", 5) == "450105001001005"
    assert codes.building_code("450105001001", 42) == "45010500100100042"
    assert codes.unit_code("45010500100100042", 3) == "4501050010010004203"
    assert codes.nests("450105001001005", "450105001001")
    assert not codes.nests("450105001001", "450105001001")
    with pytest.raises(InvalidCode):
        codes.building_code("450105001001", 100_000)
