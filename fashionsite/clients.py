"""Who sent a request: the one place that reads a client's address.

Behind TRUSTED_PROXIES proxies (0 by default: the shop faces the clients itself), each proxy
appends the address it received the request from to X-Forwarded-For, so the client's is the
TRUSTED_PROXIES-th entry from the right; entries further left are whatever the client sent.
"""

import functools
import ipaddress
import logging

from django.conf import settings

logger = logging.getLogger(__name__)


def client_address(request):
    """The client's IP address (a string) for a Django HttpRequest: REMOTE_ADDR with no
    trusted proxy, else the X-Forwarded-For entry the nearest trusted proxy added; REMOTE_ADDR
    when the header has fewer entries than there are proxies (a request that bypassed them)."""
    proxies = settings.TRUSTED_PROXIES
    if not proxies and "HTTP_X_FORWARDED_FOR" in request.META:
        warn_if_behind_a_proxy(request.META.get("REMOTE_ADDR", ""))
    if proxies:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        forwarded = [entry.strip() for entry in forwarded if entry.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def warn_if_behind_a_proxy(remote_address):
    """Log once a process when X-Forwarded-For comes from a private or loopback address while
    TRUSTED_PROXIES is 0: that is a proxy of the shop's, and every client behind it would
    share its address, and so its limits."""
    try:
        private = ipaddress.ip_address(remote_address).is_private
    except ValueError:
        return
    if private:
        warn_once()


@functools.cache
def warn_once():
    """The warning of warn_if_behind_a_proxy, logged once a process (cached)."""
    logger.warning(
        "X-Forwarded-For comes from a private address while TRUSTED_PROXIES is 0: behind a "
        "proxy every client shares its address and its limits. Set TRUSTED_PROXIES."
    )


class ClientAddressFilter(logging.Filter):
    """Adds `client` (client_address, or "-") to every log record; Django's request records
    carry the request."""

    def filter(self, record):
        """Always keeps the record, with its client."""
        request = getattr(record, "request", None)
        record.client = client_address(request) if hasattr(request, "META") else "-"
        return True
