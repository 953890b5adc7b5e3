"""Property-based run over the OpenAPI schema (schemathesis, in process): for generated requests
to every documented route, with an admin token, no 5xx and every response conforms to the
schema (status code documented, body valid)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from api.container import Container
from core.aws.clients import AwsClients
from core.db.models import Base
from core.settings import ApiSettings
from tests.integration.admin.conftest import JWT_KEY, make_token


def _app(api_settings: ApiSettings) -> object:
    secret_id = f"jwt-st-{secrets.token_hex(4)}"
    AwsClients(api_settings).client("secretsmanager").create_secret(
        Name=secret_id, SecretString=json.dumps({"current": JWT_KEY})
    )
    s = api_settings.model_copy(
        update={"jwt_secret_id": secret_id, "admin_rate_limit": (60, 100_000)}
    )
    container = Container.build(s)
    app = create_app(container=container)
    app.state.container = container  # the schema run does not go through the lifespan
    return app


@pytest.fixture
def app(api_settings: ApiSettings, db_engine: object) -> Iterator[object]:
    yield _app(api_settings)
    with db_engine.begin() as conn:  # type: ignore[attr-defined]
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


def test_api_conforms_to_its_schema(app: object) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    token = make_token("admin", subject="schemathesis")
    checks = [
        not_a_server_error,
        status_code_conformance,
        response_schema_conformance,
        negative_data_rejection,
    ]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15, "the admin API, health and callbacks are all in the schema"
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=checks)

        run()
