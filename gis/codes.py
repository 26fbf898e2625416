"""The one code system (一套编码): parse, validate, normalise and build codes.

Levels and their digits, each code beginning with its parent's:

====================  ======  ==================================================
level                 digits  made of
====================  ======  ==================================================
county 区县              6     national division code
township 街道/镇          9     county + 3
community 社区/村        12     township + 3
grid 网格                15     community + 3-digit serial: 001–799 base grids,
                               800–999 dedicated grids (numbered west→east,
                               north→south)
building 楼栋            17     community + 5-digit serial (not the grid: a
                               building keeps its code when grids are redrawn)
unit 单元                19     building + 2 digits (01–99)
====================  ======  ==================================================

Legacy 14-digit grid codes (6 county + 3 township + 3 community + 2 grid) are accepted
and normalised to 15 digits by widening the serial.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gis.errors import OnemapError


class InvalidCode(OnemapError):
    """A code that is malformed, out of range or not nested in its parent."""

    def __init__(self, code: str, problem: str) -> None:
        super().__init__(f"code {code!r}: {problem}")
        self.code = code
        self.problem = problem


class Level(StrEnum):
    """The level a code names, by its length: county (6 digits) down to a building's unit."""

    COUNTY = "county"
    TOWNSHIP = "township"
    COMMUNITY = "community"
    GRID = "grid"
    BUILDING = "building"
    UNIT = "unit"


LENGTHS: dict[Level, int] = {
    Level.COUNTY: 6,
    Level.TOWNSHIP: 9,
    Level.COMMUNITY: 12,
    Level.GRID: 15,
    Level.BUILDING: 17,
    Level.UNIT: 19,
}
LEVEL_BY_LENGTH = {length: level for level, length in LENGTHS.items()}
PARENT: dict[Level, Level | None] = {
    Level.COUNTY: None,
    Level.TOWNSHIP: Level.COUNTY,
    Level.COMMUNITY: Level.TOWNSHIP,
    Level.GRID: Level.COMMUNITY,
    Level.BUILDING: Level.COMMUNITY,
    Level.UNIT: Level.BUILDING,
}
LEGACY_GRID_LENGTH = 14
BASE_SERIALS = range(1, 800)
DEDICATED_SERIALS = range(800, 1000)


@dataclass(frozen=True)
class Code:
    """A valid, normalised code and what it names."""

    value: str
    level: Level

    @property
    def county(self) -> str:
        """The 6-digit county code this code lies in."""
        return self.value[:6]

    @property
    def parent(self) -> Code | None:
        """The code one level up (a grid's or building's community, …); None for a county."""
        parent_level = PARENT[self.level]
        if parent_level is None:
            return None
        return Code(self.value[: LENGTHS[parent_level]], parent_level)

    def ancestors(self) -> list[Code]:
        """Parents from the county down, not including this code."""
        chain: list[Code] = []
        parent = self.parent
        while parent is not None:
            chain.append(parent)
            parent = parent.parent
        return list(reversed(chain))

    @property
    def serial(self) -> int | None:
        """The code's own serial within its parent (None for a county)."""
        parent = self.parent
        return None if parent is None else int(self.value[len(parent.value) :])

    @property
    def grid_type(self) -> str | None:
        """'base' or 'dedicated' for a grid code, None otherwise."""
        if self.level is not Level.GRID:
            return None
        return "base" if self.serial in BASE_SERIALS else "dedicated"

    def __str__(self) -> str:
        return self.value


def normalise(raw: object) -> str:
    """Strip spaces (and a trailing '.0' from spreadsheet numbers); widen a legacy 14-digit
    grid code to 15 digits. Does not validate."""
    text = str(raw).strip().replace(" ", "")
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    if len(text) == LEGACY_GRID_LENGTH and text.isdigit():
        # 6 county + 3 township + 3 community + 2-digit grid → 12-digit community + 3
        text = text[:12] + "0" + text[12:]
    return text


