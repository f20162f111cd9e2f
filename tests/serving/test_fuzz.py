"""Property-based fuzzing of the live server's OpenAPI schema (schemathesis strategies driven by Hypothesis):
valid and malformed ids, payloads, huge and unicode values, with a valid API key; no answer may be a 5xx.
Bounded examples per operation so it stays fast."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from tests.serving.conftest import API_KEY, Server

EXAMPLES_PER_OPERATION = 40


def test_no_input_gets_a_server_error(server: Server) -> None:
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/customers/{customer_id}/churn", "/predict/churn"}
    server_errors = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
        def fuzz(case: schemathesis.Case) -> None:
            response = case.call(base_url=server.url, headers={"X-API-Key": API_KEY})
            if response.status_code >= 500:
                server_errors.append(f"{case.method} {case.formatted_path}: {response.status_code}")

        fuzz()
    assert not server_errors, server_errors[:5]
