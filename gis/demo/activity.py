"""What happens in the demo district: events clustered the way complaints are, and patrol
tracks that follow the streets."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np
import shapely

from gis.demo.ground import Ground
from gis.demo.lattice import bilinear
from gis.demo.places import Plan, Subdistrict

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


# -- patrols ------------------------------------------------------------------------------
# The demo's patrols run over the three months before EPOCH (August–October 2026), each
# team kind as it works in Jiangnan (../shared/DOMAIN.md, "Patrols and field work"):
# volunteers' evening rounds in the old compounds and urban villages, couriers riding the
# main roads by day, grid members through their own grid, the police with volunteers on
# the main streets by the hotspots late in the evening, and the backing units' few visits
# to the grids they serve, so some grids meet the visit standard and some fall below.
PATROL_FROM = datetime(2026, 8, 1, tzinfo=CHINA)
PATROL_TO = datetime(2026, 11, 1, tzinfo=CHINA)
# GPS noise of a phone in the street, metres: σ per axis, cut at the 12 m a receiver
# still reports as a fix (so every kept fix stays within 20 m of its street).
NOISE_M = 5.0
NOISE_CUT_M = 12.0
# Glitches, per fix: a jump (a reflection off a tower, 2–3 km away: faster than any
# team's limit even over the two fixes' time a double jump spans; one in three lasts two
# fixes), and a fix sent again
# with an instant already sent (the one before it: a duplicate; two before: backwards).
JUMP_RATE = 1 / 400
REPEAT_RATE = 1 / 300
# The blocks volunteers patrol: the three residential kinds that lead HOTSPOT_WEIGHT.
VOLUNTEER_KINDS = ("old_unmanaged", "urban_village_rental", "old")
MAIN_STREETS = ("primary", "secondary")
UNIT_NAMES = (
    "区委办", "区政府办", "区纪委监委", "区委组织部", "区委宣传部", "区委统战部", "区委政法委",
    "区发展改革局", "区教育局", "区科技工信局", "区民政局", "区司法局", "区财政局",
    "区人社局", "区自然资源局", "区生态环境分局", "区住建局", "区城管局", "区交通运输局",
    "区农业农村局", "区商务局", "区文化旅游局", "区卫健局", "区退役军人事务局", "区应急管理局",
    "区审计局", "区市场监管局", "区统计局", "区医保局", "区信访局", "区行政审批局",
    "区总工会", "团区委", "区妇联", "区残联", "区工商联", "区税务局", "区融媒体中心",
    "区投资促进局", "区水利局", "区档案馆", "区机关事务管理局", "区人民法院", "区人民检察院",
)  # fmt: skip


@dataclass(frozen=True)
class TeamKind:
    """How a kind of team patrols: its label, speed (km/h, low and high), crew (low, high),
    how many teams the district has per thing it serves (``share``: of the communities,
    subdistricts or grids it could serve), how long a round lasts (minutes) and how often
    the phone records a fix (seconds)."""

    label: str
    speed_kmh: tuple[float, float]
    crew: tuple[int, int]
    share: float
    minutes: tuple[float, float]
    # The patrol app records a walker every 90 s (75–100 m apart: a denser track would
    # not change what the demo shows but would slow its load), a rider every 30 s.
    fix_every_s: float = 90.0


TEAM_KINDS = {
    # about half of the old-compound and urban-village communities, 2–3 rounds a week
    "volunteers": TeamKind("紫马甲志愿服务队", (3.0, 4.0), (2, 6), 0.5, (30.0, 60.0)),
    # a team in each street (街道) with main roads, 0–2 short rides a day recorded
    "couriers": TeamKind("红骑手队", (12.0, 15.0), (1, 1), 1.0, (5.0, 15.0), 30.0),
    # one base grid in twenty-four has its grid members' own rounds, 1–3 a week
    "grid_members": TeamKind("网格巡查组", (3.0, 4.0), (1, 3), 1 / 24, (40.0, 80.0)),
    # each street with hotspots, about one evening a week
    "police": TeamKind("警民联防队", (3.0, 4.0), (3, 8), 1.0, (60.0, 100.0)),
    # backing units, each serving 2–3 base grids of the urban communities: a third of
    # Jiangnan's 59 for its 387 base grids (the demo's load time pays for every hour walked)
    "units": TeamKind("下沉工作队", (2.0, 3.5), (2, 4), 20 / 387, (60.0, 150.0)),
}
# A community of old compounds and urban villages: at least this many such blocks.
VOLUNTEER_BLOCKS = 4


@dataclass(frozen=True)
class Team:
    """A demo patrol team: code, name, kind, county and the grids it serves (indexes into
    Plan.grids)."""

    code: str
    name: str
    kind: str
    county_code: str
    grids: tuple[int, ...] = ()


@dataclass
class Patrols:
    """Invented patrols: the teams, and their tracks column by column (one value per track
    in every list). A team's tracks of a month are one upload, as the team's leader sends
    them with the month's report."""

    teams: list[Team]
    lines: np.ndarray  # EPSG:4326 LineStrings, a vertex per fix, glitches and all
    times: list[np.ndarray]  # each fix's time, epoch seconds
    team_of: list[int]  # index into teams
    days: list[int]  # day of the patrol, counted from PATROL_FROM
    members: list[int]
    clues: list[int]


