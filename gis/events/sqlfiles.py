"""The long SQL of the events package, in gis/sql/events_*.sql."""

from __future__ import annotations

from functools import cache
from importlib import resources

# Who supervises an event at each escalation level (events.escalation_level).
CENTRES = (
    "社区站 community station",
    "街道分中心 subdistrict sub-centre",
    "城区中心 district centre",
)


@cache
def query_text(name: str) -> str:
    """The text of gis/sql/events_{name}.sql."""
    return resources.files("gis.sql").joinpath(f"events_{name}.sql").read_text(encoding="utf-8")
