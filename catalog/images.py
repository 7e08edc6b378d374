"""Checking uploaded image files before anything is stored."""

import hashlib
import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from PIL import Image, ImageOps, UnidentifiedImageError

from .image_structure import animation_problem, structure_problem

WHITE = (255, 255, 255)
THUMBNAIL_SIDE = 320
# The raster formats a shop needs. Only their decoders ever see an upload, chosen from its
# bytes (never its name or content type), so no other decoder, and no external program
# (Ghostscript for EPS), runs on one.
DECODERS = ("JPEG", "PNG", "WEBP")
# The extension a stored file gets, by the format Pillow finds in it (MPO: a JPEG with more
# frames, as some phone cameras write).
EXTENSIONS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp"}
# The content type a stored photo is served with, by its extension.
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


@dataclass(frozen=True)
class CheckedImage:
    content: bytes
    width: int
    height: int
    sha256: str
    format: str

    @property
    def extension(self):
        """The extension its stored file gets (jpg, png or webp)."""
        return EXTENSIONS[self.format]


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


def open_image(source):
    """Open an image file (a path or a binary file object) with the DECODERS only; raises
    UnidentifiedImageError for any other content."""
    return Image.open(source, formats=DECODERS)


def check_image_bytes(content, *, max_bytes=None, max_pixels=None):
    """Return a CheckedImage, or raise ValidationError saying what is wrong with the file.

    Refuses empty files, files over the size limit, files that are not a JPEG, PNG or WebP
    image (by their bytes) or cannot be decoded (truncated or corrupt included), images whose
    size breaks a limit (check_dimensions) and files built to be slow to decode for their size
    (catalog.image_structure: code too_complex), all checked from the bytes and the header
    before any pixel is decoded (decompression bombs, and cheap files that would cost seconds
    and gigabytes).
    """
    max_bytes = settings.CATALOG_MAX_UPLOAD_BYTES if max_bytes is None else max_bytes
    if not content:
        raise ValidationError("The file is empty.", code="empty")
    if len(content) > max_bytes:
        raise file_too_large_error(len(content), max_bytes)
    refuse_if(structure_problem(content))
    try:
        with open_image(io.BytesIO(content)) as image:
            width, height = image.size
            image_format = image.format
            check_dimensions(width, height, image_format, max_pixels)
            refuse_if(animation_problem(image))
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
            "The file is not an image the shop accepts: send a JPEG, PNG or WebP photo.",
            code="not_an_image",
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


def refuse_if(problem):
    """Raise ValidationError (code too_complex) naming a structure problem; nothing for None."""
    if problem:
        raise ValidationError(
            "The image file is not a plain photo: %(problem)s.",
            code="too_complex",
            params={"problem": problem},
        )


def check_dimensions(width, height, image_format, max_pixels=None):
    """Raise ValidationError when an image of width x height pixels in Pillow's image_format
    breaks a limit: more pixels than CATALOG_MAX_IMAGE_PIXELS, or for a PNG or WebP, which
    are decoded at full size (a JPEG at an eighth of it), than CATALOG_MAX_PNG_WEBP_PIXELS
    (code too_many_pixels); a longer side over CATALOG_MAX_IMAGE_SIDE pixels (side_too_long);
    one side more than CATALOG_MAX_ASPECT_RATIO times the other (aspect_ratio_too_large).
    docs/benchmarks.md ("Upload limits") has what the costliest accepted photo costs."""
    max_pixels = settings.CATALOG_MAX_IMAGE_PIXELS if max_pixels is None else max_pixels
    if image_format not in ("JPEG", "MPO"):
        max_pixels = min(max_pixels, settings.CATALOG_MAX_PNG_WEBP_PIXELS)
    size = {"width": width, "height": height}
    if width * height > max_pixels:
        raise ValidationError(
            "The image is %(width)sx%(height)s pixels; the limit is %(limit)s pixels.",
            code="too_many_pixels",
            params={**size, "limit": f"{max_pixels:,}"},
        )
    if max(width, height) > settings.CATALOG_MAX_IMAGE_SIDE:
        raise ValidationError(
            "The image is %(width)sx%(height)s pixels; a side may be at most %(limit)s pixels.",
            code="side_too_long",
            params={**size, "limit": f"{settings.CATALOG_MAX_IMAGE_SIDE:,}"},
        )
    if max(width, height) > settings.CATALOG_MAX_ASPECT_RATIO * min(width, height):
        raise ValidationError(
            "The image is %(width)sx%(height)s pixels; one side may be at most %(limit)s times "
            "the other.",
            code="aspect_ratio_too_large",
            params={**size, "limit": settings.CATALOG_MAX_ASPECT_RATIO},
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
    with open_image(source) as image:
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
