"""The columns each import layer accepts, in Chinese or English, and how their values
are read. Written once here; the table in docs/importing.md is generated from the same
spellings (``python -m gis.imports.columns`` prints it).

A header matches a column when, lower-cased and without spaces, underscores, hyphens and a
bracketed unit (``面积（平方米）``), it equals the column's name or one of its aliases.
Chosen values (kinds, types, levels, uses) are matched by keyword, so ``街道办事处`` reads as
``street`` and ``老旧小区（三无）`` as ``old_unmanaged``; the English stored values are
accepted as they are. The keywords are spellings met in files, not labels: what a stored
value is called comes from gis.vocabulary, whose Chinese labels all read back as their
values here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from gis import vocabulary
from gis.imports.layers import LAYERS
from gis.vocabulary import Vocabulary

# Spellings of the layer's own code/key in exports that do not say which level it is.
GENERIC_CODE = ("code", "编码", "代码", "编号", "adcode", "区划代码", "行政区划代码")
GENERIC_NAME = ("name", "名称", "名字")


@dataclass(frozen=True)
class Column:
    """One column a layer's file may carry: its stored name, kind of value, title, the headings
    it may appear under, and the range or choices its values must fall in."""

    name: str
    kind: str  # code, id, text, int, count, bool, choice, number, date, list
    title: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    low: float | None = None
    high: float | None = None
    # keyword → stored value, tried in order (first keyword found in the value wins)
    choices: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    # the vocabulary a choice column's values come from
    vocabulary: Vocabulary | None = None

    def stored_values(self) -> list[str]:
        """The values a choice column stores, in the vocabulary's order."""
        if self.vocabulary is None:
            return []
        return list(self.vocabulary.values())


# Keywords met in files for each stored value (aliases for reading; the values and their
# labels are gis.vocabulary's). Order matters: 三无 before 老旧, 商住 before 住宅.
SUBDISTRICT_KINDS = (
    ("街道", "street"),
    ("镇", "town"),
    ("乡", "town"),
    ("开发区", "zone"),
    ("园区", "zone"),
    ("农场", "zone"),
    ("管委会", "zone"),
    ("管理委员会", "zone"),
)
COMMUNITY_KINDS = (
    ("社区", "community"),
    ("居委会", "community"),
    ("居民委员会", "community"),
    ("村委会", "village"),
    ("村民委员会", "village"),
    ("村", "village"),
)
GRID_TYPES = (("基础", "base"), ("专属", "dedicated"), ("专项", "dedicated"))
DEDICATED_KINDS = (
    ("园区", "industrial_park"),
    ("工业", "industrial_park"),
    ("产业", "industrial_park"),
    ("楼宇", "office_tower"),
    ("写字楼", "office_tower"),
    ("商务", "office_tower"),
    ("商圈", "mall"),
    ("商场", "mall"),
    ("市场", "mall"),
    ("商业", "mall"),
    ("学校", "school"),
    ("中学", "school"),
    ("小学", "school"),
    ("大学", "school"),
    ("学院", "school"),
    ("幼儿园", "school"),
    ("医院", "hospital"),
    ("卫生院", "hospital"),
    ("治安", "public_security"),
    ("派出所", "public_security"),
    ("企业", "enterprise"),
    ("事业单位", "enterprise"),
    ("公司", "enterprise"),
    ("单位", "enterprise"),
)
COMPOUND_TYPES = (
    ("三无", "old_unmanaged"),
    ("老旧", "old"),
    ("商品", "commercial"),
    ("单位", "work_unit"),
    ("单体楼", "work_unit"),
    ("集资", "work_unit"),
    ("房改", "work_unit"),
    ("公房", "work_unit"),
    ("安置", "resettlement"),
    ("公租", "resettlement"),
    ("保障", "resettlement"),
    ("廉租", "resettlement"),
    ("平房", "lane_bungalow"),
    ("街巷", "lane_bungalow"),
    ("城中村", "urban_village_rental"),
    ("外租", "urban_village_rental"),
)
BUILDING_USES = (
    ("商住", "mixed"),
    ("综合", "mixed"),
    ("住宅", "residential"),
    ("居住", "residential"),
    ("商业", "commercial"),
    ("商铺", "commercial"),
    ("办公", "office"),
    ("写字楼", "office"),
    ("学校", "school"),
    ("教学", "school"),
    ("医院", "hospital"),
    ("医疗", "hospital"),
    ("工业", "industrial"),
    ("厂房", "industrial"),
    ("仓储", "industrial"),
    ("公共", "public"),
    ("公建", "public"),
)
CENTER_LEVELS = (
    ("小区", "compound"),
    ("社区", "community"),
    ("村", "community"),
    ("街道", "subdistrict"),
    ("镇", "subdistrict"),
    ("乡", "subdistrict"),
    ("城区", "district"),
    ("区级", "district"),
    ("县", "district"),
    ("区", "district"),
)
_TRUE = {"是", "有", "true", "yes", "y", "t", "1", "√"}
_FALSE = {"否", "无", "没有", "false", "no", "n", "f", "0", "×"}

