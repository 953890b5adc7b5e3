"""S3Store.erase on versioned buckets (moto server): every version and delete marker of a key or
prefix goes, neighbours stay, batches and pages are followed, refusals are reported per key."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from botocore.stub import Stubber

from core.aws import s3 as s3_module
from core.aws.clients import AwsClients
from core.aws.s3 import S3Store, StoredObjects
from core.settings import ApiSettings
from tests.helpers import enable_versioning, logged


@pytest.fixture
def settings(api_settings: ApiSettings) -> ApiSettings:
    enable_versioning(api_settings, api_settings.raw_bucket, api_settings.processed_bucket)
    return api_settings


@pytest.fixture
def store(settings: ApiSettings) -> S3Store:
    return S3Store(AwsClients(settings))


def put(store: S3Store, bucket: str, key: str, body: bytes = b"x") -> None:
    store.put(bucket=bucket, key=key, body=body, content_type="application/json")


class TestEraseKey:
    def test_removes_every_version_and_the_delete_marker(
        self, store: S3Store, settings: ApiSettings
    ) -> None:
        # GIVEN a processed JSON written, overwritten twice, then deleted (a delete marker)
        bucket = settings.processed_bucket
        key = f"processed/{uuid.uuid4()}.json"
        for body in (b"v1", b"v2", b"v3"):
            put(store, bucket, key, body)
        store.delete(bucket=bucket, key=key)
        assert len(store.versions(bucket=bucket, prefix=key)) == 4
        assert not store.exists(bucket=bucket, key=key)  # "deleted", yet three versions remain

        # WHEN it is erased
        erasure = store.erase(StoredObjects(keys=((bucket, key),)))

        # THEN nothing is left under the key, and the count says so
        assert store.versions(bucket=bucket, prefix=key) == []
        assert erasure.removed == 4 and erasure.complete

    def test_a_key_is_not_a_prefix(self, store: S3Store, settings: ApiSettings) -> None:
        bucket = settings.raw_bucket
        key = f"users/1/{uuid.uuid4()}.jpg"
        put(store, bucket, key)
        put(store, bucket, key + ".copy")

        erasure = store.erase(StoredObjects(keys=((bucket, key),)))

        assert erasure.removed == 1
        assert [k for k, _ in store.versions(bucket=bucket, prefix=key)] == [key + ".copy"]

    def test_a_missing_key_is_no_error(self, store: S3Store, settings: ApiSettings) -> None:
        erasure = store.erase(StoredObjects(keys=((settings.raw_bucket, "users/1/none.jpg"),)))
        assert erasure.removed == 0 and erasure.complete

    def test_an_unversioned_bucket_erases_its_null_versions(
        self, api_settings: ApiSettings
    ) -> None:
        # The embedded local stack's buckets are not versioned: their versions are "null".
        store = S3Store(AwsClients(api_settings))
        key = "users/1/plain.jpg"
        put(store, api_settings.raw_bucket, key)

        erasure = store.erase(StoredObjects(keys=((api_settings.raw_bucket, key),)))

        assert erasure.removed == 1
        assert store.versions(bucket=api_settings.raw_bucket, prefix=key) == []


class TestErasePrefix:
    def test_every_key_under_the_prefix_and_nothing_else(
        self, store: S3Store, settings: ApiSettings
    ) -> None:
        bucket = settings.processed_bucket
        mine, other = uuid.uuid4(), uuid.uuid4()
        for engine in ("textract", "local"):
            put(store, bucket, f"ocr-cache/{mine}.{engine}.json")
            put(store, bucket, f"ocr-cache/{mine}.{engine}.json", b"again")
        store.delete(bucket=bucket, key=f"ocr-cache/{mine}.local.json")
        put(store, bucket, f"ocr-cache/{other}.textract.json")

        erasure = store.erase(StoredObjects(prefixes=((bucket, f"ocr-cache/{mine}."),)))

        assert erasure.removed == 5
        assert store.versions(bucket=bucket, prefix=f"ocr-cache/{mine}.") == []
        assert len(store.versions(bucket=bucket, prefix=f"ocr-cache/{other}.")) == 1

    def test_refuses_an_empty_prefix(self, store: S3Store, settings: ApiSettings) -> None:
        with pytest.raises(ValueError, match="whole bucket"):
            store.erase(StoredObjects(prefixes=((settings.raw_bucket, ""),)))

    def test_follows_pages_and_deletes_in_batches(
        self, store: S3Store, settings: ApiSettings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Small pages and batches stand in for S3's 1000 (same code path, fewer objects).
        monkeypatch.setattr(s3_module, "LIST_PAGE_SIZE", 2)
        monkeypatch.setattr(s3_module, "DELETE_BATCH", 3)
        batches: list[int] = []

        def count(params: dict[str, Any], **_: Any) -> None:
            batches.append(len(params["Delete"]["Objects"]))

        store._s3.meta.events.register("provide-client-params.s3.DeleteObjects", count)
        bucket = settings.raw_bucket
        for n in range(7):
            put(store, bucket, f"users/9/{n % 3}.jpg", str(n).encode())

        erasure = store.erase(StoredObjects(prefixes=((bucket, "users/9/"),)))

        assert erasure.removed == 7
        assert batches == [3, 3, 1]
        assert store.versions(bucket=bucket, prefix="users/9/") == []


class TestEraseErrors:
    def test_versions_s3_refuses_are_reported_and_logged(self, store: S3Store) -> None:
        # Stubbed at the vendor edge: real ListObjectVersions and DeleteObjects answer shapes.
        stubber = Stubber(store._s3)
        stubber.add_response(
            "list_object_versions",
            {
                "IsTruncated": False,
                "Versions": [
                    {"Key": "users/1/a.jpg", "VersionId": "v1", "IsLatest": True},
                    {"Key": "users/1/b.jpg", "VersionId": "v2", "IsLatest": True},
                ],
                "DeleteMarkers": [{"Key": "users/1/b.jpg", "VersionId": "m1", "IsLatest": False}],
            },
            {"Bucket": "raw", "Prefix": "users/1/", "MaxKeys": 1000},
        )
        stubber.add_response(
            "delete_objects",
            {
                "Errors": [
                    {
                        "Key": "users/1/b.jpg",
                        "VersionId": "v2",
                        "Code": "AccessDenied",
                        "Message": "Access Denied",
                    }
                ]
            },
            {
                "Bucket": "raw",
                "Delete": {
                    "Objects": [
                        {"Key": "users/1/a.jpg", "VersionId": "v1"},
                        {"Key": "users/1/b.jpg", "VersionId": "m1"},
                        {"Key": "users/1/b.jpg", "VersionId": "v2"},
                    ],
                    "Quiet": True,
                },
            },
        )
        with stubber, logged("core.aws.s3", logging.WARNING) as warnings:
            erasure = store.erase(StoredObjects(prefixes=(("raw", "users/1/"),)))

        assert erasure.removed == 2
        assert erasure.failed == ("raw/users/1/b.jpg v2: AccessDenied",)
        assert not erasure.complete
        assert warnings == [
            "s3.erase_failed bucket=raw key=users/1/b.jpg version=v2 code=AccessDenied"
        ]


class TestErasureOutbox:
    """A deleted receipt's files are erased even when S3 fails at the moment of the delete:
    the deletion leaves them in ``pending_erasures`` and the sweeper erases them."""

    def test_an_outage_at_delete_is_made_good_by_the_sweeper(
        self,
        store: S3Store,
        settings: ApiSettings,
        session_factory: Any,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        from datetime import UTC, datetime, timedelta

        from botocore.exceptions import EndpointConnectionError
        from sqlalchemy import func, select

        from core.db.models import PendingErasure, User
        from core.receipts.service import ReceiptService
        from tests.fakes import stored_receipt

        service = ReceiptService(settings=settings, store=store)
        with session_factory.begin() as s:
            user = User(telegram_user_id=9101, telegram_chat_id=9101)
            s.add(user)
            s.flush()
            receipt = stored_receipt(user_id=user.id, raw_bucket=settings.raw_bucket)
            s.add(receipt)
            s.flush()
            receipt_id, user_id, raw_key = receipt.id, user.id, receipt.raw_key
        put(store, settings.raw_bucket, raw_key)
        put(store, settings.processed_bucket, f"processed/{receipt_id}.json")

        # WHEN the receipt is deleted while S3 is unreachable
        with session_factory.begin() as s:
            objects = service.delete(s, receipt_id=receipt_id, user_id=user_id)

        def unreachable(*_: Any, **__: Any) -> None:
            raise EndpointConnectionError(endpoint_url="http://s3")

        with monkeypatch.context() as m:
            m.setattr(store, "versions", unreachable)
            erasure = service.delete_objects(objects)  # not an error: left to the sweeper
            assert not erasure.complete and erasure.removed == 0
            with session_factory.begin() as s:  # the sweeper during the outage: kept, counted
                assert service.sweep_erasures(s, now=datetime.now(UTC) + timedelta(minutes=2)) == 0
        assert store.exists(bucket=settings.raw_bucket, key=raw_key)

        # THEN the next sweep after S3 is back erases every version and forgets the record
        with session_factory.begin() as s:
            assert s.scalar(select(PendingErasure.attempts)) == 1
            assert service.sweep_erasures(s, now=datetime.now(UTC) + timedelta(minutes=2)) == 1
        assert store.versions(bucket=settings.raw_bucket, prefix=raw_key) == []
        processed = f"processed/{receipt_id}.json"
        assert store.versions(bucket=settings.processed_bucket, prefix=processed) == []
        with session_factory() as s:
            assert s.scalar(select(func.count()).select_from(PendingErasure)) == 0
