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
