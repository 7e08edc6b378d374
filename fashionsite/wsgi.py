"""The WSGI application: runserver's (WSGI_APPLICATION), or another WSGI server's.

Only servers import this module, never a management command, so this is where runserver's
process says it is starting to serve (fashionsite.signals.server_starting; gunicorn, which
serves fashionsite.asgi, says so in gunicorn.conf.py). runserver builds the application before
it listens, so the receivers run in a thread of their own: it answers at once, on each restart
by its autoreloader too, and a search by photo that comes before the model is loaded waits for
that load (recommender.embedding.default_embedder), not for a second one.
"""

import os
import threading

from django.core.wsgi import get_wsgi_application

from fashionsite.checks import stop_unless_ready
from fashionsite.signals import server_starting

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fashionsite.settings.base")
application = get_wsgi_application()
stop_unless_ready()  # a server does not start without what it needs (fashionsite.checks)
threading.Thread(
    target=server_starting.send, args=(__name__,), name="server-starting", daemon=True
).start()
