"""Checking uploaded image files before anything is stored."""

import hashlib
import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from PIL import Image, ImageOps, UnidentifiedImageError

WHITE = (255, 255, 255)
THUMBNAIL_SIDE = 320


@dataclass(frozen=True)
class CheckedImage:
    content: bytes
    width: int
    height: int
    sha256: str
    format: str


def read_upload(file):
    """All bytes of an uploaded file or an open binary file, from the start."""
    if hasattr(file, "seek"):
        file.seek(0)
    if hasattr(file, "chunks"):
        return b"".join(file.chunks())
    return file.read()


def readable_size(size):
    """A size in bytes for people, e.g. "10.0 MB" (no non-breaking space)."""
    return filesizeformat(size).replace("\xa0", " ")


def file_too_large_error(size, limit):
    """The ValidationError (code file_too_large) for a file of `size` bytes over `limit` bytes."""
    return ValidationError(
        "The file is %(size)s; the limit is %(limit)s.",
        code="file_too_large",
        params={"size": readable_size(size), "limit": readable_size(limit)},
    )


def check_image_bytes(content, *, max_bytes=None, max_pixels=None):
    """Return a CheckedImage, or raise ValidationError saying what is wrong with the file.

    Refuses empty files, files over the size limit, files that are not a decodable image
    (truncated or corrupt included) and images with more pixels than the limit, which is
    checked from the header before any pixel is decoded (decompression bombs).
    """
    max_bytes = settings.CATALOG_MAX_UPLOAD_BYTES if max_bytes is None else max_bytes
    max_pixels = settings.CATALOG_MAX_IMAGE_PIXELS if max_pixels is None else max_pixels
    if not content:
        raise ValidationError("The file is empty.", code="empty")
    if len(content) > max_bytes:
        raise file_too_large_error(len(content), max_bytes)
    try:
        with Image.open(io.BytesIO(content)) as image:
            width, height = image.size
            image_format = image.format
            if width * height > max_pixels:
                raise ValidationError(
                    "The image is %(width)sx%(height)s pixels; the limit is %(limit)s pixels.",
                    code="too_many_pixels",
                    params={"width": width, "height": height, "limit": f"{max_pixels:,}"},
                )
            # Decoding a JPEG at reduced scale still reads every compressed byte, so it
            # catches truncated files at a fraction of the cost of a full decode.
            image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
            image.load()
    except Image.DecompressionBombError as error:
        raise ValidationError(
            "The image has far too many pixels.", code="too_many_pixels"
        ) from error
    except UnidentifiedImageError as error:
        raise ValidationError(
            "The file is not an image that can be read (JPEG, PNG, WebP, ...).", code="not_an_image"
        ) from error
    except (OSError, SyntaxError, ValueError) as error:
        raise ValidationError(
            "The image file is damaged: %(error)s.", code="corrupt_image", params={"error": error}
        ) from error
    return CheckedImage(
        content=content,
        width=width,
        height=height,
        sha256=hashlib.sha256(content).hexdigest(),
        format=image_format,
    )


def check_image_upload(file, **limits):
    """check_image_bytes for an uploaded file; refuses an oversized upload before reading it."""
    max_bytes = limits.get("max_bytes") or settings.CATALOG_MAX_UPLOAD_BYTES
    size = getattr(file, "size", None)
    if size is not None and size > max_bytes:
        raise file_too_large_error(size, max_bytes)
    return check_image_bytes(read_upload(file), **limits)


def open_photo(source, *, max_side=None):
    """An upright RGB image from a path, bytes or file object.

    Applies the EXIF orientation, flattens transparency on white and converts palette,
    greyscale, CMYK and 16-bit modes to RGB. With max_side, JPEGs are decoded at a
    reduced scale (much faster for phone photos), never smaller than max_side.
    """
    if isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(source)
    with Image.open(source) as image:
        if max_side:
            image.draft("RGB", (max_side, max_side))
        image = ImageOps.exif_transpose(image)
        return to_rgb(image)


def to_rgb(image):
    """An RGB copy of a PIL image of any mode: transparency flattened on white, palette,
    greyscale, CMYK and 16-bit or float modes converted."""
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGBA", "LA", "PA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, WHITE)
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        image = image.convert("F").point(lambda value: value / 256).convert("L")
    return image.convert("RGB")


def thumbnail_jpeg(source, side=THUMBNAIL_SIDE):
    """A JPEG of the photo fitted in side x side (never enlarged), upright, on white."""
    photo = open_photo(source, max_side=side)
    photo.thumbnail((side, side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    photo.save(buffer, format="JPEG", quality=85, optimize=True)
    return buffer.getvalue()
