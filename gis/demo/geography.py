"""Where things are in Jiangnan (江南区), as the demo district needs them.

Approximate published figures and positions (EPSG:4326 longitude, latitude), not surveyed
ones: each subdistrict's area, its seat (its government, where its denser part and its
centre are) and a few points spread over the ground it governs, which together decide the
territories (gis/demo/land.py: every tract goes to the subdistrict of its nearest point,
each subdistrict's distances lessened until its land comes to its area); the
邕江, which is the district's northern edge from the confluence near 宋村 down to the
city's east; and the bridges that cross it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Territory:
    """A subdistrict's published area (km²), its seat and the points its ground gathers
    round (EPSG:4326)."""

    area_km2: float
    seat: tuple[float, float]
    reach: tuple[tuple[float, float], ...] = ()

    @property
    def points(self) -> tuple[tuple[float, float], ...]:
        """The seat first, then the reach."""
        return (self.seat, *self.reach)


# The five streets (街道) crowd the urban north-east along the river, the development zone
# (经开区) lies south of them, 明阳工业园 near 吴圩 and the airport (108.17 E 22.61 N), and
# the four towns share the rest: 江西 the north-west along the river, 苏圩 the west,
# 吴圩 the middle, 延安 the southern tail.
TERRITORIES: dict[str, Territory] = {
    "450105001": Territory(28, (108.312, 22.800), ((108.298, 22.797),)),  # 福建园街道
    "450105002": Territory(31, (108.284, 22.784), ((108.272, 22.792), (108.290, 22.772))),  # 江南
    "450105003": Territory(
        55,  # 沙井街道
        (108.250, 22.782),
        ((108.228, 22.796), (108.232, 22.765), (108.250, 22.748)),
    ),
    "450105004": Territory(
        51,  # 那洪街道
        (108.300, 22.760),
        ((108.283, 22.745), (108.300, 22.735), (108.275, 22.722)),
    ),
    "450105005": Territory(30, (108.330, 22.778), ((108.338, 22.760),)),  # 金凯街道
    "450105450": Territory(30, (108.322, 22.738), ((108.330, 22.718), (108.312, 22.712))),  # 经开区
    "450105451": Territory(40, (108.105, 22.650), ((108.125, 22.635),)),  # 明阳工业园区
    "450105102": Territory(
        336,  # 吴圩镇
        (108.200, 22.645),
        (
            (108.170, 22.610),
            (108.245, 22.625),
            (108.215, 22.575),
            (108.265, 22.530),
            (108.235, 22.690),
            (108.160, 22.560),
        ),
    ),
    "450105103": Territory(
        191,  # 苏圩镇
        (108.045, 22.600),
        ((108.020, 22.550), (108.085, 22.575), (108.035, 22.640)),
    ),
    "450105104": Territory(
        232,  # 延安镇
        (108.130, 22.450),
        ((108.100, 22.500), (108.150, 22.380), (108.050, 22.490), (108.190, 22.470)),
    ),
    "450105105": Territory(
        187,  # 江西镇
        (108.120, 22.790),
        ((108.060, 22.820), (108.050, 22.750), (108.100, 22.720), (108.175, 22.735)),
    ),
}

# The 邕江 is the district's northern boundary from the confluence of the 左江 and 右江
# (north-west) to where the boundary turns south in the east; the district holds the
# river's southern half.
RIVER_NAME = "邕江"
RIVER_WEST_END = (108.066, 22.861)
RIVER_EAST_END = (108.347, 22.790)
RIVER_HALF_WIDTH_M = 170.0  # the 邕江 is 300–400 m wide through the city

# Bridges from the south bank (approximate longitude where each lands in Jiangnan).
BRIDGES: tuple[tuple[str, float], ...] = (
    ("清川大桥", 108.243),
    ("英华大桥", 108.262),
    ("白沙大桥", 108.287),
    ("北大桥", 108.302),
    ("邕江大桥", 108.318),
    ("永和大桥", 108.333),
)