_COUNTY = Column("county_code", "code", "6-digit county code", ("区县编码", "区县代码"))
_SUBDISTRICT = Column(
    "subdistrict_code", "code", "9-digit subdistrict code", ("街道编码", "乡镇编码", "街道代码")
)
_COMMUNITY = Column(
    "community_code", "code", "12-digit community code", ("社区编码", "村社区编码", "社区代码")
)
_COMPOUND_ID = Column("compound_id", "id", "compound id in onemap", ("小区编号", "小区id"))

LAYER_COLUMNS: dict[str, tuple[Column, ...]] = {
    "districts": (
        Column("county_code", "code", "6-digit county code", ("区县编码",), required=True),
        Column("name", "text", "name", ("区县名称",), required=True),
    ),
    "subdistricts": (
        Column("subdistrict_code", "code", "9-digit code", _SUBDISTRICT.aliases, required=True),
        _COUNTY,
        Column("name", "text", "name", ("街道名称", "乡镇名称"), required=True),
        Column(
            "kind",
            "choice",
            "street/town/zone (from the name if absent)",
            ("类型", "类别"),
            choices=SUBDISTRICT_KINDS,
            vocabulary=vocabulary.SUBDISTRICT_KINDS,
        ),
    ),
    "communities": (
        Column("community_code", "code", "12-digit code", _COMMUNITY.aliases, required=True),
        _SUBDISTRICT,
        Column("name", "text", "name", ("社区名称", "村名称"), required=True),
        Column(
            "kind",
            "choice",
            "community/village (from the name if absent)",
            ("类型", "类别"),
            choices=COMMUNITY_KINDS,
            vocabulary=vocabulary.COMMUNITY_KINDS,
        ),
    ),
    "grids": (
        Column(
            "grid_code",
            "code",
            "15-digit code (14-digit legacy codes are widened)",
            ("网格编码", "网格代码", "网格编号"),
            required=True,
        ),
        _COMMUNITY,
        Column("name", "text", "name", ("网格名称",), required=True),
        Column(
            "grid_type",
            "choice",
            "base/dedicated (from the serial if absent)",
            ("网格类型", "类型"),
            choices=GRID_TYPES,
            vocabulary=vocabulary.GRID_TYPES,
        ),
        Column(
            "dedicated_kind",
            "choice",
            "what a dedicated grid serves (from the name if absent)",
            ("专属类型", "专属网格类型"),
            choices=DEDICATED_KINDS,
            vocabulary=vocabulary.DEDICATED_KINDS,
        ),
        Column(
            "leaders",
            "count",
            "grid leaders: a number or their names",
            ("网格长",),
            low=0,
            high=32767,
        ),
        Column(
            "instructors",
            "count",
            "grid instructors: a number or names",
            ("网格指导员", "指导员"),
            low=0,
            high=32767,
        ),
        Column(
            "members", "count", "grid members: a number or names", ("网格员",), low=0, high=32767
        ),
    ),
    "compounds": (
        _COMPOUND_ID,
        _COMMUNITY,
        Column("name", "text", "name", ("小区名称",), required=True),
        Column(
            "compound_type",
            "choice",
            "Jiangnan's compound types",
            ("小区类型", "类型"),
            required=True,
            choices=COMPOUND_TYPES,
            vocabulary=vocabulary.COMPOUND_TYPES,
        ),
        Column(
            "built_year",
            "int",
            "year built",
            ("建成年份", "建成年代", "建成时间"),
            low=1900,
            high=2100,
        ),
        Column(
            "has_property_manager",
            "bool",
            "has a property manager (是/否)",
            ("物业", "有无物业", "物业管理"),
        ),
    ),
    "buildings": (
        Column(
            "building_code",
            "code",
            "17-digit code (assigned if absent)",
            ("楼栋编码", "建筑编码", "楼栋编号"),
        ),
        _COMMUNITY,
        _COMPOUND_ID,
        Column("name", "text", "name", ("楼栋名称", "建筑名称")),
        Column(
            "building_use",
            "choice",
            "use (residential if absent)",
            ("用途", "建筑用途", "类型"),
            choices=BUILDING_USES,
            vocabulary=vocabulary.BUILDING_USES,
        ),
        Column(
            "floors", "int", "floors", ("层数", "楼层数", "楼层"), required=True, low=1, high=150
        ),
        Column("units", "int", "units (stairwells)", ("单元数", "单元"), low=0, high=32767),
        Column("households", "int", "households", ("户数", "住户数"), low=0, high=2**31 - 1),
        Column(
            "population",
            "int",
            "residents",
            ("人口", "人口数", "常住人口", "人数"),
            low=0,
            high=2**31 - 1,
        ),
    ),
    "service_centers": (
        Column("center_id", "id", "centre id in onemap", ("中心编号",)),
        Column("name", "text", "name", ("中心名称",), required=True),
        Column(
            "level",
            "choice",
            "district/subdistrict/community/compound",
            ("级别", "层级"),
            required=True,
            choices=CENTER_LEVELS,
            vocabulary=vocabulary.CENTRE_LEVELS,
        ),
        Column(
            "area_m2",
            "number",
            "floor area, m²",
            ("面积", "建筑面积", "使用面积"),
            required=True,
            low=0.1,
            high=9_999_999.9,
        ),
        _COUNTY,
        _SUBDISTRICT,
        _COMMUNITY,
        _COMPOUND_ID,
        Column("rooms", "list", "rooms (4+X: office, activity, …)", ("功能室", "功能")),
        Column(
            "opened_on",
            "date",
            "opened (YYYY-MM-DD, YYYY年M月D日, YYYY-MM, YYYY)",
            ("启用日期", "建成日期", "开放日期"),
        ),
    ),
}

