"""What happens in the demo district: events clustered the way complaints are, and patrol
tracks that follow the streets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np
import shapely

from gis.demo.ground import Ground
from gis.demo.lattice import bilinear
from gis.demo.places import Plan

CHINA = timezone(timedelta(hours=8))
# The demo's "today": fixed, so a seed always gives the same district.
EPOCH = datetime(2026, 11, 1, 8, 0, tzinfo=CHINA)

# How often each kind of block generates complaints (old compounds without a property
# manager and urban-village rentals lead in every published account).
HOTSPOT_WEIGHT = {
    "old_unmanaged": 6.0,
    "urban_village_rental": 5.0,
    "old": 4.0,
    "work_unit": 3.0,
    "lane_bungalow": 3.0,
    "resettlement": 2.0,
    "commercial": 1.5,
    "village": 1.0,
    "mall": 4.0,
    "dedicated": 1.5,
    "open": 0.3,
}
CATEGORIES = {
    "old_unmanaged": ("0901", "0902", "0802", "0801", "0701", "0101", "1001", "0803"),
    "old": ("0901", "0902", "0802", "0701", "0101", "1001", "0402"),
    "work_unit": ("0902", "0802", "0701", "1001", "0101"),
    "urban_village_rental": ("0101", "0102", "0802", "0801", "0302", "0401", "0601"),
    "lane_bungalow": ("0101", "0302", "1001", "0801", "0103"),
    "resettlement": ("0901", "0402", "0601", "0702", "0802"),
    "commercial": ("0402", "0601", "0901", "0802", "0602", "0803"),
    "village": ("0101", "0104", "0302", "0701", "1001", "0703"),
    "mall": ("0401", "0403", "0402", "0201", "0602", "0202"),
    "dedicated": ("0402", "0301", "0601", "0501", "0502"),
    "open": ("0102", "0104", "0302", "0503"),
}
SOURCES = {
    "qr": 0.35,
    "grid_member": 0.3,
    "hotline_12345": 0.2,
    "patrol": 0.08,
    "video": 0.04,
    "open311": 0.03,
}
DESCRIPTIONS = {
    "0101": "垃圾堆放未清运",
    "0102": "渣土堆积",
    "0103": "路面脏污",
    "0104": "水面漂浮垃圾",
    "0201": "墙面张贴小广告",
    "0202": "广告牌破损",
    "0301": "夜间施工噪音",
    "0302": "疑似违章搭建",
    "0401": "占道摆摊",
    "0402": "车辆乱停放堵路",
    "0403": "店外经营占道",
    "0501": "路面塌陷",
    "0502": "水管爆裂漏水",
    "0503": "起火冒烟",
    "0601": "噪声扰民",
    "0602": "油烟扰民",
    "0701": "邻里纠纷需调解",
    "0702": "家庭纠纷",
    "0703": "拖欠工资",
    "0801": "消防通道被占",
    "0802": "电动车楼道充电",
    "0803": "高空坠物隐患",
    "0901": "电梯故障停运",
    "0902": "小区设施损坏",
    "1001": "独居老人需探访",
    "1002": "老人助餐需求",
}
# Team kind: label, speed (km/h), crew size
PATROLS = {
    "couriers": ("红骑手", 12.0, (1, 2)),
    "police": ("警民联防队", 4.0, (3, 8)),
    "grid_members": ("网格巡查组", 4.0, (1, 3)),
    "volunteers": ("紫马甲志愿服务队", 4.0, (2, 6)),
}
PATROL_SHARE = {"couriers": 0.35, "police": 0.2, "grid_members": 0.3, "volunteers": 0.15}
# a phone's fix every 15 s, as the patrol app records them
FIX_EVERY_S = 15.0


@dataclass
class Events:
    """Invented citizen reports, column by column: points in EPSG:4326 and one value per event
    in every list."""

    points: np.ndarray  # EPSG:4326 Points
    county_codes: list[str]
    categories: list[str]
    descriptions: list[str]
    sources: list[str]
    statuses: list[str]
    reported_at: list[datetime]
    closed_at: list[datetime | None]
    tracking_numbers: list[str]


def _cell_kinds(plan: Plan) -> list[str]:
    """Each cell's kind for hotspot purposes: the compound type where there is one."""
    kinds = list(plan.cell_kind)
    for compound in plan.compounds:
        kinds[compound.cell] = compound.compound_type
    for index, grid_index in enumerate(plan.cell_grid):
        if plan.grids[grid_index].dedicated_kind == "mall":
            kinds[index] = "mall"
    return kinds


