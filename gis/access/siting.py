"""Siting new service centres: where k new centres would reach the most households not
yet within t minutes' walk of a centre (maximal covering, MCLP), and the fewest new
centres that lift household coverage to a target (LSCP-style).

Each candidate site — by default every public and commercial building in scope — gets
the t-minute area a centre there would have, drawn exactly as a centre's
(gis/access/service_areas.py, one pgRouting call for all candidates); it covers the
uncovered buildings whose points its area holds, so what siting promises is what
coverage reports once the centre is built. The models are spopt's (PySAL), solved with
CBC, the solver PuLP ships on PyPI.

The target mode asks for the smallest k whose best k sites reach the target. spopt's
LSCP covers every demand point or is infeasible, and a target below 100 % is a partial
cover, so this solves MCLP for k by bisection — coverage at the optimum never falls as k
grows — and the first k that reaches the target is the minimum. A target that needs
every household the candidates can reach is a set cover, and goes to spopt's LSCP in
one solve. Siting writes nothing.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import psycopg
import pulp
from spopt.locate import LSCP, MCLP

from gis.access.coverage import LEVELS, parse_scope
from gis.access.network import DEFAULT_WALKING_SPEED_KMH, walking_distance_m
from gis.access.service_areas import (
    DEFAULT_BUFFER_M,
    SERVICE_MINUTES,
    draw_areas,
    prepare_sources,
)
from gis.errors import InvalidParameter, NotFound, OnemapError
from gis.sql import query

_MAX_K = 200
# CBC stops here and reports what it has (status "Not Solved" when no integer solution
# was proved optimal in time); a district's problems solve in a few seconds.
SOLVER_TIME_LIMIT_S = 30
# Where a new centre may go by default: the "public and commercial buildings".
DEFAULT_CANDIDATE_USES = ("public", "commercial")
BUILDING_USES = (
    "residential",
    "mixed",
    "commercial",
    "office",
    "public",
    "school",
    "hospital",
    "industrial",
)


class TargetUnreachable(OnemapError):
    """No choice of the candidate sites lifts coverage to the target."""

    def __init__(self, target_pct: float, best_pct: float, sites: int) -> None:
        super().__init__(
            f"target_pct: {target_pct:g} % of households cannot be reached; every one of the"
            f" {sites:,} useful candidate sites together reach {best_pct:.1f} %"
        )
        self.target_pct = target_pct
        self.best_pct = best_pct


@dataclass(frozen=True)
class SuggestedSite:
    """One existing building proposed for a new centre, in rank order, with the households,
    residents and buildings it adds to coverage (lon/lat in EPSG:4326)."""

    rank: int
    building_code: str
    name: str | None
    community_code: str
    building_use: str
    lon: float
    lat: float
    households_added: int  # households no centre and no better-ranked site reaches
    population_added: int
    buildings_added: int
    coverage_pct_after: float  # of the scope's households, with this and better sites


@dataclass(frozen=True)
class SitingResult:
    """A siting answer: the model solved, coverage of the scope's households before and after
    (percent, 0–100) and the suggested sites, best first."""

    model: str  # "mclp" (k sites) or "lscp" (fewest sites for the target)
    minutes: int
    k: int
    target_pct: float | None
    scope: str
    levels: list[str] | None
    households: int  # in scope
    households_covered_before: int
    coverage_pct_before: float
    coverage_pct_after: float
    uncovered_buildings: int  # demand: buildings with households no centre reaches
    candidates: int
    candidates_out_of_reach: int  # no uncovered household within reach as the crow flies
    solver_status: str
    seconds: float
    sites: list[SuggestedSite] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The result as JSON-ready values, sites included."""
        return asdict(self)


