"""Schemathesis over the OpenAPI schema: no 5xx, responses match the schema (RELIABILITY.md A-7).

Runs against the app with demo data, authenticated with a write key of its workspace.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import schemathesis
from http_support import ApiWorld, make_world
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

# schemathesis' lazy fixture loader does not support this pytest version, so the app is built
# once at import, in a temporary folder removed when the process exits
_TMP = tempfile.TemporaryDirectory(prefix="icp-fuzz-")
WORLD: dict[str, ApiWorld] = {"w": make_world(Path(_TMP.name))}
schema = schemathesis.openapi.from_asgi("/openapi.json", WORLD["w"].client.app)
# A-7 asks for valid requests: no 5xx and schema-conformant responses. Negative generation would
# also demand that unknown query parameters be refused, which FastAPI (rightly) ignores.
schema.config.generation.modes = [schemathesis.GenerationMode.POSITIVE]


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_responses_match_the_schema(case: schemathesis.Case) -> None:
    world = WORLD["w"]
    # POST /ingest/runs would start background work on every example; the route is covered elsewhere
    if case.method == "POST" and case.path == "/ingest/runs":
        pytest.skip("starts background jobs")
    # a valid-by-schema request may still be refused for its data (an empty CSV, no closed deals):
    # that is a 4xx with a clear message, not a defect, so that one check is left out
    case.call_and_validate(
        headers={"Authorization": f"Bearer {world.key_a_write}"},
        excluded_checks=[positive_data_acceptance],
    )


def test_the_schema_documents_every_route(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    spec = world.client.get("/openapi.json").json()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert op.get("summary"), f"{method.upper()} {path} has no summary"
            assert (
                "200" in op["responses"]
                or "201" in op["responses"]
                or "202" in op["responses"]
                or "204" in op["responses"]
            )
