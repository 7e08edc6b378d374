"""Gunicorn's settings for the shop; gunicorn reads ./gunicorn.conf.py when started here:

    .venv/bin/gunicorn fashionsite.asgi

Gunicorn's asyncio (ASGI) workers: a client that trickles its request costs a coroutine, not
a worker, so slow clients cannot take the workers (tests/test_gunicorn.py). Django runs each
request's view in a thread of its own; the costly part, a search by photo, is limited to
RECOMMENDER_PHOTO_SEARCHES_AT_ONCE at once per worker. gunicorn's ASGI worker has no timeout
on reading a request's head: nginx in front (README, "Security") does that, buffers
requests and serves the static files and photos; gunicorn listens on 127.0.0.1.
WEB_CONCURRENCY and GUNICORN_BIND come from the environment.

Each worker loads the search model before it serves (post_worker_init), so that its first
search by photo is as fast as the next ones (docs/benchmarks.md, "First search by photo").
"""

import os
import threading

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "asgi"
worker_connections = 1000  # open connections a worker holds at most
timeout = 30  # a worker that stops answering for this long is restarted
keepalive = 5
limit_request_line = 4094  # bytes of the request line (gunicorn's default, stated)
limit_request_fields = 100
limit_request_field_size = 8190


def post_worker_init(worker):
    """In each worker, its application loaded and before it serves: send
    fashionsite.signals.server_starting (the recommender loads its model and index), then serve.
    Meanwhile the worker tells the arbiter it is alive each second: a worker silent for `timeout`
    seconds is killed, and the first load on a machine, which builds the runtime's model file,
    can take longer."""
    from fashionsite.signals import server_starting  # Django is set up: the application is loaded

    starting = threading.Thread(
        target=server_starting.send, args=("gunicorn",), name="server-starting"
    )
    starting.start()
    while starting.is_alive():
        worker.notify()
        starting.join(1)
