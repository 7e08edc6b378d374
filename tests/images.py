"""Real image files for tests, made in memory."""

import io

from PIL import Image


def image_bytes(colour=(200, 30, 30), size=(64, 48), image_format="JPEG", mode="RGB"):
    buffer = io.BytesIO()
    Image.new(mode, size, colour).save(buffer, format=image_format)
    return buffer.getvalue()


def colour_for(n):
    """A distinct colour for each n, so each made photo has its own content hash."""
    return (n * 37 % 256, n * 91 % 256, (n * 53 + 100) % 256)


# PostScript that never ends: Pillow's EPS decoder would hand it to Ghostscript, which spins.
LOOPING_EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n{ 1 pop } loop\n"


def other_format_bytes():
    """{name: bytes} of images in formats the shop refuses, all valid files."""
    return {
        "GIF": image_bytes(image_format="GIF"),
        "TIFF": image_bytes(image_format="TIFF"),
        "BMP": image_bytes(image_format="BMP"),
        "ICO": image_bytes(size=(32, 32), image_format="ICO"),
        "PCX": image_bytes(image_format="PCX"),
        "EPS": LOOPING_EPS,
    }
