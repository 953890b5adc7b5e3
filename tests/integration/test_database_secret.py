"""On AWS the API reads its database credentials from the RDS secret in Secrets Manager, and asks
for the password again on new connections (so a rotated password keeps working)."""

from __future__ import annotations

import json
import os

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from api.container import database_engine, database_url
from core.aws import AwsClients, SecretsReader
from core.settings import ApiSettings


def test_url_is_built_from_the_rds_secret(api_settings: ApiSettings) -> None:
    secret = {
        "username": "app",
        "password": "p@ss:w/rd",
        "host": "db.internal",
        "port": 5433,
        "dbname": "rs",
    }
    clients = AwsClients(api_settings)
    clients.client("secretsmanager").create_secret(
        Name="test/rds-url", SecretString=json.dumps(secret)
    )
    settings = api_settings.model_copy(update={"database_secret_id": "test/rds-url"})

    url = database_url(settings, SecretsReader(clients))

    assert not isinstance(url, str)
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "app",
        "p@ss:w/rd",
        "db.internal",
        5433,
        "rs",
    )
    assert url.query["sslmode"] == "require"
    assert "p%40ss%3Aw%2Frd" in url.render_as_string(hide_password=False)  # encoded, not broken


def test_engine_connects_with_the_secret(api_settings: ApiSettings) -> None:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip(
            "needs PostgreSQL (TEST_DATABASE_URL): the secret describes a PostgreSQL server"
        )
    u = make_url(base)
    secret = {
        "username": u.username,
        "password": u.password or "",
        "host": u.host,
        "port": u.port or 5432,
        "dbname": u.database,
    }
    clients = AwsClients(api_settings)
    clients.client("secretsmanager").create_secret(
        Name="test/rds-live", SecretString=json.dumps(secret)
    )
    settings = api_settings.model_copy(
        update={"database_secret_id": "test/rds-live", "database_sslmode": "disable"}
    )
    engine = database_engine(settings, SecretsReader(clients))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
    engine.dispose()


def test_production_accepts_a_secret_instead_of_a_url() -> None:
    s = ApiSettings(_env_file=None, environment="production", database_secret_id="rds/secret")
    assert s.database_secret_id == "rds/secret"
