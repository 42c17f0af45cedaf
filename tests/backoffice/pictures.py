"""Picture files for upload tests: real ones made with Pillow, and hostile ones made by hand."""

import struct
import zlib
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def picture_bytes(fmt="JPEG", size=(64, 48), color=(200, 30, 30), **options) -> bytes:
    mode = "RGBA" if fmt in {"PNG", "WEBP"} and len(color) == 4 else "RGB"
    output = BytesIO()
    Image.new(mode, size, color).save(output, format=fmt, **options)
    return output.getvalue()


def upload(name, content, content_type="image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def jpeg(name="photo.jpg", **kwargs) -> SimpleUploadedFile:
    return upload(name, picture_bytes("JPEG", **kwargs))


def png(name="picture.png", **kwargs) -> SimpleUploadedFile:
    return upload(name, picture_bytes("PNG", **kwargs), "image/png")


def rotated_jpeg_with_exif() -> bytes:
    """A 40×20 JPEG whose EXIF says "rotate 90° clockwise" and names a camera and a place."""
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the picture is shown turned a quarter clockwise
    exif[0x010F] = "Camera Maker"
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 0.0)}  # GPS
    image = Image.new("RGB", (40, 20), (255, 0, 0))
    # Mark the top-left corner so the turn can be checked.
    for x in range(10):
        for y in range(10):
            image.putpixel((x, y), (0, 0, 255))
    output = BytesIO()
    image.save(output, format="JPEG", exif=exif, quality=95)
    return output.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def pixel_flood_png(width=50_000, height=50_000) -> bytes:
    """A tiny PNG whose header claims a huge picture (a decompression bomb)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + _chunk(b"IEND", b"")
    )


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script><rect width='10' height='10'/></svg>"
)


def truncated_jpeg() -> bytes:
    data = picture_bytes("JPEG", size=(400, 300))
    return data[: len(data) // 2]


def oversized_file() -> bytes:
    """A file over 10 MB that starts like a JPEG."""
    return picture_bytes("JPEG") + b"\x00" * (10 * 1024 * 1024)
