"""Loading the search model when a web process starts serving, so that its first search by
photo is as fast as the next ones (docs/benchmarks.md, "First search by photo").

What the first search waited for is the load: importing torch and timm, reading the
backbone's weights, building the runtime's session (about 4 s of the 5-6 s on 2 busy cores);
its first inference and the index cost milliseconds. Run by the receiver of
fashionsite.signals.server_starting (recommender.receivers), which web servers send and
management commands do not: a command that needs no model never loads one.
"""

import logging
import time

from django.db import connections

from .embedding import default_embedder
from .kinds import kind_head
from .selectors import current_index

logger = logging.getLogger(__name__)


def warm_up():
    """Load the embedder (backbone and runtime session), its kind head and this process's copy
    of the current index; log how long it took. Never raises: a process that cannot load the
    model still serves its other pages, and its searches by photo report the error. Closes the
    database connections it opened (this thread's)."""
    started = time.perf_counter()
    try:
        model = default_embedder().model
        kind_head(model.fingerprint)
        current_index(model.fingerprint)
    except Exception:
        logger.exception("Loading the search model at the server's start failed")
        return
    finally:
        connections.close_all()
    logger.info(
        "Search model %s and its index loaded in %.1f s",
        model.fingerprint,
        time.perf_counter() - started,
    )
