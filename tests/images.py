"""Real image files for tests, made in memory."""

import io
import struct
import zlib

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


def progressive_jpeg_with_scans(extra_scans, size=(64, 48)):
    """A valid progressive JPEG with `extra_scans` more AC scans, each one end-of-block run
    over every block (tiny, yet the decoder reads each)."""
    content = image_bytes(size=size, mode="L", colour=128, image_format="JPEG")
    buffer = io.BytesIO()
    Image.open(io.BytesIO(content)).save(buffer, "JPEG", progressive=True)
    body = buffer.getvalue()[:-2]  # without EOI
    table = b"\xff\xc4" + struct.pack(">H", 20) + bytes([0x13, 1] + [0] * 15 + [0xE0])
    scan = b"\xff\xda" + struct.pack(">HB", 8, 1) + bytes([1, 0x03, 1, 63, 0]) + b"\x00\x00\x7f"
    return body + table + scan * extra_scans + b"\xff\xd9"


def jpeg_with_comments(count):
    """A JPEG with `count` empty COM segments before its image."""
    content = image_bytes()
    return content[:2] + b"\xff\xfe\x00\x02" * count + content[2:]


def png_with_chunks(count):
    """A PNG with `count` empty ancillary chunks before its image data."""
    content = image_bytes(image_format="PNG")
    header_end = 8 + 25  # signature and IHDR
    chunk = struct.pack(">I", 0) + b"abCd" + struct.pack(">I", zlib.crc32(b"abCd"))
    return content[:header_end] + chunk * count + content[header_end:]


def animated(image_format):
    """A two-frame animated PNG or WebP."""
    frames = [Image.new("RGB", (32, 32), colour) for colour in ("red", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, image_format, save_all=True, append_images=frames[1:])
    return buffer.getvalue()