def suggest_sites(
    conn: psycopg.Connection,
    *,
    k: int | None = None,
    target_pct: float | None = None,
    minutes: int = 15,
    candidates: Sequence[str] | None = None,
    candidate_uses: Sequence[str] = DEFAULT_CANDIDATE_USES,
    scope: str | None = None,
    levels: Sequence[str] | None = None,
    speed_kmh: float = DEFAULT_WALKING_SPEED_KMH,
    buffer_m: float = DEFAULT_BUFFER_M,
) -> SitingResult:
    """Rank sites for new service centres by the households they would add.

    Parameters
    ----------
    k : the number of new centres (maximal covering); give k or target_pct.
    target_pct : the household coverage (0–100 %) to reach with the fewest new centres;
        met when the coverage, rounded to 0.01 % as printed, reaches it.
    minutes : the service circle, 5, 10 or 15 minutes' walk.
    candidates : building codes of the candidate sites; default the buildings in scope
        of ``candidate_uses``.
    candidate_uses : building uses that may host a centre (default public and
        commercial; "residential" adds ground floors of homes, as compound stations often
        are, at the price of many more areas to draw).
    scope : a county, subdistrict or community code: whose households count and where
        the default candidates are; default everything.
    levels : centre levels whose existing areas count as covering; default all.
    speed_kmh, buffer_m : as for the stored areas (km/h, metres).

    Returns
    -------
    The sites ranked (the one adding most first, then the next given it, …), with the
    households each adds and the coverage after it; coverage before and after.

    Raises
    ------
    InvalidParameter for k, target_pct, minutes, scope or levels out of range;
    NotFound naming candidate building codes that do not exist; TargetUnreachable
    with the best coverage the candidates reach.
    """
    started = time.perf_counter()
    params = _params(
        k, target_pct, minutes, candidates, candidate_uses, scope, levels, speed_kmh, buffer_m
    )
    with conn.transaction() as transaction:
        # several statements with parameters: bound on the client side
        psycopg.ClientCursor(conn).execute(query("access/siting_setup"), params)
        _check_candidates(conn, candidates)
        households, covered = _scope_households(conn, params)
        demand = conn.execute(
            "SELECT households, population FROM siting_demand ORDER BY j"
        ).fetchall()
        sites = conn.execute(
            "SELECT i, building_code, name, community_code, building_use, ST_X(point),"
            " ST_Y(point), promising FROM siting_candidates ORDER BY i"
        ).fetchall()
        useful = [row for row in sites if row[7]]
        if k is not None and k > len(useful):
            raise InvalidParameter(
                "k",
                f"{k} sites asked for, but only {len(useful):,} candidates have uncovered"
                " households within reach",
            )
        pairs = _covering_pairs(conn, useful, minutes, speed_kmh, buffer_m)
        chosen, status, k_used = _solve(
            pairs, demand, len(sites), k, target_pct, households, covered
        )
        ranked = _ranked(chosen, pairs, demand, sites, households, covered)
        result = SitingResult(
            model="mclp" if k is not None else "lscp",
            minutes=minutes,
            k=k_used,
            target_pct=target_pct,
            scope=params["scope"],
            levels=params["levels"],
            households=households,
            households_covered_before=covered,
            coverage_pct_before=_pct(covered, households),
            coverage_pct_after=ranked[-1].coverage_pct_after
            if ranked
            else _pct(covered, households),
            uncovered_buildings=len(demand),
            candidates=len(sites),
            candidates_out_of_reach=len(sites) - len(useful),
            solver_status=status,
            seconds=0.0,
            sites=ranked,
        )
        # Siting writes nothing: the temporary tables go with the rollback.
        raise psycopg.Rollback(transaction)
    return dataclasses.replace(result, seconds=round(time.perf_counter() - started, 2))


