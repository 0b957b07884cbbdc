"""schemathesis against the service's OpenAPI document: no generated call is a server error,
and every answer matches the documented schemas and status codes.

Calls are signed with a fresh sandbox token each, so generated bodies reach the request
checks instead of stopping at the token check.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from herniarules.service import ServiceConfig, create_app, load_issuer, open_audit_log
from tests.service_support import SANDBOX, SANDBOX_ISS, sandbox_token, serve


@pytest.fixture(scope="module")
def service_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db: Path = tmp_path_factory.mktemp("audit") / "audit.db"
    config = ServiceConfig(issuers={SANDBOX_ISS: load_issuer(SANDBOX_ISS, SANDBOX / "jwks.json")})
    with serve(create_app(audit=open_audit_log(f"sqlite:///{db}"), config=config)) as base:
        yield base


CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]


def test_no_generated_call_is_a_server_error(service_url: str) -> None:
    api = schemathesis.openapi.from_url(service_url + "/openapi.json")
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) == 3
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def call(case: Any) -> None:
            token = sandbox_token(service_url + case.formatted_path)
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

        call()
