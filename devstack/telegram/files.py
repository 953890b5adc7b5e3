"""Files the fake Bot API server holds: what users sent (``add_file``) and what the bot uploaded,
with Telegram-like file ids and paths, photo thumbnails, and the ``getFile`` download limit.

Files are downloaded with ``GET {base_file_url}{token}/{file_path}``, where the path has been
URL-quoted, so the ``:`` of the token arrives as ``%3A``.
"""

from __future__ import annotations

import itertools
import mimetypes
import secrets
import struct
import threading
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from devstack.telegram.errors import WRONG_FILE, ApiError, JSONDict, bad_request
from devstack.telegram.wire import Upload

MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # getFile refuses bigger files, like the cloud Bot API


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    file_name: str | None
    mime_type: str | None
    file_path: str
    file_size: int


def sniff_mime(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF"):
        return "application/pdf"
    return None


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG, GIF or JPEG header, if recognisable."""
    try:
        if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
            width, height = struct.unpack(">II", data[16:24])
            return int(width), int(height)
        if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
            width, height = struct.unpack("<HH", data[6:10])
            return int(width), int(height)
        if data.startswith(b"\xff\xd8"):
            i = 2
            while i + 9 < len(data):
                if data[i] != 0xFF:
                    i += 1
                    continue
                marker = data[i + 1]
                if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
                    i += 1 if marker == 0xFF else 2
                    continue
                (length,) = struct.unpack(">H", data[i + 2 : i + 4])
                if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                    height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                    return int(width), int(height)
                i += 2 + length
    except struct.error:
        return None
    return None


def photo_boxes(width: int, height: int) -> list[tuple[int, int]]:
    """Thumbnail dimensions (90/320/800 px boxes) smaller than the photo, smallest first."""
    longest = max(width, height, 1)
    sizes: list[tuple[int, int]] = []
    for box in (90, 320, 800):
        if longest > box:
            scale = box / longest
            sizes.append((max(1, round(width * scale)), max(1, round(height * scale))))
    return sizes


class FileStore:
    """Stored files by file_id and by file_path; ``lock`` is the fake's (callers may hold it)."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._numbers = itertools.count(0)
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        return self._by_path.get(file_path)

    def store(
        self,
        data: bytes,
        *,
        file_name: str | None,
        mime_type: str | None,
        as_photo: bool = False,
        size: int | None = None,
    ) -> StoredFile:
        with self._lock:
            number = next(self._numbers)
            mime = mime_type
            if mime is None and file_name:
                mime = mimetypes.guess_type(file_name, strict=False)[0]
            if mime is None:
                mime = sniff_mime(data)
            if as_photo or (file_name is None and mime is not None and mime.startswith("image/")):
                file_path = f"photos/file_{number}.jpg"
            else:
                suffix = PurePosixPath(file_name).suffix if file_name else ""
                if not suffix and mime:
                    suffix = mimetypes.guess_extension(mime, strict=False) or ""
                file_path = f"documents/file_{number}{suffix}"
            stored = StoredFile(
                file_id=f"BQACAgIAAxkBAAI{number:05d}{secrets.token_hex(8)}",
                file_unique_id=f"AgAD{number:05d}{secrets.token_hex(3)}",
                data=data,
                file_name=file_name,
                mime_type=mime,
                file_path=file_path,
                file_size=len(data) if size is None else size,
            )
            self._by_id[stored.file_id] = stored
            self._by_path[file_path] = stored
            return stored

    def require(self, file_id: str) -> StoredFile:
        stored = self._by_id.get(file_id)
        if stored is None:
            raise ValueError(f"unknown file_id {file_id!r}: call add_file() first")
        return stored

    def photo_sizes(self, stored: StoredFile, width: int, height: int) -> list[JSONDict]:
        sizes: list[JSONDict] = []
        area = max(width * height, 1)
        for thumb_w, thumb_h in photo_boxes(width, height):
            estimate = max(1, stored.file_size * thumb_w * thumb_h // area)
            thumb = self.store(
                stored.data, file_name=None, mime_type="image/jpeg", as_photo=True, size=estimate
            )
            sizes.append(
                {
                    "file_id": thumb.file_id,
                    "file_unique_id": thumb.file_unique_id,
                    "file_size": thumb.file_size,
                    "width": thumb_w,
                    "height": thumb_h,
                }
            )
        sizes.append(
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": stored.file_size,
                "width": width,
                "height": height,
            }
        )
        return sizes

    def resolve_media(
        self, value: Any, field_name: str, uploads: dict[str, Upload], *, as_photo: bool
    ) -> StoredFile:
        """An uploaded part, an attach:// reference, a known file_id or an HTTP URL."""
        upload: Upload | None = None
        if value is None:
            upload = uploads.get(field_name)
            if upload is None:
                raise bad_request(f"there is no {field_name} in the request")
        elif isinstance(value, str) and value.startswith("attach://"):
            upload = uploads.get(value.removeprefix("attach://"))
            if upload is None:
                raise bad_request("can't parse InputMedia: media not found")
        if upload is not None:
            return self.store(
                upload.data,
                file_name=None if as_photo else upload.filename,
                mime_type=upload.content_type if not as_photo else "image/jpeg",
                as_photo=as_photo,
            )
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            name = PurePosixPath(urlsplit(value).path).name or None
            return self.store(b"", file_name=name, mime_type=None, as_photo=as_photo)
        stored = self._by_id.get(str(value))
        if stored is None:
            raise ApiError(400, WRONG_FILE)
        return stored

    def photo_content(self, stored: StoredFile) -> JSONDict:
        width, height = image_size(stored.data) or (1280, 960)
        scale = min(1.0, 1280 / max(width, height, 1))  # Telegram recompresses to <= 1280 px
        return {
            "photo": self.photo_sizes(
                stored, max(1, round(width * scale)), max(1, round(height * scale))
            )
        }

    @staticmethod
    def document_content(stored: StoredFile, upload_name: str | None) -> JSONDict:
        document: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
        }
        if stored.file_name or upload_name:
            document["file_name"] = stored.file_name or upload_name
        if stored.mime_type:
            document["mime_type"] = stored.mime_type
        return {"document": document}
