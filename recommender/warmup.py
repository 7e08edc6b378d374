"""Loading the search model when a web process starts serving, so that its first search by
photo is as fast as the next ones (docs/benchmarks.md, "First search by photo").

Run by the receiver of fashionsite.signals.server_starting (recommender.receivers), which web
servers send and management commands do not: a command that needs no model never loads one.
"""

import functools
import io
import logging
import time

from django.db import connections
from PIL import Image, ImageDraw

from catalog.images import WHITE

from .embedding import embed_photo_query, fingerprint
from .preprocessing import INPUT_SIZE
from .selectors import current_index

logger = logging.getLogger(__name__)


@functools.cache
def sample_photo():
    """JPEG bytes of a made-up product photo: a grey garment-like shape on white, INPUT_SIZE
    pixels square."""
    image = Image.new("RGB", (INPUT_SIZE, INPUT_SIZE), WHITE)
    side = INPUT_SIZE
    ImageDraw.Draw(image).rectangle((side // 4, side // 8, 3 * side // 4, 7 * side // 8), "grey")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG")
    return buffer.getvalue()


def warm_up():
    """Load the embedder (backbone, runtime session, kind head) by embedding a made-up photo as
    a search by photo does, and this process's copy of the current index; log how long it took.
    Never raises: a process that cannot load the model still serves its other pages, and its
    searches by photo report the error. Closes the database connections it opened (this
    thread's)."""
    started = time.perf_counter()
    try:
        embed_photo_query(sample_photo())
        current_index(fingerprint())
    except Exception:
        logger.exception("Loading the search model at the server's start failed")
        return
    finally:
        connections.close_all()
    logger.info(
        "Search model %s and its index loaded in %.1f s",
        fingerprint(),
        time.perf_counter() - started,
    )
