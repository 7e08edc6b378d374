"""Who sent a request: the one place that reads a client's address.

Behind TRUSTED_PROXIES proxies (0 by default: the shop faces the clients itself), each proxy
appends the address it received the request from to X-Forwarded-For, so the client's is the
TRUSTED_PROXIES-th entry from the right; entries further left are whatever the client sent.
"""

import logging

from django.conf import settings


def client_address(request):
    """The client's IP address (a string) for a Django HttpRequest: REMOTE_ADDR with no
    trusted proxy, else the X-Forwarded-For entry the nearest trusted proxy added; REMOTE_ADDR
    when the header has fewer entries than there are proxies (a request that bypassed them)."""
    proxies = settings.TRUSTED_PROXIES
    if proxies:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        forwarded = [entry.strip() for entry in forwarded if entry.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


class ClientAddressFilter(logging.Filter):
    """Adds `client` (client_address, or "-") to every log record; Django's request records
    carry the request."""

    def filter(self, record):
        """Always keeps the record, with its client."""
        request = getattr(record, "request", None)
        record.client = client_address(request) if hasattr(request, "META") else "-"
        return True
