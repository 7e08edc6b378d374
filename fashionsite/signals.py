"""The project's own signals (their receivers are in each app's receivers.py)."""

from django.dispatch import Signal

# Sent once by a web process about to serve (gunicorn.conf.py's post_worker_init; the WSGI
# application's module, which only servers import, for runserver), never by a management
# command: receivers load what the first requests would otherwise wait for.
server_starting = Signal()
