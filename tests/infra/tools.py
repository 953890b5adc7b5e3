"""Where tests/infra find the repository and the tools of infra/.venv (`make infra-setup`).
Without that venv the tests that need it skip with the reason, except under CI (CI=true),
where they fail: there they must run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
INFRA_BIN = REPO / "infra" / ".venv" / "bin"


def require_infra_tool(name: str) -> Path:
    path = INFRA_BIN / name
    if path.exists():
        return path
    reason = f"{path.relative_to(REPO)} is missing: run `make infra-setup` (infra tooling venv)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def tool_env() -> dict[str, str]:
    """The environment with infra/.venv/bin first on PATH (actionlint finds shellcheck)."""
    return {**os.environ, "PATH": f"{INFRA_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
