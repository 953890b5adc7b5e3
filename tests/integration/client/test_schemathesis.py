"""Property-based run over the client API's part of the OpenAPI schema (schemathesis, in
process): for generated requests to every /api/v1 route, with a personal token, no 5xx and
every response conforms to the schema (status code documented, body valid)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from pydantic import SecretStr
from schemathesis.checks import (
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import sessionmaker

from api.app import create_app
from api.container import Container
from core.db.models import Base
from core.settings import ApiSettings
from tests.integration.client.conftest import BOT_TOKEN, make_receipt, make_token, make_user


@pytest.fixture
def app_and_token(api_settings: ApiSettings, db_engine: object) -> Iterator[tuple[object, str]]:
    s = api_settings.model_copy(
        update={"telegram_bot_token": SecretStr(BOT_TOKEN), "client_rate_limit": (60, 100_000)}
    )
    container = Container.build(s)
    app = create_app(container=container)
    app.state.container = container  # the schema run does not go through the lifespan
    factory = sessionmaker(db_engine, expire_on_commit=False)  # type: ignore[call-overload]
    user = make_user(factory, 9001)
    make_receipt(factory, user_id=user, bucket=s.raw_bucket)
    yield app, make_token(factory, user)
    with db_engine.begin() as conn:  # type: ignore[attr-defined]
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


def test_client_api_conforms_to_its_schema(app_and_token: tuple[object, str]) -> None:
    app, token = app_and_token
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    checks = [
        not_a_server_error,
        status_code_conformance,
        response_schema_conformance,
        negative_data_rejection,
    ]
    operations = [
        op
        for op in (result.ok() for result in schema.get_all_operations())
        if op.path.startswith("/api/v1")
    ]
    assert len(operations) >= 18, "every client route is in the schema"
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
