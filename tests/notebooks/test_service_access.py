"""The planners' notebook (notebooks/service_access.ipynb) runs top to bottom in a real
Jupyter kernel against the demo district, and what it prints is what the library says
when asked directly."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from gis.access import coverage_report
from gis.access.siting import suggest_sites

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "service_access.ipynb"


@pytest.fixture(scope="module")
def executed(
    database_url: str, demo_district: dict[str, int], monkeypatch_module: pytest.MonkeyPatch
) -> nbformat.NotebookNode:
    monkeypatch_module.setenv("ONEMAP_DATABASE_URL", database_url)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # raises CellExecutionError, naming the cell, if any cell fails
    NotebookClient(notebook, timeout=300, kernel_name="python3").execute()
    return notebook


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def _printed(notebook: nbformat.NotebookNode) -> str:
    return "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.output_type == "stream" and output.get("name") == "stdout"
    )


def test_the_notebook_is_stored_without_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(not cell.outputs and cell.execution_count is None for cell in code)


def test_coverage_printed_is_the_library_s(executed: nbformat.NotebookNode, db) -> None:
    total = coverage_report(db, minutes=5, group_by="community", levels=["community"]).total
    line = (
        f"covered: {total.covered_households:,} of {total.households:,} households"
        f" ({total.households_pct} %)"
    )
    assert line in _printed(executed)
    assert total.households_pct is not None and 0 < total.households_pct < 100
    assert "caveat:" not in _printed(executed)  # the demo's areas are current


def test_map_and_tables_are_drawn(executed: nbformat.NotebookNode, db) -> None:
    rich = [
        output["data"]
        for cell in executed.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.output_type in ("execute_result", "display_data")
    ]
    # coverage table, map, standards summary and list, sites
    assert len(rich) == 5
    assert "leaflet" in rich[1]["text/html"].lower()
    report = coverage_report(db, minutes=5, group_by="community", levels=["community"])
    least = min(report.groups, key=lambda row: row.households_pct or 0.0)
    assert least.code in rich[0]["text/html"]  # the least covered community leads
    assert "community" in rich[2]["text/plain"] and "compound" in rich[2]["text/plain"]
    sites = suggest_sites(db, k=3, minutes=5, levels=["community"])
    db.rollback()
    expected = (
        f"coverage {sites.coverage_pct_before} % → {sites.coverage_pct_after} %"
        f" with 3 new centres ({sites.solver_status})"
    )
    assert expected in _printed(executed)
    assert all(site.building_code in rich[4]["text/plain"] for site in sites.sites)


def test_suggested_sites_are_kept_as_a_scenario_layer(executed: nbformat.NotebookNode, db) -> None:
    sites = suggest_sites(db, k=3, minutes=5, levels=["community"]).sites
    printed = _printed(executed)
    assert f"saved {len(sites)} suggested sites to scenario.suggested_sites" in printed
    assert f"read back {len(sites)} sites in EPSG:4326" in printed
    stored = db.execute(
        "SELECT rank, building_code, ST_X(geometry), ST_Y(geometry)"
        " FROM scenario.suggested_sites ORDER BY rank"
    ).fetchall()
    assert stored == [(s.rank, s.building_code, s.lon, s.lat) for s in sites]