_UNIT_SUFFIX = re.compile(r"[（(][^)）]*[)）]$")


def _header_key(header: str) -> str:
    key = _UNIT_SUFFIX.sub("", header.strip())
    return re.sub(r"[\s_\-]", "", key).lower()


def spellings(layer: str, column: Column) -> list[str]:
    """Every header accepted for ``column`` in ``layer``, the canonical name first."""
    names = [column.name, *column.aliases]
    # the generic spellings (code, 编码, adcode) stand for the layer's own key
    if column.name == LAYERS[layer].key:
        names += GENERIC_CODE
    if column.name == "name":
        names += GENERIC_NAME
    return list(dict.fromkeys(names))


def map_columns(layer: str, headers: list[str]) -> tuple[dict[str, str], list[str]]:
    """Which file column feeds which field.

    Several headers may feed one field (GeoJSON features of one file spelling a column
    differently); a record giving two different values for it is refused there.

    Returns
    -------
    (mapping source header → field name, ignored headers)
    """
    by_spelling: dict[str, str] = {}
    for column in LAYER_COLUMNS[layer]:
        for spelled in spellings(layer, column):
            by_spelling.setdefault(_header_key(spelled), column.name)
    mapping: dict[str, str] = {}
    ignored: list[str] = []
    for header in headers:
        target = by_spelling.get(_header_key(header))
        if target is None:
            ignored.append(header)
        else:
            mapping[header] = target
    return mapping, ignored


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def choose(value: str, choices: tuple[tuple[str, str], ...]) -> str | None:
    """The stored value a spelled choice stands for, or None."""
    text = value.strip()
    stored = {v for _, v in choices}
    if text.lower() in stored:
        return text.lower()
    return next((v for keyword, v in choices if keyword in text), None)