class _Paths:
    """The streets and footways as a graph to walk: lattice vertices, the middle of every
    street (a footway's gate) and the middle of every block with footways; metric
    coordinates (EPSG:4545)."""

    def __init__(self, plan: Plan, ground: Ground) -> None:
        xs, ys = ground.lattice.xs, ground.lattice.ys
        self.xy: list[tuple[float, float]] = []
        self.links: list[list[tuple[int, str]]] = []
        self._ids: dict[object, int] = {}
        self.vertex_cell: dict[int, int] = {}  # a street's node → a planned cell beside it
        for street in ground.streets:
            a, b = street.edge
            ia = self._node(a, (xs[a], ys[a]))
            ib = self._node(b, (xs[b], ys[b]))
            im = self._node(street.edge, ((xs[a] + xs[b]) / 2, (ys[a] + ys[b]) / 2))
            self._link(ia, im, street.street_class)
            self._link(im, ib, street.street_class)
            if street.cell is not None:
                for node in (ia, ib, im):
                    self.vertex_cell.setdefault(node, street.cell)
        self.cell_nodes: list[list[int]] = []
        self.middles: dict[int, int] = {}
        self.places = [(c, r) for c, r in ground.cells.tolist()]
        self.lattice = {place: i for i, place in enumerate(self.places)}
        for cell, (c, r) in enumerate(ground.cells.tolist()):
            corners = [(c, r), (c + 1, r), (c + 1, r + 1), (c, r + 1)]
            sides = [
                tuple(sorted(pair)) for pair in zip(corners, corners[1:] + corners[:1], strict=True)
            ]
            nodes = [self._ids[v] for v in corners if v in self._ids]
            gates = [self._ids[s] for s in sides if s in self._ids]
            nodes += gates
            if plan.cell_kind[cell] != "open":
                middle = self._node(("cell", cell), tuple(ground.corners[cell].mean(axis=0)))
                for gate in gates:
                    self._link(gate, middle, "footway")
                nodes.append(middle)
                self.middles[cell] = middle
            self.cell_nodes.append(nodes)

    def inside(self, cells: list[int]) -> tuple[set[int], list[int]]:
        """The nodes a round that keeps inside ``cells`` (a grid) may use, and those it may
        start from: the footways and the streets between two of its blocks, never a street
        on its edge (a phone walking it is seen in the grid across the street half the
        time); where its blocks have no street between them, all their nodes."""
        place = {self.places[c] for c in cells}
        allowed = {self.middles[c] for c in cells if c in self.middles}
        for c, r in place:
            # a side is inside when the block across it is the grid's too
            for side, across in (
                (((c, r), (c + 1, r)), (c, r - 1)),
                (((c + 1, r), (c + 1, r + 1)), (c + 1, r)),
                (((c, r + 1), (c + 1, r + 1)), (c, r + 1)),
                (((c, r), (c, r + 1)), (c - 1, r)),
            ):
                if across in place and side in self._ids:
                    allowed.add(self._ids[side])
            for corner in ((c, r), (c + 1, r), (c + 1, r + 1), (c, r + 1)):
                x, y = corner
                around = ((x - 1, y - 1), (x, y - 1), (x - 1, y), (x, y))
                if corner in self._ids and all(a in place for a in around):
                    allowed.add(self._ids[corner])
        starts = sorted(n for n in allowed if any(m in allowed for m, _ in self.links[n]))
        if not starts:
            allowed = {n for c in cells for n in self.cell_nodes[c]}
            starts = sorted(n for n in allowed if self.links[n])
        return allowed, starts

    def _node(self, key: object, xy: tuple[float, float]) -> int:
        node = self._ids.get(key)
        if node is None:
            node = self._ids[key] = len(self.xy)
            self.xy.append((float(xy[0]), float(xy[1])))
            self.links.append([])
        return node

    def _link(self, a: int, b: int, kind: str) -> None:
        self.links[a].append((b, kind))
        self.links[b].append((a, kind))

    def walk(
        self,
        start: int,
        metres: float,
        allowed: set[int],
        kinds: tuple[str, ...] | None,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """A random walk of about ``metres`` from ``start`` over ``allowed`` nodes along
        links of ``kinds`` (None: any), never turning straight back unless it must; its
        nodes' metric coordinates."""
        path = [start]
        previous, node, walked = -1, start, 0.0
        while walked < metres:
            options = [
                n for n, k in self.links[node] if n in allowed and (kinds is None or k in kinds)
            ]
            if not options:
                break
            ahead = [n for n in options if n != previous] or options
            previous, node = node, ahead[int(rng.integers(len(ahead)))]
            (x0, y0), (x1, y1) = self.xy[previous], self.xy[node]
            walked += float(np.hypot(x1 - x0, y1 - y0))
            path.append(node)
        return np.array([self.xy[n] for n in path])

    def main_street_nodes(self) -> set[int]:
        """Nodes on a primary or secondary street."""
        return {
            node
            for node, links in enumerate(self.links)
            if any(kind in MAIN_STREETS for _, kind in links)
        }


def _fixes(
    path: np.ndarray, speed_kmh: float, minutes: float, every_s: float, rng: np.random.Generator
) -> np.ndarray:
    """Where a phone walking ``path`` at ``speed_kmh`` records a fix every ``every_s`` for
    ``minutes`` at most (a walk cut short where the path ends), with the GPS noise."""
    steps = np.hypot(*np.diff(path, axis=0).T)
    along = np.concatenate([[0.0], np.cumsum(steps)])
    step = speed_kmh / 3.6 * every_s
    count = min(int(minutes * 60 / every_s) + 1, int(along[-1] / step) + 1)
    at = np.arange(count) * step
    xy = np.column_stack([np.interp(at, along, path[:, 0]), np.interp(at, along, path[:, 1])])
    return xy + np.clip(rng.normal(0.0, NOISE_M, xy.shape), -NOISE_CUT_M, NOISE_CUT_M)


def _glitches(
    xy: np.ndarray, times: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """A phone's imperfections on a track's fixes: jumps and instants sent again (the
    rates above), each at least four fixes from the next, and none among the first and last
    two fixes, so cleaning always has the good fixes around a glitch to judge it by."""
    xy, times = xy.copy(), times.copy()
    n = len(xy)
    if n < 8:
        return xy, times
    inner = np.arange(2, n - 3)
    jumps = inner[rng.random(len(inner)) < JUMP_RATE]
    repeats = inner[rng.random(len(inner)) < REPEAT_RATE]
    taken: list[int] = []
    for i in sorted([*jumps.tolist(), *repeats.tolist()]):
        if taken and i - taken[-1] < 5:
            continue
        taken.append(i)
        if i in repeats:
            times[i] = times[i - 1] if rng.random() < 0.5 else times[i - 2]
            continue
        angle = rng.uniform(0, 2 * np.pi)
        xy[i] += rng.uniform(2000, 3000) * np.array([np.cos(angle), np.sin(angle)])
        if rng.random() < 1 / 3:  # the reflection holds for a second fix nearby
            xy[i + 1] = xy[i] + rng.normal(0.0, 10.0, 2)
    return xy, times


def make_patrols(plan: Plan, ground: Ground, share: float, rng: np.random.Generator) -> Patrols:
    """Invent the teams and their rounds over PATROL_FROM–PATROL_TO; ``share`` scales how
    many teams of each kind (1: as many as Jiangnan's; a city demo takes fewer per grid)."""
    paths = _Paths(plan, ground)
    kinds = _cell_kinds(plan)
    patrols = Patrols([], np.empty(0, dtype=object), [], [], [], [], [])
    lines: list[shapely.Geometry] = []
    days = (PATROL_TO - PATROL_FROM).days

    def team(t: Team) -> int:
        patrols.teams.append(t)
        return len(patrols.teams) - 1

    def track(
        index: int, day: int, start_hour: float, path: np.ndarray, minutes: float, speed: float
    ) -> None:
        every_s = TEAM_KINDS[patrols.teams[index].kind].fix_every_s
        xy = _fixes(path, speed, minutes, every_s, rng)
        if len(xy) < 8:
            return  # a walk with nowhere to go is no patrol
        started = PATROL_FROM + timedelta(days=day, hours=start_hour)
        times = started.timestamp() + np.arange(len(xy)) * every_s
        xy, times = _glitches(xy, times, rng)
        lines.append(shapely.linestrings(xy))
        patrols.times.append(times)
        patrols.team_of.append(index)
        patrols.days.append(day)
        patrols.members.append(
            int(rng.integers(*TEAM_KINDS[patrols.teams[index].kind].crew, endpoint=True))
        )
        patrols.clues.append(int(rng.poisson(0.8)))

    def weekly(per_week: float) -> list[int]:
        """The days of a team that goes out ``per_week`` times a week on average."""
        return [d for d in range(days) if rng.random() < per_week / 7]

    def cells_walk(cells: list[int]) -> tuple[set[int], list[int]]:
        allowed = {n for c in cells for n in paths.cell_nodes[c]}
        starts = [n for c in cells for n in paths.cell_nodes[c] if paths.links[n]]
        return allowed, starts

    def within(kind: str, options: int) -> int:
        return int(rng.binomial(options, min(1.0, TEAM_KINDS[kind].share * share)))

    def pick(options: list[Subdistrict], kind: str) -> list[Subdistrict]:
        chosen = rng.choice(len(options), size=within(kind, len(options)), replace=False)
        return [options[i] for i in sorted(chosen)]

    communities: dict[str, list[int]] = {}
    for cell, owner in enumerate(plan.cell_grid):
        communities.setdefault(plan.grids[owner].community.code, []).append(cell)
    by_code = {c.code: c for c in plan.communities}
    lattice = paths.lattice

    # volunteers (紫马甲): evening rounds through their community's old compounds and urban
    # villages and the blocks beside them, 19:00–21:30
    hot = [
        code
        for code, cells in communities.items()
        if sum(kinds[c] in VOLUNTEER_KINDS for c in cells) >= VOLUNTEER_BLOCKS
    ]
    spec = TEAM_KINDS["volunteers"]
    for code in sorted(rng.choice(hot, size=within("volunteers", len(hot)), replace=False)):
        community = by_code[str(code)]
        cells = communities[community.code]
        hotspots = [c for c in cells if kinds[c] in VOLUNTEER_KINDS]
        mine = set(cells)
        near = {
            lattice[(c + dc, r + dr)]
            for h in hotspots
            for c, r in [tuple(ground.cells[h])]
            for dc, dr in ((0, 0), (1, 0), (-1, 0), (0, 1), (0, -1))
            if lattice.get((c + dc, r + dr)) in mine
        }
        allowed, _ = cells_walk(sorted(near))
        _, starts = cells_walk(hotspots)
        index = team(
            Team(
                f"zmj-{community.code}",
                f"{community.short_name}{spec.label}",
                "volunteers",
                community.subdistrict.county_code,
            )
        )
        for day in weekly(rng.uniform(2, 3)):
            minutes = rng.uniform(*spec.minutes)
            start = 19 + rng.uniform(0, 2.5 - minutes / 60)
            speed = rng.uniform(*spec.speed_kmh)
            path = paths.walk(
                starts[int(rng.integers(len(starts)))], speed / 3.6 * minutes * 60, allowed,
                None, rng,
            )  # fmt: skip
            track(index, day, start, path, minutes, speed)

    # the streets' own subdistricts: their main roads and their hotspots
    main = paths.main_street_nodes()
    subdistrict_main: dict[str, set[int]] = {}
    for node in main:
        beside = paths.vertex_cell.get(node)
        if beside is not None:
            code = plan.grids[plan.cell_grid[beside]].community.subdistrict.code
            subdistrict_main.setdefault(code, set()).add(node)
    subdistricts = [
        s
        for s in plan.subdistricts
        if s.kind == "street" and len(subdistrict_main.get(s.code, ())) > 20
    ]

    # couriers (红骑手): short rides along the main roads, 09:00–18:00, the few a day their
    # phones record
    spec = TEAM_KINDS["couriers"]
    for subdistrict in pick(subdistricts, "couriers"):
        allowed = subdistrict_main[subdistrict.code]
        starts = sorted(allowed)
        index = team(
            Team(
                f"hqs-{subdistrict.code}",
                f"{subdistrict.name}{spec.label}",
                "couriers",
                subdistrict.county_code,
            )
        )
        for day in range(days):
            for _ in range(int(rng.integers(0, 3))):
                minutes = rng.uniform(*spec.minutes)
                speed = rng.uniform(*spec.speed_kmh)
                path = paths.walk(
                    starts[int(rng.integers(len(starts)))], speed / 3.6 * minutes * 60,
                    allowed, MAIN_STREETS, rng,
                )  # fmt: skip
                track(index, day, rng.uniform(9, 18 - minutes / 60), path, minutes, speed)

    # the police with volunteers (警民联防): the main streets within 600 m of a hotspot
    # block, 21:00–23:00, about once a week
    spec = TEAM_KINDS["police"]
    centres = ground.corners.mean(axis=1)
    for subdistrict in pick(subdistricts, "police"):
        hotspots = [
            c
            for c, owner in enumerate(plan.cell_grid)
            if kinds[c] in VOLUNTEER_KINDS
            and plan.grids[owner].community.subdistrict.code == subdistrict.code
        ]
        if not hotspots:
            continue
        nodes = sorted(subdistrict_main[subdistrict.code])
        xy = np.array([paths.xy[n] for n in nodes])
        gap = np.min(
            np.hypot(*(xy[:, None, :] - centres[hotspots][None, :, :]).transpose(2, 0, 1)), axis=1
        )
        allowed = {n for n, d in zip(nodes, gap, strict=True) if d < 600}
        if len(allowed) < 5:
            continue
        starts = sorted(allowed)
        index = team(
            Team(
                f"jmlf-{subdistrict.code}",
                f"{subdistrict.name}{spec.label}",
                "police",
                subdistrict.county_code,
            )
        )
        for day in weekly(1.0):
            minutes = rng.uniform(*spec.minutes)
            speed = rng.uniform(*spec.speed_kmh)
            path = paths.walk(
                starts[int(rng.integers(len(starts)))], speed / 3.6 * minutes * 60, allowed,
                MAIN_STREETS, rng,
            )  # fmt: skip
            track(index, day, 21 + rng.uniform(0, 2 - minutes / 60), path, minutes, speed)

    # grid members (网格员): a team per grid of a sample, rounds through their own grid in
    # the morning or the afternoon
    base = [i for i, g in enumerate(plan.grids) if g.grid_type == "base"]
    serials: list[int] = []
    seen: Counter[str] = Counter()
    for each in plan.grids:
        seen[each.community.code] += 1
        serials.append(seen[each.community.code])
    spec = TEAM_KINDS["grid_members"]
    for grid_index in sorted(
        rng.choice(base, size=within("grid_members", len(base)), replace=False)
    ):
        grid = plan.grids[int(grid_index)]
        serial = serials[int(grid_index)]
        allowed, starts = paths.inside(grid.cells)
        if not starts:
            continue
        index = team(
            Team(
                f"wg-{grid.community.code}-{serial}",
                f"{grid.community.short_name}网格{serial}{spec.label}",
                "grid_members",
                grid.community.subdistrict.county_code,
                (int(grid_index),),
            )
        )
        for day in weekly(rng.uniform(1, 3)):
            minutes = rng.uniform(*spec.minutes)
            opens = 9.0 if rng.random() < 0.5 else 15.0
            speed = rng.uniform(*spec.speed_kmh)
            path = paths.walk(
                starts[int(rng.integers(len(starts)))], speed / 3.6 * minutes * 60, allowed,
                None, rng,
            )  # fmt: skip
            track(index, day, opens + rng.uniform(0, 2 - minutes / 60), path, minutes, speed)

    # backing units (下沉单位): each serves 2–3 base grids of its county's urban communities
    # and visits each 0–3 times a month on a weekday, 1–2.5 h
    spec = TEAM_KINDS["units"]
    number = 0
    for county in sorted({s.county_code for s in plan.subdistricts}):
        grids = [i for i in base if plan.grids[i].community.subdistrict.county_code == county]
        urban = [i for i in grids if plan.grids[i].community.kind == "community"] or grids
        for _ in range(max(1, round(spec.share * share * len(grids)))):
            served = rng.choice(urban, size=min(len(urban), int(rng.integers(2, 4))), replace=False)
            name = UNIT_NAMES[number % len(UNIT_NAMES)]
            if number >= len(UNIT_NAMES):
                name += f"第{number // len(UNIT_NAMES) + 1}"
            number += 1
            index = team(
                Team(
                    f"xc-{number:03d}",
                    f"{name}{spec.label}",
                    "units",
                    county,
                    tuple(sorted(int(g) for g in served)),
                )
            )
            for grid_index in patrols.teams[index].grids:
                allowed, starts = paths.inside(plan.grids[grid_index].cells)
                for month in range(3):
                    first_day = (
                        PATROL_FROM.replace(month=PATROL_FROM.month + month) - PATROL_FROM
                    ).days
                    weekdays = [
                        d
                        for d in range(first_day, first_day + 28)
                        if (PATROL_FROM + timedelta(days=d)).weekday() < 5
                    ]
                    visits = int(rng.choice(4, p=[0.3, 0.35, 0.25, 0.1]))
                    for day in sorted(rng.choice(weekdays, size=visits, replace=False)):
                        minutes = rng.uniform(*spec.minutes)
                        speed = rng.uniform(*spec.speed_kmh)
                        path = paths.walk(
                            starts[int(rng.integers(len(starts)))], speed / 3.6 * minutes * 60,
                            allowed, None, rng,
                        )  # fmt: skip
                        track(
                            index, int(day), rng.uniform(9, 17 - minutes / 60), path, minutes, speed
                        )

    patrols.lines = ground.wgs84(np.array(lines, dtype=object))
    return patrols
