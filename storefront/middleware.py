"""Refusals that come before any view, and the answer when the database is down."""

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError

from . import errors

logger = logging.getLogger(__name__)


class BodySizeLimitMiddleware:
    """Refuse a request whose body is over DATA_UPLOAD_MAX_MEMORY_SIZE (a photo of at most
    CATALOG_MAX_UPLOAD_BYTES and its form) with a 413, before anything reads its body: by its
    Content-Length, or by the mark fashionsite.asgi leaves on a longer body sent without one.
    Pages and API alike, so no upload is spooled to disk only to be refused."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        """The 413, or the response of the rest of the chain."""
        try:
            size = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            size = 0  # a malformed length: Django's own parsing refuses it
        over = getattr(request, "scope", {}).get("body_over_limit")  # ASGI requests only
        if over or size > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return errors.body_too_large(request, size)
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """A view that cannot reach the database answers 503 with Retry-After (JSON under /api/,
    an HTML page elsewhere), logged, instead of a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        """The response of the rest of the chain (process_exception does the work)."""
        return self.get_response(request)

    def process_exception(self, request, exception):
        """The 503 for a lost database connection; None (Django's handling) for the rest."""
        if isinstance(exception, (OperationalError, InterfaceError)):
            logger.error("Database unavailable: %s", exception, extra={"request": request})
            return errors.service_unavailable(request)
        return None
