"""S3: presigned uploads and links, bounded reads, writes and deletes."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from core.aws.clients import AwsClients

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    size: int
    content_type: str | None
    etag: str | None


class ObjectNotFound(Exception):
    pass


class S3Store:
    def __init__(self, clients: AwsClients) -> None:
        self._s3 = clients.client("s3")

    def presign_put(self, *, bucket: str, key: str, content_type: str, expires_in: int) -> str:
        """A URL that lets its holder PUT exactly this key with this content type, briefly."""
        url: str = self._s3.generate_presigned_url(
            "put_object",
            Params={"Bucket": bucket, "Key": key, "ContentType": content_type},
            ExpiresIn=expires_in,
            HttpMethod="PUT",
        )
        return url

    def presign_get(self, *, bucket: str, key: str, expires_in: int) -> str:
        url: str = self._s3.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_in
        )
        return url

    def head(self, *, bucket: str, key: str) -> ObjectInfo:
        try:
            r = self._s3.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise ObjectNotFound(key) from exc
            raise
        return ObjectInfo(
            size=r["ContentLength"], content_type=r.get("ContentType"), etag=r.get("ETag")
        )

    def get(
        self, *, bucket: str, key: str, max_bytes: int | None = None, first: int | None = None
    ) -> bytes:
        """The object's bytes (or its ``first`` bytes); refuses objects over ``max_bytes``."""
        kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if first is not None:
            kwargs["Range"] = f"bytes=0-{first - 1}"
        try:
            r = self._s3.get_object(**kwargs)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise ObjectNotFound(key) from exc
            raise
        if max_bytes is not None and r["ContentLength"] > max_bytes:
            r["Body"].close()
            raise ValueError(f"object is {r['ContentLength']} bytes, over {max_bytes}")
        body: bytes = r["Body"].read()
        return body

    def put(self, *, bucket: str, key: str, body: bytes, content_type: str) -> None:
        self._s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)

    def exists(self, *, bucket: str, key: str) -> bool:
        try:
            self.head(bucket=bucket, key=key)
        except ObjectNotFound:
            return False
        return True

    def delete(self, *, bucket: str, key: str) -> None:
        self._s3.delete_object(Bucket=bucket, Key=key)

    def list_keys(self, *, bucket: str, prefix: str, limit: int = 100_000) -> list[str]:
        keys: list[str] = []
        for page in self._s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=prefix
        ):
            keys.extend(obj["Key"] for obj in page.get("Contents", []))
            if len(keys) >= limit:
                break
        return keys[:limit]

    def delete_many(self, *, bucket: str, keys: list[str]) -> None:
        """Delete keys (missing ones included: S3 deletes are idempotent), 1000 per request."""
        for start in range(0, len(keys), 1000):
            chunk = keys[start : start + 1000]
            r = self._s3.delete_objects(
                Bucket=bucket, Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True}
            )
            for error in r.get("Errors", []):
                logger.warning("s3.delete_failed key=%s code=%s", error["Key"], error.get("Code"))
