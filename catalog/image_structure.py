"""What can make an image file costly to decode beyond its pixel count, read from its bytes
before any decoder runs: the scans of a progressive JPEG (the decoder reads every one, even
at a reduced scale: 10,000 tiny scans take 20 s for 40 megapixels), metadata segments and
chunks (millions of empty ones take seconds), and animation (a shop photo has one frame).

The walk needs no decoder (Pillow's own header parsing would already take those seconds);
a structure that cannot be read is left to the decoder, which refuses it as damaged.
"""

MAX_JPEG_SCANS = 64  # progressive encoders write about 10
MAX_JPEG_METADATA_SEGMENTS = 300  # APPn and COM; an ICC profile spans at most 255
MAX_PNG_METADATA_CHUNKS = 300  # all but IDAT
MAX_PNG_DATA_CHUNKS = 20_000  # IDAT: a 10 MB file in 512-byte chunks
JPEG_SIGNATURE = b"\xff\xd8\xff"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def structure_problem(content):
    """Why the bytes of a JPEG or PNG file would be costly to decode for their size, as a
    sentence; None when they would not (and for any other content: the decoders judge it)."""
    if content.startswith(JPEG_SIGNATURE):
        segments, scans = jpeg_structure(content)
        if segments > MAX_JPEG_METADATA_SEGMENTS:
            return f"it has more than {MAX_JPEG_METADATA_SEGMENTS} metadata segments"
        if scans > MAX_JPEG_SCANS:
            return f"it has {scans:,} scans; the limit is {MAX_JPEG_SCANS}"
    if content.startswith(PNG_SIGNATURE):
        metadata, data = png_chunks(content)
        if metadata > MAX_PNG_METADATA_CHUNKS:
            return f"it has more than {MAX_PNG_METADATA_CHUNKS} metadata chunks"
        if data > MAX_PNG_DATA_CHUNKS:
            return f"it has more than {MAX_PNG_DATA_CHUNKS:,} data chunks"
    return None


def animation_problem(image):
    """Why an opened PNG or WebP image is not a photo when it is animated (an MPO's second
    frame is a phone camera's depth map: a photo), as a sentence; None otherwise."""
    frames = getattr(image, "n_frames", 1)
    if image.format in ("PNG", "WEBP") and frames > 1:
        return f"it is animated ({frames} frames); send a still photo"
    return None


def jpeg_structure(content):
    """(APPn and COM segments before the first scan, counted up to one over the limit; scans)
    of a JPEG's bytes. A scan starts with an SOS marker (FF DA): entropy-coded data stuffs a
    zero after every FF, so FF DA there is always a marker."""
    position, segments = 2, 0  # after SOI
    while position + 4 <= len(content) and segments <= MAX_JPEG_METADATA_SEGMENTS:
        if content[position] != 0xFF:
            break
        marker = content[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xDA:
            break
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:
            segments += 1
        position += 2 + int.from_bytes(content[position + 2 : position + 4], "big")
    return segments, content.count(b"\xff\xda", position)


def png_chunks(content):
    """(chunks other than IDAT, IDAT chunks) of a PNG's bytes, each counted up to one over
    its limit."""
    position, metadata, data = 8, 0, 0  # after the signature
    while position + 8 <= len(content):
        kind = content[position + 4 : position + 8]
        if kind == b"IDAT":
            data += 1
        else:
            metadata += 1
        if kind == b"IEND" or metadata > MAX_PNG_METADATA_CHUNKS or data > MAX_PNG_DATA_CHUNKS:
            break
        position += 12 + int.from_bytes(content[position : position + 4], "big")
    return metadata, data
