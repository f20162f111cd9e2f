"""Property-based fuzzing of the live server's OpenAPI schema (schemathesis): valid and malformed ids,
payloads, huge and unicode values, with a valid API key; no answer may be a 5xx. Bounded examples per
operation so it stays fast."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode

from tests.serving.conftest import API_KEY, Server

EXAMPLES_PER_OPERATION = 40


@pytest.fixture
def api_schema(server: Server) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    schema.config.update(headers={"X-API-Key": API_KEY})
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=EXAMPLES_PER_OPERATION
    )
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_gets_a_server_error(case: schemathesis.Case) -> None:
    response = case.call(headers={"X-API-Key": API_KEY})
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path}: {response.status_code} {response.text}"
    )
