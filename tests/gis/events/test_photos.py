"""Photo checks (gis.events.photos): JPEG and PNG only, 5 MiB, EXIF GPS read."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from gis.events.errors import InvalidEvent, PhotoTooLarge, UnsupportedPhoto
from gis.events.photos import MAX_PHOTO_BYTES, inspect, inspect_all
from tests.planters.event_places import photo_bytes


@pytest.mark.parametrize(("kind", "content_type"), [("JPEG", "image/jpeg"), ("PNG", "image/png")])
def test_exif_gps_is_read_from_jpeg_and_png(kind, content_type):
    photo = inspect(photo_bytes(kind, gps=(108.3123, 22.8012)), name="scene")
    assert photo.content_type == content_type and (photo.width, photo.height) == (64, 48)
    assert photo.gps == pytest.approx((108.3123, 22.8012), abs=1e-6)
    assert inspect(photo_bytes(kind), name="plain").gps is None


def test_southern_and_western_references_are_negative():
    photo = inspect(photo_bytes("JPEG", gps=(-43.2, -22.9)))
    assert photo.gps == pytest.approx((-43.2, -22.9), abs=1e-6)


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def test_what_is_refused():
    gif = io.BytesIO()
    Image.new("RGB", (8, 8)).save(gif, "GIF")
    jpeg = photo_bytes("JPEG")
    with pytest.raises(UnsupportedPhoto, match="is GIF"):
        inspect(gif.getvalue(), name="a.gif")
    with pytest.raises(UnsupportedPhoto, match="not a JPEG or PNG"):
        inspect(b"%PDF-1.7 not a photo", name="scan.pdf")
    with pytest.raises(UnsupportedPhoto, match="not a JPEG or PNG"):
        inspect(jpeg[: len(jpeg) // 2], name="cut.jpg")
    with pytest.raises(UnsupportedPhoto, match="empty"):
        inspect(b"", name="nothing")
    with pytest.raises(PhotoTooLarge, match="5,242,881 bytes"):
        inspect(jpeg + b"\0" * (MAX_PHOTO_BYTES + 1 - len(jpeg)), name="big.jpg")
    with pytest.raises(PhotoTooLarge, match="megapixels"):
        inspect(_png_header_only(30_000, 30_000), name="bomb.png")
    with pytest.raises(InvalidEvent, match="at most 3"):
        inspect_all([("p", jpeg)] * 4)
