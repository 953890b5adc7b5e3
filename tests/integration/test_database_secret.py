"""On AWS the API reads its database credentials from the RDS secret in Secrets Manager, and asks
for the password again on new connections (so a rotated password keeps working)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from api.container import database_engine, database_url
from core.aws.clients import AwsClients
from core.aws.secrets import SecretsReader
from core.settings import ApiSettings


def test_url_is_built_from_the_rds_secret(api_settings: ApiSettings, tmp_path: Path) -> None:
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
    bundle = tmp_path / "global-bundle.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    settings = api_settings.model_copy(
        update={"database_secret_id": "test/rds-url", "database_sslrootcert": str(bundle)}
    )

    url = database_url(settings, SecretsReader(clients))

    assert not isinstance(url, str)
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "app",
        "p@ss:w/rd",
        "db.internal",
        5433,
        "rs",
    )
    # The server's certificate is checked against the RDS CA bundle, host name included.
    assert (url.query["sslmode"], url.query["sslrootcert"]) == ("verify-full", str(bundle))
    assert "p%40ss%3Aw%2Frd" in url.render_as_string(hide_password=False)  # encoded, not broken


def test_a_verifying_sslmode_without_the_ca_bundle_is_refused_at_once(
    api_settings: ApiSettings, tmp_path: Path
) -> None:
    clients = AwsClients(api_settings)
    clients.client("secretsmanager").create_secret(
        Name="test/rds-nobundle",
        SecretString=json.dumps({"username": "u", "password": "p", "host": "db"}),
    )
    settings = api_settings.model_copy(
        update={
            "database_secret_id": "test/rds-nobundle",
            "database_sslrootcert": str(tmp_path / "missing.pem"),
        }
    )
    with pytest.raises(ValueError, match="needs the RDS CA bundle"):
        database_url(settings, SecretsReader(clients))


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


def test_a_fresh_read_skips_the_cache_once_the_value_is_a_few_seconds_old(
    api_settings: ApiSettings,
) -> None:
    clients = AwsClients(api_settings)
    sm = clients.client("secretsmanager")
    sm.create_secret(Name="test/rotating", SecretString="old")
    reader = SecretsReader(clients, ttl_seconds=300, min_refresh_seconds=0)
    assert reader.get("test/rotating") == "old"
    sm.put_secret_value(SecretId="test/rotating", SecretString="new")
    assert reader.get("test/rotating") == "old"  # cached for the TTL
    assert reader.get("test/rotating", fresh=True) == "new"
    assert reader.get("test/rotating") == "new"

    guarded = SecretsReader(clients, ttl_seconds=300, min_refresh_seconds=60)
    assert guarded.get("test/rotating") == "new"
    sm.put_secret_value(SecretId="test/rotating", SecretString="newer")
    assert guarded.get("test/rotating", fresh=True) == "new"  # read a moment ago: no new call


class _Refused(Exception):
    pass


class _Dialect:
    """Stands for a PostgreSQL dialect whose server takes one password."""

    class loaded_dbapi:  # named as SQLAlchemy's dialects name it
        OperationalError = _Refused

    def __init__(self, accepted: str) -> None:
        self.accepted = accepted
        self.tried: list[str] = []

    def connect(self, **cparams: str) -> str:
        self.tried.append(cparams["password"])
        if cparams["password"] != self.accepted:
            raise _Refused("password authentication failed")
        return "connection"


def test_a_refused_connection_is_retried_with_the_rotated_password() -> None:
    from core.db.session import connect_with_current_password

    secret = {"cached": "old", "current": "new"}

    def password(fresh: bool) -> str:
        return secret["current" if fresh else "cached"]

    dialect = _Dialect(accepted="new")
    assert connect_with_current_password(dialect, (), {}, password) == "connection"
    assert dialect.tried == ["old", "new"]

    # Not a rotation (the secret holds the password that was refused): the error stands.
    unchanged = _Dialect(accepted="other")
    with pytest.raises(_Refused):
        connect_with_current_password(unchanged, (), {}, lambda fresh: "old")
    assert unchanged.tried == ["old"]


def test_a_secret_that_cannot_be_read_leaves_the_database_error_standing() -> None:
    from core.db.session import connect_with_current_password

    def password(fresh: bool) -> str:
        if fresh:
            raise RuntimeError("Secrets Manager unreachable")
        return "old"

    dialect = _Dialect(accepted="new")
    with pytest.raises(_Refused):  # what SQLAlchemy wraps as OperationalError, not the AWS error
        connect_with_current_password(dialect, (), {}, password)
    assert dialect.tried == ["old"]