def _params(
    k: int | None,
    target_pct: float | None,
    minutes: int,
    candidates: Sequence[str] | None,
    candidate_uses: Sequence[str],
    scope: str | None,
    levels: Sequence[str] | None,
    speed_kmh: float,
    buffer_m: float,
) -> dict[str, Any]:
    if (k is None) == (target_pct is None):
        raise InvalidParameter("k", "give k (new centres) or target_pct (coverage), not both")
    if k is not None and not 1 <= k <= _MAX_K:
        raise InvalidParameter("k", f"must be 1–{_MAX_K}, not {k}")
    if target_pct is not None and not 0 < target_pct <= 100:
        raise InvalidParameter("target_pct", f"must be above 0 and at most 100, not {target_pct}")
    if minutes not in SERVICE_MINUTES:
        raise InvalidParameter("minutes", f"must be one of 5, 10, 15, not {minutes}")
    chosen_levels = list(levels) if levels else None
    if chosen_levels and (unknown := [lv for lv in chosen_levels if lv not in LEVELS]):
        raise InvalidParameter("level", f"must be among {', '.join(LEVELS)}, not {unknown}")
    if candidates is not None and not candidates:
        raise InvalidParameter("candidates", "an empty list of candidate sites")
    if not candidate_uses or (odd := [use for use in candidate_uses if use not in BUILDING_USES]):
        raise InvalidParameter(
            "candidate_uses",
            f"need building uses among {', '.join(BUILDING_USES)}"
            + (f", not {odd}" if candidate_uses else ""),
        )
    return {
        "minutes": minutes,
        "scope": parse_scope(scope),
        "levels": chosen_levels,
        "candidate_codes": list(candidates) if candidates is not None else None,
        "candidate_uses": list(candidate_uses),
        "reach_m": walking_distance_m(minutes, speed_kmh=speed_kmh) + buffer_m,
    }


def _check_candidates(conn: psycopg.Connection, candidates: Sequence[str] | None) -> None:
    found = conn.execute("SELECT count(*) FROM siting_candidates").fetchone()
    if candidates is not None:
        known = {row[0] for row in conn.execute("SELECT building_code FROM siting_candidates")}
        missing = sorted(set(candidates) - known)
        if missing:
            raise NotFound(f"candidates: no building {', '.join(missing[:10])}")
    if not found or not found[0]:
        raise InvalidParameter(
            "candidates", "no candidate site: no public or commercial building in scope"
        )


def _scope_households(conn: psycopg.Connection, params: dict[str, Any]) -> tuple[int, int]:
    row = conn.execute(
        "SELECT coalesce(sum(households), 0) FROM buildings"
        " WHERE community_code LIKE %(scope)s || '%%'",
        params,
    ).fetchone()
    uncovered = conn.execute("SELECT coalesce(sum(households), 0) FROM siting_demand").fetchone()
    assert row is not None and uncovered is not None
    return int(row[0]), int(row[0]) - int(uncovered[0])


def _covering_pairs(
    conn: psycopg.Connection,
    useful: list[Any],
    minutes: int,
    speed_kmh: float,
    buffer_m: float,
) -> np.ndarray:
    """(candidate i, demand j) pairs: j lies in the area a centre at i would have."""
    if not useful:
        return np.empty((0, 2), dtype=np.int64)
    prepare_sources(conn)
    conn.execute(
        "INSERT INTO access_sources (source_id, county_code, geom)"
        " SELECT i, county_code, point FROM siting_candidates WHERE promising"
    )
    draw_areas(conn, minutes=[minutes], speed_kmh=speed_kmh, buffer_m=buffer_m)
    rows = conn.execute(query("access/siting_pairs")).fetchall()
    return np.array(rows, dtype=np.int64).reshape(-1, 2)


def _solve(
    pairs: np.ndarray,
    demand: list[Any],
    n_sites: int,
    k: int | None,
    target_pct: float | None,
    households: int,
    covered: int,
) -> tuple[list[int], str, int]:
    """The chosen candidate indices, the solver's status and the k solved for."""
    weights = np.array([row[0] for row in demand], dtype=float)
    matrix, columns, clients = _coverage_matrix(pairs, weights, n_sites)
    if k is not None:
        if k > len(columns):
            raise InvalidParameter(
                "k",
                f"{k} sites asked for, but only {len(columns):,} of the candidates would reach"
                " an uncovered household",
            )
        return *_mclp(matrix, clients, columns, k), k
    assert target_pct is not None
    # Whole households, and met when the coverage as printed (to 0.01 %) reaches it: a
    # target copied from a printed figure (90.91 for 200 of 220) asks for those 200,
    # not for a 201st.
    needed = math.ceil((target_pct - 0.005) / 100 * households - 1e-9) - covered
    if needed <= 0:
        return [], "target already met", 0
    reachable = float(clients.sum())
    if reachable < needed:
        raise TargetUnreachable(
            target_pct, _pct(covered + int(reachable), households), len(columns)
        )
    if needed >= reachable:  # every household a candidate reaches: a set cover, exactly
        chosen, status = _lscp(matrix, columns)
        return chosen, status, len(chosen)
    low, high = 1, len(columns)
    best: tuple[list[int], str] | None = None
    while low < high:  # the smallest k whose optimum reaches the target
        middle = (low + high) // 2
        chosen, status = _mclp(matrix, clients, columns, middle)
        if _added(chosen, pairs, weights) >= needed:
            high, best = middle, (chosen, status)
        else:
            low = middle + 1
    if best is None or len(best[0]) != low:
        best = _mclp(matrix, clients, columns, low)
    return best[0], best[1], low


