"""Transformed copies of receipt images, made at bench time in a temporary folder (never
committed): what users also send, with the same text, so the figures must not move.

  2x, 3x   upscaled (Lanczos), saved as JPEG quality 90: full-resolution files and photos
  q95      re-saved as JPEG quality 95
  rot90    the pixels turned 90 degrees clockwise (a receipt photographed sideways)
  rot270   the pixels turned 90 degrees counter-clockwise (sideways the other way)
  exif     the pixels turned 90 degrees counter-clockwise with the EXIF Orientation tag 6, which
           tells a viewer to turn it back: displayed upright, stored sideways (as phones save)
  35mp     upscaled to about 35 megapixels (the held-out scans reach 4961 x 7016)
  1.5mp    scaled to about 1.5 megapixels (the 35mp copy's counterpart of the same receipt)
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

KINDS = ("2x", "3x", "q95", "rot90", "rot270", "exif")
ORIENTATION = 0x0112


def _to_pixels(img: Image.Image, megapixels: float) -> Image.Image:
    scale = (megapixels * 1_000_000 / (img.width * img.height)) ** 0.5
    size = (round(img.width * scale), round(img.height * scale))
    return img.resize(size, Image.Resampling.LANCZOS)


def make_copy(source: Path, kind: str, folder: Path) -> Path:
    """The ``kind`` copy of ``source`` in ``folder`` (made once; the same name if asked again)."""
    out = folder / kind / f"{source.stem}.jpg"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    with Image.open(source) as opened:
        img = opened.convert("RGB")
    exif = Image.Exif()
    quality = 90
    if kind in ("2x", "3x"):
        factor = int(kind[0])
        img = img.resize((img.width * factor, img.height * factor), Image.Resampling.LANCZOS)
    elif kind == "q95":
        quality = 95
    elif kind == "rot90":
        img = img.transpose(Image.Transpose.ROTATE_270)  # 270 counter-clockwise: 90 clockwise
        quality = 95
    elif kind == "rot270":
        img = img.transpose(Image.Transpose.ROTATE_90)
        quality = 95
    elif kind == "exif":
        img = img.transpose(Image.Transpose.ROTATE_90)
        exif[ORIENTATION] = 6  # "turn 90 degrees clockwise to display"
        quality = 95
    elif kind == "35mp":
        img = _to_pixels(img, 35)
    elif kind == "1.5mp":
        img = _to_pixels(img, 1.5)
    else:
        raise ValueError(f"unknown copy kind {kind!r}")
    img.save(out, format="JPEG", quality=quality, exif=exif.tobytes())
    return out
