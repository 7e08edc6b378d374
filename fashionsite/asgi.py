"""The ASGI application gunicorn serves (gunicorn.conf.py).

Django's ASGI handler reads a request's whole body before any middleware sees the request.
So a body over DATA_UPLOAD_MAX_MEMORY_SIZE is cut short here, before it is read: announced by
its Content-Length, it is not read at all; sent without one (chunked), reading stops at the
limit. Either way the request's scope is marked `body_over_limit`, and storefront's
BodySizeLimitMiddleware answers 413 (JSON under /api/, a page elsewhere).
"""

import os

from django.conf import settings
from django.core.asgi import get_asgi_application

from fashionsite.checks import stop_unless_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fashionsite.settings.base")
django_application = get_asgi_application()
stop_unless_ready()  # a server does not start without what it needs (fashionsite.checks)

END_OF_BODY = {"type": "http.request", "body": b"", "more_body": False}


def declared_length(scope):
    """The request's Content-Length in bytes, or None without a valid one."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


class BodyWithinLimit:
    """The receive() of a request whose body Django may read up to `limit` bytes. Past them,
    or from the start when the Content-Length announces more, Django is told the body has
    ended, and what the client still sends is dropped."""

    def __init__(self, receive, scope, limit):
        self.receive, self.scope, self.limit, self.received = receive, scope, limit, 0
        self.state = "open"
        if (declared_length(scope) or 0) > limit:
            scope["body_over_limit"], self.state = True, "cut"

    async def __call__(self):
        """The next ASGI message for Django."""
        if self.state == "cut":
            self.state = "ended"
            return END_OF_BODY
        while True:
            message = await self.receive()
            if message["type"] != "http.request":
                return message
            if self.state == "ended":
                continue  # the rest of a body cut short
            self.received += len(message.get("body", b""))
            if self.received <= self.limit:
                return message
            self.scope["body_over_limit"], self.state = True, "ended"
            return END_OF_BODY


async def application(scope, receive, send):
    """Django's application, with request bodies cut short at DATA_UPLOAD_MAX_MEMORY_SIZE."""
    if scope["type"] == "http":
        receive = BodyWithinLimit(receive, scope, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    return await django_application(scope, receive, send)