def parse(raw: object, *, expect: Level | None = None) -> Code:
    """Parse and validate a code of any level (or of the ``expect``-ed level).

    Parameters
    ----------
    raw : the code as found: a string or a number, spaces and a spreadsheet's trailing
        '.0' allowed; a legacy 14-digit grid code is widened to 15 digits.
    expect : the level the code must have; any level when None.

    Returns
    -------
    The normalised Code and its level, told by its length: county 6 digits, township 9,
    community 12, grid 15, building 17, unit 19.

    Raises
    ------
    InvalidCode naming the code and what is wrong with it.
    """
    text = normalise(raw)
    if not text:
        raise InvalidCode(str(raw), "empty code")
    if not text.isdigit() or not text.isascii():
        raise InvalidCode(str(raw), "a code has digits only")
    level = LEVEL_BY_LENGTH.get(len(text))
    if level is None:
        lengths = ", ".join(f"{n} ({lv})" for lv, n in LENGTHS.items())
        raise InvalidCode(
            str(raw), f"{len(text)} digits is no level's length; expected one of {lengths}"
        )
    if expect is not None and level is not expect:
        raise InvalidCode(
            str(raw),
            f"is a {level} code ({len(text)} digits); a {expect} code has {LENGTHS[expect]} digits",
        )
    code = Code(text, level)
    _check_segments(code, str(raw))
    return code


def _check_segments(code: Code, raw: str) -> None:
    if code.value[:2] == "00" or code.value[2:6] == "0000":
        raise InvalidCode(raw, "county part must name a province and a county")
    serial = code.serial
    if serial is None:
        return
    if serial == 0:
        raise InvalidCode(raw, f"the {code.level} serial must not be zero")
    if code.level is Level.GRID and serial not in BASE_SERIALS and serial not in DEDICATED_SERIALS:
        raise InvalidCode(raw, "grid serial must be 001–799 (base) or 800–999 (dedicated)")


def validate_grid(
    raw: object, *, community_code: str | None = None, grid_type: str | None = None
) -> Code:
    """A grid code that nests in ``community_code`` and whose serial range fits
    ``grid_type`` (base 001–799, dedicated 800–999)."""
    code = parse(raw, expect=Level.GRID)
    if community_code is not None and not nests(code.value, community_code):
        raise InvalidCode(str(raw), f"does not start with its community's code {community_code}")
    if grid_type is not None and code.grid_type != grid_type:
        raise InvalidCode(
            str(raw), f"serial {code.value[-3:]} is for {code.grid_type} grids, not {grid_type}"
        )
    return code


def nests(child: str, parent: str) -> bool:
    """Whether ``child``'s code lies under ``parent``'s (by prefix, at a deeper level)."""
    return len(child) > len(parent) and child.startswith(parent)


def grid_code(community_code: str, serial: int) -> str:
    """The 15-digit grid code of ``serial`` in a 12-digit community.

    Serials 1–799 number base grids, 800–999 dedicated grids; InvalidCode otherwise, or when
    ``community_code`` is not a community's."""
    parse(community_code, expect=Level.COMMUNITY)
    if serial not in BASE_SERIALS and serial not in DEDICATED_SERIALS:
        raise InvalidCode(f"{community_code}{serial:03d}", "grid serial must be 1–999")
    return f"{community_code}{serial:03d}"


def building_code(community_code: str, serial: int) -> str:
    """The 17-digit building code of ``serial`` (1–99999) in a 12-digit community; InvalidCode
    otherwise."""
    parse(community_code, expect=Level.COMMUNITY)
    if not 1 <= serial <= 99_999:
        raise InvalidCode(f"{community_code}{serial}", "building serial must be 1–99999")
    return f"{community_code}{serial:05d}"


def unit_code(building: str, unit: int) -> str:
    """The 19-digit code of unit ``unit`` (1–99) of a 17-digit building; InvalidCode otherwise."""
    parse(building, expect=Level.BUILDING)
    if not 1 <= unit <= 99:
        raise InvalidCode(f"{building}{unit}", "unit number must be 1–99")
    return f"{building}{unit:02d}"
