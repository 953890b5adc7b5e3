"""tests/infra in the main suite; their tools come from infra/.venv (see tools.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.infra.tools import require_infra_tool

# The CDK assertions import aws_cdk, which only infra/.venv has: test_cdk_suite.py runs them
# there, with their own pytest.ini.
collect_ignore = ["cdk"]


@pytest.fixture(scope="session")
def infra_python() -> Path:
    return require_infra_tool("python")
