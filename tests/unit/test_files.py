from __future__ import annotations

import pytest

from core.reading import files


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", files.JPEG),
        (b"\x89PNG\r\n\x1a\n\x00\x00", files.PNG),
        (b"%PDF-1.7\n", files.PDF),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", files.WEBP),
        (b"\x00\x00\x00\x18ftypheic\x00\x00", files.HEIC),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00", files.HEIC),
        (b"GIF89a", None),
        (b"<html>", None),
        (b"", None),
    ],
)
def test_sniff_judges_by_bytes(head: bytes, expected: str | None) -> None:
    assert files.sniff(head) == expected


def test_content_type_aliases_and_names() -> None:
    assert files.normalise_content_type("image/JPG; charset=binary") == files.JPEG
    assert files.guess_from_name("scan.HEIC") == files.HEIC
    assert files.guess_from_name("notes.txt") is None
    assert files.guess_from_name(None) is None
