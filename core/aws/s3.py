"""S3: presigned uploads and links, bounded reads, writes, deletes, and erasure of every version.

The product's buckets are versioned: a plain DeleteObject only adds a delete marker and the data
stays as a noncurrent version until the lifecycle expires it. ``S3Store.erase`` removes every
version and delete marker (ListObjectVersions, then DeleteObjects with VersionId), which is what
deleting a receipt or a user must do (docs/deploy.md, "Deleting is erasing", has the sources).
"""

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


# DeleteObjects takes at most 1000 keys (each with its VersionId) per request; ListObjectVersions
# answers at most 1000 entries a page (the paginator follows NextKeyMarker / NextVersionIdMarker).
DELETE_BATCH = 1000
LIST_PAGE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class StoredObjects:
    """Where something's files are: exact keys and key prefixes, each with its bucket."""

    keys: tuple[tuple[str, str], ...] = ()
    prefixes: tuple[tuple[str, str], ...] = ()

    def __add__(self, other: StoredObjects) -> StoredObjects:
        return StoredObjects(keys=self.keys + other.keys, prefixes=self.prefixes + other.prefixes)


@dataclass(frozen=True, slots=True)
class Erasure:
    """What an erase removed: object versions and delete markers, and what S3 refused."""

    removed: int = 0
    failed: tuple[str, ...] = ()  # "bucket/key version: code", each logged

    @property
    def complete(self) -> bool:
        return not self.failed


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

    def presign_post(
        self, *, bucket: str, key: str, content_type: str, max_bytes: int, expires_in: int
    ) -> tuple[str, dict[str, str]]:
        """A form upload (POST) that S3 accepts only for exactly this key, this Content-Type and
        1..``max_bytes`` bytes, briefly: the URL and the form fields to send before the file.
        boto3 adds the key's condition itself; a field given in ``Fields`` needs its condition
        too (boto3's generate_presigned_post documentation)."""
        post: dict[str, Any] = self._s3.generate_presigned_post(
            Bucket=bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
            ExpiresIn=expires_in,
        )
        return str(post["url"]), {str(k): str(v) for k, v in post["fields"].items()}

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

    def versions(self, *, bucket: str, prefix: str) -> list[tuple[str, str]]:
        """(key, version id) of every version and delete marker under ``prefix``, all pages."""
        found: list[tuple[str, str]] = []
        for page in self._s3.get_paginator("list_object_versions").paginate(
            Bucket=bucket, Prefix=prefix, PaginationConfig={"PageSize": LIST_PAGE_SIZE}
        ):
            for entry in (*page.get("Versions", []), *page.get("DeleteMarkers", [])):
                found.append((entry["Key"], entry["VersionId"]))
        return found

    def erase(self, objects: StoredObjects) -> Erasure:
        """Permanently delete every version and delete marker of ``objects`` (exact keys, and
        every key under the prefixes). Missing keys are no error. Versions S3 refuses to delete
        are logged and reported in ``failed``; erasing again is safe."""
        wanted: dict[str, set[tuple[str, str]]] = {}
        for bucket, key in objects.keys:
            # ListObjectVersions filters by prefix only: keep the key itself, not its neighbours.
            wanted.setdefault(bucket, set()).update(
                v for v in self.versions(bucket=bucket, prefix=key) if v[0] == key
            )
        for bucket, prefix in objects.prefixes:
            if not prefix:
                raise ValueError("refusing to erase a whole bucket")
            wanted.setdefault(bucket, set()).update(self.versions(bucket=bucket, prefix=prefix))
        removed = 0
        failed: list[str] = []
        for bucket, found in wanted.items():
            ordered = sorted(found)
            for start in range(0, len(ordered), DELETE_BATCH):
                chunk = ordered[start : start + DELETE_BATCH]
                r = self._s3.delete_objects(
                    Bucket=bucket,
                    Delete={
                        "Objects": [{"Key": k, "VersionId": v} for k, v in chunk],
                        "Quiet": True,  # the answer lists only the errors
                    },
                )
                errors = r.get("Errors", [])
                for error in errors:
                    logger.warning(
                        "s3.erase_failed bucket=%s key=%s version=%s code=%s",
                        bucket,
                        error.get("Key"),
                        error.get("VersionId"),
                        error.get("Code"),
                    )
                    failed.append(
                        f"{bucket}/{error.get('Key')} {error.get('VersionId')}: {error.get('Code')}"
                    )
                removed += len(chunk) - len(errors)
        return Erasure(removed=removed, failed=tuple(failed))
