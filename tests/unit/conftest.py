"""Fixtures of the unit tests: botocore's Stubber on a module's ``client``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber

from tests.helpers import stubbed


@pytest.fixture
def stub(client: Any) -> Iterator[Stubber]:
    """Stubber on the botocore client the test module's ``client`` fixture makes (from
    ``AwsClients``); every response queued on it must have been used by the end of the test."""
    with stubbed(client) as stubber:
        yield stubber
