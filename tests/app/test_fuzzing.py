"""Fuzzing: schemathesis generates requests from the service's own OpenAPI documents
(FastAPI's /openapi.json and the OGC API's /ogc/api) and sends them to a real server; every
answer must be no 5xx, carry a status code, content type and body its document declares.

The server runs on a database of its own (the demo district, copied from the migrated
template): generated writes (reports, transitions, imports with an administrator's token)
land there, not in the session's shared demo. Generation is derandomized, so a run is
the same run in CI; the budget (examples per operation) keeps the whole module near a
minute on a small machine. A failure lists every operation, request and check that broke.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.commands.launch import served
from gis import tokens
from tests.conftest import DEMO_SEED
from tests.planters.databases import database

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# An endless answer (server-sent events): nothing to check at its end.
NOT_FUZZED = {"GET /api/v1/events/stream"}


@dataclass(frozen=True)
class FuzzRun:
    """One schemathesis session: a document, as whom, how many examples per operation
    and generation mode, and the fewest requests it must have sent."""

    name: str
    document: str  # path of the OpenAPI document on the server
    api_root: str  # where its paths are served
    role: str | None  # the bearer token's role; None: anonymous
    examples: int
    at_least: int


RUNS = (
    FuzzRun("ogc-public", "/ogc/api", "/ogc", None, examples=12, at_least=600),
    FuzzRun("api-public", "/openapi.json", "", None, examples=20, at_least=400),
    FuzzRun("api-admin", "/openapi.json", "", "admin", examples=20, at_least=400),
)
# The figure: at least 1,000 generated requests in all.
assert sum(run.at_least for run in RUNS) >= 1000


@dataclass
class FuzzTarget:
    base: str
    headers_by_role: dict[str | None, dict[str, str]]
    # path parameter -> real values to use besides the generated ones (per API root)
    real_values: dict[str, dict[str, list[str]]]


@pytest.fixture(scope="module")
def fuzz_target(admin_url: str, migrated_template: str) -> Iterator[FuzzTarget]:
    from gis import demo

    name = f"onemap_fuzz_{os.getpid()}"
    with database(admin_url, name, template=migrated_template) as url:
        with psycopg.connect(url) as conn:
            demo.load(conn, scale="district", seed=DEMO_SEED)
            admin = tokens.create(conn, name="fuzzing administrator", role="admin")
            refs = [
                str(value)
                for row in conn.execute(
                    "SELECT event_id, tracking_number FROM events ORDER BY event_id LIMIT 3"
                )
                for value in row
            ]
            codes = [
                code
                for (code,) in conn.execute(
                    "(SELECT rtrim(grid_code) FROM grids ORDER BY grid_code LIMIT 2)"
                    " UNION ALL (SELECT community_code FROM communities LIMIT 1)"
                )
            ]
        with served(url) as base:
            yield FuzzTarget(
                base=base,
                headers_by_role={None: {}, "admin": {"Authorization": f"Bearer {admin}"}},
                real_values={
                    "": {
                        "ref": refs,
                        "code": codes,
                        "service_request_id": [r for r in refs if r.startswith("SJ")],
                        "token": [r for r in refs if r.startswith("SJ")],
                        "service_code": _service_codes(base),
                        "layer": ["grids", "all"],
                    },
                    "/ogc": {"featureId": _feature_ids(base)},
                },
            )


def _service_codes(base: str) -> list[str]:
    services = httpx.get(f"{base}/open311/v2/services.json", timeout=30).json()
    return [service["service_code"] for service in services[:3]]


def _feature_ids(base: str) -> list[str]:
    # One real feature of each collection: the item routes answer 200 too, not only 404.
    listing = httpx.get(f"{base}/ogc/collections", timeout=60).json()
    ids = []
    for collection in listing["collections"]:
        page = httpx.get(
            f"{base}/ogc/collections/{collection['id']}/items", params={"limit": 1}, timeout=60
        ).json()
        ids += [str(feature["id"]) for feature in page["features"]]
    return ids


@dataclass
class Tally:
    requests: int = 0
    failures: list[str] | None = None


def _strategy(operation: Any, mode: GenerationMode, real: dict[str, list[str]]) -> Any:
    generated = operation.as_strategy(generation_mode=mode)
    names = [p.name for p in operation.path_parameters]
    if mode is not GenerationMode.POSITIVE or not names or not all(n in real for n in names):
        return generated
    # Generated ids mostly name nothing (404): also send real ones, so the answers for
    # things that exist are checked against their schemas as well.
    fixed = st.fixed_dictionaries({n: st.sampled_from(real[n]) for n in names})
    return st.one_of(
        generated,
        fixed.flatmap(lambda values: operation.as_strategy(mode, path_parameters=values)),
    )


def _fuzz(operation: Any, strategy: Any, run: FuzzRun, target: FuzzTarget, tally: Tally) -> None:
    session = requests.Session()
    headers = target.headers_by_role[run.role]

    @given(case=strategy)
    @settings(
        max_examples=run.examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def send(case: Any) -> None:
        tally.requests += 1
        try:
            case.call_and_validate(session=session, headers=headers, checks=CHECKS, timeout=120)
        except (AssertionError, BaseExceptionGroup, requests.RequestException) as failure:
            assert tally.failures is not None
            tally.failures.append(f"{operation.label}: {failure}")

    # Unsatisfiable: nothing to negate (an operation without parameters or body)
    with contextlib.suppress(Unsatisfiable):
        send()


@pytest.mark.parametrize("run", RUNS, ids=lambda run: run.name)
def test_generated_requests_find_no_defect(run: FuzzRun, fuzz_target: FuzzTarget):
    started = time.monotonic()
    schema = schemathesis.openapi.from_url(fuzz_target.base + run.document)
    schema.config.base_url = fuzz_target.base + run.api_root
    real = fuzz_target.real_values[run.api_root]
    tally = Tally(failures=[])
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label in NOT_FUZZED:
            continue
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, _strategy(operation, mode, real), run, fuzz_target, tally)
    print(
        f"{run.name}: {tally.requests} generated requests to {operations} operations,"
        f" {len(tally.failures or [])} failures, {time.monotonic() - started:.1f} s"
    )
    assert not tally.failures, "\n\n".join(tally.failures or [])
    assert tally.requests >= run.at_least
