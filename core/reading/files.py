"""What a receipt file is, judged by its first bytes rather than by its name."""

from __future__ import annotations

SNIFF_BYTES = 32

JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"
HEIC = "image/heic"
PDF = "application/pdf"

ACCEPTED_TYPES = (JPEG, PNG, WEBP, HEIC, PDF)
EXTENSIONS = {JPEG: ".jpg", PNG: ".png", WEBP: ".webp", HEIC: ".heic", PDF: ".pdf"}
_HEIF_BRANDS = {
    b"heic",
    b"heix",
    b"hevc",
    b"hevx",
    b"heim",
    b"heis",
    b"hevm",
    b"hevs",
    b"mif1",
    b"msf1",
}

_ALIASES = {"image/jpg": JPEG, "image/pjpeg": JPEG, "image/heif": HEIC, "application/x-pdf": PDF}


def sniff(head: bytes) -> str | None:
    """The content type the bytes really are, among the accepted ones; None otherwise."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"%PDF-"):
        return PDF
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return HEIC
    return None


def normalise_content_type(value: str | None) -> str | None:
    if not value:
        return None
    base = value.split(";", 1)[0].strip().lower()
    return _ALIASES.get(base, base)


def guess_from_name(name: str | None) -> str | None:
    if not name or "." not in name:
        return None
    ext = name.rsplit(".", 1)[1].lower()
    return {
        "jpg": JPEG,
        "jpeg": JPEG,
        "png": PNG,
        "webp": WEBP,
        "heic": HEIC,
        "heif": HEIC,
        "pdf": PDF,
    }.get(ext)