def make_events(plan: Plan, ground: Ground, count: int, rng: np.random.Generator) -> Events:
    """Invent ``count`` events on the ground: about two in three clustered around hotspots
    (markets, run-down compounds), the rest spread by how complaint-prone each block is."""
    kinds = _cell_kinds(plan)
    weights = np.array([HOTSPOT_WEIGHT[k] for k in kinds])
    weights /= weights.sum()
    cell_index = ground.cell_index
    # Two in three events cluster around hotspots (a market, a run-down compound); the
    # rest are scattered in proportion to how complaint-prone each block is.
    clustered = int(count * 0.65)
    hotspots = rng.choice(len(kinds), size=max(1, count // 30), p=weights)
    # Drawn three times over: a point that falls off every block (into farmland, a
    # park, the river) is not an event, and the first ``clustered`` that land are kept.
    centres = ground.cells[rng.choice(hotspots, size=3 * clustered)] + 0.5
    around = centres + rng.normal(0.0, 0.6, centres.shape)
    lands = np.array([(int(c), int(r)) in cell_index for c, r in np.floor(around)], dtype=bool)
    around = around[lands][:clustered]
    scattered = ground.cells[rng.choice(len(kinds), size=count - clustered, p=weights)]
    spread = np.vstack([around, scattered + rng.uniform(0.03, 0.97, scattered.shape)])
    lattice_cells = np.floor(spread).astype(int)
    cells = np.array([cell_index[(int(c), int(r))] for c, r in lattice_cells], dtype=int)
    fraction = spread - lattice_cells
    xy = bilinear(ground.corners[cells], fraction[:, 0], fraction[:, 1])
    points = ground.wgs84(shapely.points(xy))

    county = [plan.grids[plan.cell_grid[c]].community.subdistrict.county_code for c in cells]
    categories = [str(rng.choice(CATEGORIES[kinds[c]])) for c in cells]
    source_names = list(SOURCES)
    source_p = np.array(list(SOURCES.values()))
    sources = [
        str(s) for s in rng.choice(source_names, size=len(cells), p=source_p / source_p.sum())
    ]
    # Reports come in daytime and evening hours, over the past year.
    days = rng.uniform(0, 365, len(cells))
    hours = rng.choice(np.arange(24), size=len(cells), p=_hour_profile())
    reported = []
    for d, h in zip(days, hours, strict=True):
        when = (EPOCH - timedelta(days=float(d))).replace(hour=int(h), minute=int(rng.integers(60)))
        reported.append(when if when <= EPOCH else when - timedelta(days=1))
    statuses, closed = [], []
    for when in reported:
        status, closed_at = _stage(EPOCH - when, when, rng)
        statuses.append(status)
        closed.append(closed_at)
    order = np.argsort(np.array([r.timestamp() for r in reported]), kind="stable")
    tracking = [""] * len(cells)
    for seq, i in enumerate(order, start=1):
        tracking[i] = f"SJ{reported[i]:%Y%m%d}{seq:06d}"
    return Events(
        points,
        county,
        categories,
        [DESCRIPTIONS[c] for c in categories],
        sources,
        statuses,
        reported,
        closed,
        tracking,
    )


def _hour_profile() -> np.ndarray:
    profile = np.array(
        [1, 0.5, 0.3, 0.3, 0.3, 0.5, 1, 2, 4, 6, 6, 5, 4, 4, 5, 5, 5, 5, 4, 4, 4, 3, 2, 1.5]
    )
    return profile / profile.sum()


def _stage(age: timedelta, reported: datetime, rng: np.random.Generator):
    """Where an event of this age stands in the loop; older ones are mostly closed."""
    if age > timedelta(days=10):
        status = str(
            rng.choice(
                ["evaluated", "closed", "rejected", "duplicate", "not_responsible", "in_progress"],
                p=[0.62, 0.28, 0.03, 0.03, 0.03, 0.01],
            )
        )
    else:
        status = str(
            rng.choice(
                [
                    "reported",
                    "filed",
                    "dispatched",
                    "in_progress",
                    "handled",
                    "closed",
                    "evaluated",
                ],
                p=[0.08, 0.07, 0.15, 0.25, 0.15, 0.2, 0.1],
            )
        )
    if status in ("evaluated", "closed", "rejected", "duplicate", "not_responsible"):
        hours = float(min(rng.lognormal(3.6, 0.9), age.total_seconds() / 3600))
        return status, reported + timedelta(hours=hours)
    return status, None


@dataclass
class Patrols:
    """Invented grid patrols, column by column: routes as EPSG:4326 LineStrings along the
    streets, and one value per patrol in every list."""

    lines: np.ndarray  # EPSG:4326 LineStrings, a vertex per fix
    times: list[np.ndarray]  # each fix's time, epoch seconds
    county_codes: list[str]
    start_cells: list[int]
    team_codes: list[str]
    team_names: list[str]
    kinds: list[str]
    members: list[int]
    clues: list[int]


def make_patrols(plan: Plan, ground: Ground, count: int, rng: np.random.Generator) -> Patrols:
    """Invent ``count`` patrols walking the streets between blocks, teams shared out by
    ``PATROL_SHARE``."""
    neighbours: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for a, b in (street.edge for street in ground.streets):
        neighbours.setdefault(a, []).append(b)
        neighbours.setdefault(b, []).append(a)
    cell_vertices = ground.cells.tolist()
    names = list(PATROL_SHARE)
    shares = np.array(list(PATROL_SHARE.values()))
    xs, ys = ground.lattice.xs, ground.lattice.ys
    lines, times, counties, start_cells, codes, teams, kinds, members, clues = (
        [],
        [],
        [],
        [],
        [],
        [],
        [],
        [],
        [],
    )
    for _ in range(count):
        kind = str(rng.choice(names, p=shares / shares.sum()))
        label, speed_kmh, crew = PATROLS[kind]
        start_cell = int(rng.integers(len(cell_vertices)))
        vertex = tuple(cell_vertices[start_cell])
        path = [vertex]
        previous = None
        # a walk along the streets that never turns straight back
        for _step in range(int(rng.integers(12, 60 if kind == "couriers" else 30))):
            options = [v for v in neighbours[vertex] if v != previous] or neighbours[vertex]
            previous, vertex = vertex, options[int(rng.integers(len(options)))]
            path.append(vertex)
        # a fix every FIX_EVERY_S along the way, at the team's speed
        line = shapely.segmentize(
            shapely.linestrings(np.array([(xs[c, r], ys[c, r]) for c, r in path])),
            speed_kmh / 3.6 * FIX_EVERY_S,
        )
        fixes = shapely.get_coordinates(line)
        along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(fixes, axis=0).T))])
        started = EPOCH - timedelta(days=float(rng.uniform(0, 90)), hours=float(rng.uniform(0, 10)))
        seconds = along / (speed_kmh / 3.6)
        lines.append(line)
        times.append(started.timestamp() + seconds)
        community = plan.grids[plan.cell_grid[start_cell]].community
        counties.append(community.subdistrict.county_code)
        start_cells.append(start_cell)
        number = int(rng.integers(1, 9))
        codes.append(f"{kind.replace('_', '-')}-{community.subdistrict.code}-{number}")
        teams.append(f"{community.subdistrict.name}{label}{number}队")
        kinds.append(kind)
        members.append(int(rng.integers(*crew, endpoint=True)))
        clues.append(int(rng.poisson(0.8)))
    return Patrols(
        ground.wgs84(np.array(lines, dtype=object)),
        times,
        counties,
        start_cells,
        codes,
        teams,
        kinds,
        members,
        clues,
    )
