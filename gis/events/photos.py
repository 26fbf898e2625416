"""Photos of a report: checked to be JPEG or PNG within the size limit, and read for the
EXIF GPS position that places a report sent without a point.

Pillow reads the header and the metadata only; pixels are never decoded, so a small file
that would expand into a huge bitmap costs nothing (and is refused by its pixel count,
with Pillow's decompression-bomb limit).
"""

from __future__ import annotations

import hashlib
import io
import math
import warnings
from dataclasses import dataclass

from PIL import ExifTags, Image, UnidentifiedImageError

from gis.events.errors import InvalidEvent, PhotoTooLarge, UnsupportedPhoto

MAX_PHOTOS = 3
MAX_PHOTO_BYTES = 5 * 1024 * 1024
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}


@dataclass(frozen=True)
class Photo:
    """A checked photo. ``gps`` is (longitude, latitude) in degrees (WGS84, as GPS
    receivers record it), or None when the file carries no usable position."""

    name: str
    content: bytes
    content_type: str
    width: int
    height: int
    sha256: str
    gps: tuple[float, float] | None


def inspect(content: bytes, *, name: str = "photo") -> Photo:
    """Check one photo and read its EXIF GPS position.

    Parameters
    ----------
    content : the file's bytes.
    name : what to call it in messages (the upload's file name).

    Raises
    ------
    PhotoTooLarge over 5 MiB (or over Pillow's decompression-bomb limit, about 89
    megapixels); UnsupportedPhoto when it is not a readable JPEG or PNG image.
    """
    if len(content) > MAX_PHOTO_BYTES:
        raise PhotoTooLarge(
            f"photo {name!r}: {len(content):,} bytes; a photo may have at most "
            f"{MAX_PHOTO_BYTES:,} bytes (5 MiB)"
        )
    if not content:
        raise UnsupportedPhoto(f"photo {name!r} is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                kind = image.format
                width, height = image.size
                gps = _gps(image) if kind in CONTENT_TYPES else None
            if kind in CONTENT_TYPES:
                # verify() checks the structure (PNG chunk checksums, JPEG markers).
                with Image.open(io.BytesIO(content)) as image:
                    image.verify()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        limit = (Image.MAX_IMAGE_PIXELS or 0) // 1_000_000
        raise PhotoTooLarge(
            f"photo {name!r} has more than {limit} megapixels: too many for a photo"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise UnsupportedPhoto(
            f"photo {name!r} is not a JPEG or PNG image ({type(error).__name__})"
        ) from None
    if kind not in CONTENT_TYPES:
        raise UnsupportedPhoto(f"photo {name!r} is {kind}; photos must be JPEG or PNG")
    return Photo(
        name=name,
        content=content,
        content_type=CONTENT_TYPES[kind],
        width=width,
        height=height,
        sha256=hashlib.sha256(content).hexdigest(),
        gps=gps,
    )


def inspect_all(parts: list[tuple[str, bytes]]) -> list[Photo]:
    """Check up to three photos given as (name, bytes); InvalidEvent for more."""
    if len(parts) > MAX_PHOTOS:
        raise InvalidEvent(
            "photo", f"{len(parts)} photos sent; a report carries at most {MAX_PHOTOS}"
        )
    return [inspect(content, name=name) for name, content in parts]


def _gps(image: Image.Image) -> tuple[float, float] | None:
    """(lon, lat) from the EXIF GPS IFD, or None when absent or unusable."""
    try:
        info = image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    except Exception:  # malformed EXIF: treat as no position, the photo itself is fine
        return None
    lat = _degrees(info.get(ExifTags.GPS.GPSLatitude), info.get(ExifTags.GPS.GPSLatitudeRef))
    lon = _degrees(info.get(ExifTags.GPS.GPSLongitude), info.get(ExifTags.GPS.GPSLongitudeRef))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    # Cameras without a fix write 0/0: not a position.
    if lat == 0 and lon == 0:
        return None
    return lon, lat


def _degrees(value: object, ref: object) -> float | None:
    """Degrees from EXIF (degrees, minutes, seconds) rationals and an N/S/E/W reference."""
    if not isinstance(value, tuple) or len(value) != 3:
        return None
    try:
        degrees, minutes, seconds = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    total = degrees + minutes / 60 + seconds / 3600
    if not math.isfinite(total):
        return None
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    if isinstance(ref, str) and ref.strip().upper() in ("S", "W"):
        total = -total
    return total
