"""The limit on anonymous searches by photo, one count for the page and the API."""

import logging

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle

from fashionsite.clients import client_address

logger = logging.getLogger(__name__)


class ImageSearchAnonThrottle(AnonRateThrottle):
    """Anonymous searches by photo per client address, at
    REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["image_search"] (read per request), counted in
    the cache. When the cache cannot be reached, searches are let through and it is logged:
    an outage of Redis never turns a search into an error."""

    scope = "image_search"

    def get_rate(self):
        """The rate ("20/minute") from the settings, read on each request (tests change it)."""
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def get_ident(self, request):
        """The client's address (fashionsite.clients.client_address)."""
        return client_address(request)

    def allow_request(self, request, view):
        """Whether this request is within the limit; True when the cache fails."""
        try:
            return super().allow_request(request, view)
        except Exception:  # any cache backend's connection error
            logger.warning("Photo-search limit not applied: the cache failed", exc_info=True)
            return True