def read_value(column: Column, value: Any) -> tuple[Any, str | None]:
    """(the value as stored, None) or (None, what is wrong). Blank → (None, None)."""
    if _blank(value) or (isinstance(value, list) and not value and column.kind != "list"):
        return None, None
    kind = column.kind
    if kind == "code":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value).strip(), None
    if kind == "text":
        return str(value).strip(), None
    if kind == "choice":
        found = choose(str(value), column.choices)
        if found is None:
            return None, f"{value!r} is not one of {', '.join(column.stored_values())}"
        return found, None
    if kind == "bool":
        text = str(value).strip().lower()
        if isinstance(value, bool) or text in _TRUE | _FALSE:
            return (value if isinstance(value, bool) else text in _TRUE), None
        return None, f"{value!r} is not yes/no (是/否)"
    if kind == "list":
        if isinstance(value, list):
            return [str(v).strip() for v in value if not _blank(v)], None
        # "{office,activity}" (a PostgreSQL array as text) or "办公议事、党群活动"
        text = str(value).strip().strip("{}[]")
        return [p.strip(" \"'") for p in re.split(r"[、,，;；/|]", text) if p.strip(" \"'")], None
    if kind == "date":
        return _read_date(value)
    if kind == "count" and isinstance(value, str | list) and not _numeric(value):
        names = value if isinstance(value, list) else re.split(r"[、,，;；/|\s]+", value)
        return len([n for n in names if str(n).strip()]), None
    number = _number(value)
    if number is None:
        return None, f"{value!r} is not a number"
    if kind in ("int", "count", "id"):
        if not float(number).is_integer():
            return None, f"{value!r} is not a whole number"
        number = int(number)
    if column.low is not None and number < column.low:
        return None, f"{value!r} is below {column.low:g}"
    if column.high is not None and number > column.high:
        return None, f"{value!r} is above {column.high:g}"
    return number, None


def _numeric(value: Any) -> bool:
    return _number(value) is not None


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    try:
        return float(str(value).strip().replace(",", ""))
    except ValueError:
        return None


_DATE = re.compile(r"^(\d{4})(?:[-/.年](\d{1,2})(?:[-/.月](\d{1,2})日?)?月?)?年?$")


def _read_date(value: Any) -> tuple[date | None, str | None]:
    if isinstance(value, date):
        return value, None
    text = str(value).strip()
    if isinstance(value, float | int) and float(value).is_integer():
        text = str(int(value))
    text = text.split("T")[0].split(" ")[0]
    match = _DATE.match(text)
    if match is None:
        return None, f"{value!r} is not a date (YYYY-MM-DD, YYYY年M月D日, YYYY-MM or YYYY)"
    year, month, day = (int(g) if g else 1 for g in match.groups())
    try:
        return date(year, month, day), None
    except ValueError as error:
        return None, f"{value!r} is not a date: {error}"


def markdown_table() -> str:
    """The table of accepted columns per layer in docs/importing.md."""
    lines = ["| layer | field | accepted headers | required | meaning |", "|---|---|---|---|---|"]
    for layer, columns in LAYER_COLUMNS.items():
        for column in columns:
            headers = ", ".join(f"`{s}`" for s in spellings(layer, column))
            required = "yes" if column.required else ""
            lines.append(f"| {layer} | {column.name} | {headers} | {required} | {column.title} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_table())
