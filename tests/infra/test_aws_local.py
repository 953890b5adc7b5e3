"""`receiptsnap aws-local provision`: what docker-compose runs against its moto server."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer

from devstack.stack import free_port
from receiptsnap.cli import main


@pytest.fixture
def moto_endpoint(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]  # no .env file
    for key, value in {
        "ENVIRONMENT": "development",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_LOCAL_CREDENTIALS": "true",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    yield endpoint
    server.stop()


def client(endpoint: str, service: str) -> object:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


class TestAwsLocalProvision:
    def test_creates_buckets_queue_with_dlq_and_secrets(self, moto_endpoint: str) -> None:
        assert main(["aws-local", "provision"]) == 0
        s3, sqs, sm = (client(moto_endpoint, s) for s in ("s3", "sqs", "secretsmanager"))
        buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}  # type: ignore[attr-defined]
        assert {"receiptsnap-raw", "receiptsnap-processed"} <= buckets
        url = sqs.get_queue_url(QueueName="receiptsnap-jobs")["QueueUrl"]  # type: ignore[attr-defined]
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])  # type: ignore[attr-defined]
        redrive = json.loads(attrs["Attributes"]["RedrivePolicy"])
        assert int(redrive["maxReceiveCount"]) == 5
        assert redrive["deadLetterTargetArn"].endswith(":receiptsnap-jobs-dlq")
        value = sm.get_secret_value(SecretId="receiptsnap/callback-hmac-key")  # type: ignore[attr-defined]
        assert len(value["SecretString"]) >= 32

    def test_a_second_run_keeps_the_existing_keys(self, moto_endpoint: str) -> None:
        sm = client(moto_endpoint, "secretsmanager")
        assert main(["aws-local", "provision"]) == 0
        first = sm.get_secret_value(SecretId="receiptsnap/callback-hmac-key")["SecretString"]  # type: ignore[attr-defined]
        assert main(["aws-local", "provision"]) == 0
        again = sm.get_secret_value(SecretId="receiptsnap/callback-hmac-key")["SecretString"]  # type: ignore[attr-defined]
        assert again == first

    def test_refuses_without_a_local_endpoint(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: object
    ) -> None:
        monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]
        monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
        monkeypatch.setenv("ENVIRONMENT", "development")
        assert main(["aws-local", "provision"]) == 2


def test_watch_provisions_a_restarted_emulator_again_with_the_same_keys(
    moto_endpoint: str, tmp_path: object
) -> None:
    """GIVEN `provision --watch` running (compose's provision service) WHEN the emulator loses
    everything (moto's reset, as a restart does) THEN the queue and buckets come back, and the
    keys are the ones the API and the worker already hold."""
    import os
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    ready = Path(str(tmp_path)) / "provisioned"
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "receiptsnap.cli",
            "aws-local",
            "provision",
            "--watch",
            "0.2",
            "--ready-file",
            str(ready),
        ],
        env={**os.environ, "PYTHONPATH": str(repo)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        sqs, sm = client(moto_endpoint, "sqs"), client(moto_endpoint, "secretsmanager")
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.stdout
            time.sleep(0.1)
        key = sm.get_secret_value(SecretId="receiptsnap/callback-hmac-key")["SecretString"]  # type: ignore[attr-defined]

        # moto's reset, on the local server started above (an http:// URL of ours).
        reset = urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")  # noqa: S310
        urllib.request.urlopen(reset, timeout=10).close()  # noqa: S310

        while True:
            try:
                sqs.get_queue_url(QueueName="receiptsnap-jobs")  # type: ignore[attr-defined]
                break
            except Exception:  # noqa: BLE001 - not there yet
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        again = sm.get_secret_value(SecretId="receiptsnap/callback-hmac-key")["SecretString"]  # type: ignore[attr-defined]
        assert again == key
        buckets = {b["Name"] for b in client(moto_endpoint, "s3").list_buckets()["Buckets"]}  # type: ignore[attr-defined]
        assert {"receiptsnap-raw", "receiptsnap-processed"} <= buckets
    finally:
        proc.kill()
        output = proc.communicate(timeout=10)[0]
    assert "provisioning again" in output
