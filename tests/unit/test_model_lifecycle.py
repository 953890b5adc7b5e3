"""The model's lifecycle read at start (GetInferenceProfile, GetFoundationModel) via Stubber."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.stub import Stubber

from core.aws.clients import AwsClients
from core.aws.models import check_model_lifecycle
from core.reading.engines import check_bedrock_model
from core.settings import DEFAULT_BEDROCK_MODEL_ID, ProcessorSettings

NOW = datetime(2026, 12, 2, tzinfo=UTC)
FOUNDATION = "anthropic.claude-haiku-4-5-20251001-v1:0"
REGIONS = ("us-east-1", "us-east-2", "us-west-2")


@pytest.fixture
def client() -> Any:
    s = ProcessorSettings(_env_file=None, aws_local_credentials=True)
    return AwsClients(s).client("bedrock", max_attempts=1)


@pytest.fixture
def stub(client: Any) -> Iterator[Stubber]:
    with Stubber(client) as s:
        yield s
        s.assert_no_pending_responses()


def profile(model_id: str = DEFAULT_BEDROCK_MODEL_ID) -> dict[str, Any]:
    arn = f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/{model_id}"
    return {
        "inferenceProfileName": "US Anthropic Claude Haiku 4.5",
        "inferenceProfileArn": arn,
        "inferenceProfileId": model_id,
        "models": [
            {"modelArn": f"arn:aws:bedrock:{r}::foundation-model/{FOUNDATION}"} for r in REGIONS
        ],
        "status": "ACTIVE",
        "type": "SYSTEM_DEFINED",
    }


def model(status: str, *, end_of_life: datetime | None = None) -> dict[str, Any]:
    lifecycle: dict[str, Any] = {"status": status}
    if end_of_life is not None:
        lifecycle["endOfLifeTime"] = end_of_life
    return {
        "modelDetails": {
            "modelArn": f"arn:aws:bedrock:us-east-1::foundation-model/{FOUNDATION}",
            "modelId": FOUNDATION,
            "modelLifecycle": lifecycle,
        }
    }


def metrics(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith('{"_aws"')]


class TestLifecycle:
    def test_an_active_profile_reads_the_model_behind_it_quietly(
        self, client: Any, stub: Stubber, capsys: pytest.CaptureFixture[str]
    ) -> None:
        stub.add_response(
            "get_inference_profile",
            profile(),
            {"inferenceProfileIdentifier": DEFAULT_BEDROCK_MODEL_ID},
        )
        stub.add_response("get_foundation_model", model("ACTIVE"), {"modelIdentifier": FOUNDATION})

        assert check_model_lifecycle(client, DEFAULT_BEDROCK_MODEL_ID, now=NOW) == "ACTIVE"
        assert metrics(capsys.readouterr().out) == []

    def test_legacy_warns_and_counts(
        self,
        client: Any,
        stub: Stubber,
        caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        stub.add_response(
            "get_foundation_model",
            model("LEGACY", end_of_life=datetime(2027, 3, 1, tzinfo=UTC)),
            {"modelIdentifier": FOUNDATION},
        )

        with caplog.at_level(logging.WARNING):
            assert check_model_lifecycle(client, FOUNDATION, now=NOW) == "LEGACY"

        assert any("bedrock.model_legacy" in r.getMessage() for r in caplog.records)
        (record,) = metrics(capsys.readouterr().out)
        assert record["BedrockModelLegacy"] == 1.0 and record["Model"] == FOUNDATION

    def test_past_its_end_of_life_is_an_error_and_the_alarm_metric(
        self,
        client: Any,
        stub: Stubber,
        caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        stub.add_response(
            "get_foundation_model",
            model("LEGACY", end_of_life=datetime(2026, 9, 10, tzinfo=UTC)),
            {"modelIdentifier": "anthropic.claude-3-haiku-20240307-v1:0"},
        )

        state = check_model_lifecycle(client, "anthropic.claude-3-haiku-20240307-v1:0", now=NOW)

        assert state == "EOL"
        assert [r.levelname for r in caplog.records if "model_unavailable" in r.getMessage()] == [
            "ERROR"
        ]
        (record,) = metrics(capsys.readouterr().out)
        assert record["BedrockModelUnavailable"] == 1.0

    def test_a_missing_model_is_an_error_and_the_alarm_metric(
        self, client: Any, stub: Stubber, capsys: pytest.CaptureFixture[str]
    ) -> None:
        stub.add_client_error(
            "get_inference_profile",
            service_error_code="ResourceNotFoundException",
            service_message="The specified inference profile is not found.",
            http_status_code=404,
        )

        assert check_model_lifecycle(client, DEFAULT_BEDROCK_MODEL_ID, now=NOW) == "MISSING"
        (record,) = metrics(capsys.readouterr().out)
        assert record["BedrockModelUnavailable"] == 1.0
        assert record["Model"] == DEFAULT_BEDROCK_MODEL_ID

    def test_no_permission_to_look_is_only_a_warning(
        self,
        client: Any,
        stub: Stubber,
        caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        stub.add_client_error(
            "get_inference_profile",
            service_error_code="AccessDeniedException",
            service_message="User is not authorized to perform: bedrock:GetInferenceProfile",
            http_status_code=403,
        )

        with caplog.at_level(logging.WARNING):
            assert check_model_lifecycle(client, DEFAULT_BEDROCK_MODEL_ID, now=NOW) == "UNKNOWN"

        assert [r.levelname for r in caplog.records] == ["WARNING"]
        assert metrics(capsys.readouterr().out) == []

    def test_the_start_up_check_never_raises(self, monkeypatch: pytest.MonkeyPatch) -> None:
        s = ProcessorSettings(_env_file=None, aws_local_credentials=True)

        def broken(*_: Any, **__: Any) -> Any:
            raise RuntimeError("no endpoint")

        monkeypatch.setattr(AwsClients, "client", broken)

        assert check_bedrock_model(s) == "UNKNOWN"
