"""Real OGC API – Features clients against a real server on the demo district: GDAL's
OAPIF driver (ogr2ogr) and the `ogctests` conformance suite from PyPI.

A missing client fails these tests rather than skipping them: a skipped conformance run
would read as a pass. `ogctests` lives in its own venv (.venv-ogctests, made by the
Makefile) because it pins its own pytest and httpx.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import psycopg

from gis.ogc.collections import COLLECTIONS

ROOT = Path(__file__).resolve().parents[3]
OGCTESTS_PYTHON = ROOT / ".venv-ogctests" / "bin" / "python"
# ogctests' own scope for OGC API Features Part 1 (the only part it tests end to end).
OGCTESTS_SCOPE = "features/core"
# The last line pytest prints, e.g. "==== 28 passed, 1 failed, 2 warnings in 3.1s ====".
SUMMARY = re.compile(r"^=+ (?P<counts>.+?) in [\d.]+s(?: \([^)]*\))? =+$", re.MULTILINE)


def _ogr2ogr() -> str:
    found = shutil.which("ogr2ogr")
    assert found, "ogr2ogr (GDAL) is not installed; install gdal-bin to run the client tests"
    return found


def test_ogr2ogr_copies_every_grid_to_geopackage(server, db: psycopg.Connection, tmp_path):
    target = tmp_path / "grids.gpkg"
    completed = subprocess.run(
        [_ogr2ogr(), "-f", "GPKG", str(target), f"OAPIF:{server}/ogc", "grids"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    with sqlite3.connect(target) as geopackage:
        copied = {code for (code,) in geopackage.execute("SELECT grid_code FROM grids")}
        rows = geopackage.execute("SELECT count(*) FROM grids").fetchone()[0]
    expected = {code for (code,) in db.execute("SELECT rtrim(grid_code) FROM grids")}
    count = db.execute("SELECT count(*) FROM grids").fetchone()[0]
    print(f"ogr2ogr copied {rows} grids; the database holds {count}")
    assert rows == count
    assert copied == expected


def _counts(output: str) -> dict[str, int]:
    """{"passed": 29, "failed": 0, ...} from pytest's final summary line."""
    summaries = list(SUMMARY.finditer(output))
    assert summaries, f"no pytest summary in the ogctests output:\n{output}"
    match = summaries[-1]
    counts = {}
    for part in match["counts"].split(", "):
        number, _, outcome = part.partition(" ")
        counts[outcome.rstrip("s") if outcome == "errors" else outcome] = int(number)
    return counts


def test_ogctests_conformance_suite_passes(server, tmp_path):
    assert OGCTESTS_PYTHON.exists(), (
        f"{OGCTESTS_PYTHON} is missing; create it with "
        "`python3 -m venv .venv-ogctests && .venv-ogctests/bin/pip install ogctests`"
    )
    # The CLI exits 0 whatever the outcome, so the verdict is read from its summary.
    completed = subprocess.run(
        [
            str(OGCTESTS_PYTHON),
            "-m",
            "ogctests",
            OGCTESTS_SCOPE,
            "-i",
            f"{server}/ogc",
            "-v",
            "True",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    output = completed.stdout + completed.stderr
    counts = _counts(output)
    summary = ", ".join(f"{n} {outcome}" for outcome, n in counts.items())
    print(f"ogctests {OGCTESTS_SCOPE}: {summary}")
    failures = [line for line in output.splitlines() if line.startswith(("FAILED", "ERROR"))]
    assert counts.get("failed", 0) == 0, "\n".join(failures) or output
    assert counts.get("error", 0) == 0, "\n".join(failures) or output
    # A skip is a test that could not judge the API (e.g. a landing page not served as
    # application/json), so it counts against conformance too.
    assert counts.get("skipped", 0) == 0, output
    assert counts.get("passed", 0) >= 29, output


# QGIS's own OAPIF provider, driven headless from Debian's python3-qgis (system Python:
# PyQGIS is not on PyPI). It prints one line per layer: name, valid, feature count.
QGIS_SCRIPT = """
import sys
from qgis.core import QgsApplication, QgsVectorLayer
app = QgsApplication([], False)
app.initQgis()
for name in sys.argv[2:]:
    uri = f"url='{sys.argv[1]}' typename='{name}' restrictToRequestBBOX='0'"
    layer = QgsVectorLayer(uri, name, "OAPIF")
    print("LAYER", name, layer.isValid(), layer.featureCount(), flush=True)
app.exitQgis()
"""


def test_qgis_adds_every_layer(server, db: psycopg.Connection, tmp_path):
    system_python = "/usr/bin/python3"
    probe = subprocess.run([system_python, "-c", "import qgis.core"], capture_output=True)
    assert probe.returncode == 0, "PyQGIS is missing: `make setup` installs python3-qgis"
    # every collection anyone may read (patrol tracks need a token: not for QGIS here)
    names = [name for name, source in COLLECTIONS.items() if not source.readers]
    completed = subprocess.run(
        [system_python, "-c", QGIS_SCRIPT, f"{server}/ogc", *names],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path)},
    )
    seen = {}
    for line in completed.stdout.splitlines():
        if line.startswith("LAYER "):
            _, name, valid, count = line.split()
            seen[name] = (valid == "True", int(count))
    expected = {
        name: (True, db.execute(f"SELECT count(*) FROM {COLLECTIONS[name].table}").fetchone()[0])
        for name in names
    }
    print("QGIS layers:", seen)
    assert seen == expected, completed.stderr[-2000:]