def _coverage_matrix(
    pairs: np.ndarray, weights: np.ndarray, n_sites: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 0/1 cost matrix spopt expects (clients × sites, 0 = covered), over the sites
    that cover something; buildings covered by exactly the same sites are one client with
    their households summed (a block's buildings often are), which keeps the model small."""
    columns = np.unique(pairs[:, 0]) if len(pairs) else np.empty(0, dtype=np.int64)
    column_of = {int(site): n for n, site in enumerate(columns)}
    by_building: dict[int, list[int]] = {}
    for site, building in pairs.tolist():
        by_building.setdefault(building, []).append(column_of[site])
    groups: dict[tuple[int, ...], float] = {}
    for building, sites in by_building.items():
        key = tuple(sorted(sites))
        groups[key] = groups.get(key, 0.0) + weights[building]
    matrix = np.ones((len(groups), len(columns)))
    for row, key in enumerate(groups):
        matrix[row, list(key)] = 0.0
    return matrix, columns, np.array(list(groups.values()))


def _mclp(
    matrix: np.ndarray, clients: np.ndarray, columns: np.ndarray, k: int
) -> tuple[list[int], str]:
    model = MCLP.from_cost_matrix(matrix, clients, service_radius=0.5, p_facilities=k)
    return _solved(model, columns)


def _lscp(matrix: np.ndarray, columns: np.ndarray) -> tuple[list[int], str]:
    """spopt's location set covering: the fewest sites covering every client."""
    return _solved(LSCP.from_cost_matrix(matrix, service_radius=0.5), columns)


def _solved(model: MCLP | LSCP, columns: np.ndarray) -> tuple[list[int], str]:
    """Solve with CBC; the candidate indices of the sites opened, and the status."""
    model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=SOLVER_TIME_LIMIT_S))
    status = pulp.LpStatus[model.problem.status]
    chosen = [int(columns[n]) for n, var in enumerate(model.fac_vars) if (var.value() or 0) > 0.5]
    return chosen, status


def _added(chosen: list[int], pairs: np.ndarray, weights: np.ndarray) -> float:
    reached = np.unique(pairs[np.isin(pairs[:, 0], chosen), 1])
    return float(weights[reached].sum())


def _ranked(
    chosen: list[int],
    pairs: np.ndarray,
    demand: list[Any],
    sites: list[Any],
    households: int,
    covered: int,
) -> list[SuggestedSite]:
    """The chosen sites, the one adding most households first, then the next given the
    ones before it (the order to build them in)."""
    reaches = {site: set(pairs[pairs[:, 0] == site, 1].tolist()) for site in chosen}
    taken: set[int] = set()
    ranked: list[SuggestedSite] = []
    running = covered
    remaining = list(chosen)
    while remaining:
        best = max(
            remaining,
            key=lambda site: (sum(demand[j][0] for j in reaches[site] - taken), -site),
        )
        remaining.remove(best)
        new = reaches[best] - taken
        taken |= new
        added = sum(demand[j][0] for j in new)
        running += added
        _, code, name, community, use, lon, lat, _ = sites[best]
        ranked.append(
            SuggestedSite(
                rank=len(ranked) + 1,
                building_code=code,
                name=name,
                community_code=community,
                building_use=use,
                lon=float(lon),
                lat=float(lat),
                households_added=int(added),
                population_added=int(sum(demand[j][1] for j in new)),
                buildings_added=len(new),
                coverage_pct_after=_pct(running, households),
            )
        )
    return ranked


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 2) if whole else 0.0
