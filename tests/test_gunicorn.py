"""The production web server, with the shop's gunicorn.conf.py: slow clients do not stop a
fast one."""

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

SLOW_CLIENTS = 4


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    port = free_port()
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "fashionsite.settings.base",
        "VAR_DIR": str(tmp_path),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",  # the worst case: one worker
        "LOG_LEVEL": "WARNING",
        "RECOMMENDER_PRELOAD": "false",  # no model to load for these requests
    }
    env.pop("DATABASE_URL", None)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = (tmp_path / "gunicorn.log").open("w")  # the server's own log, for a failure
    process = subprocess.Popen(
        [str(gunicorn), "fashionsite.asgi"], cwd=REPO, env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}/api/v1/nowhere/"
    for _ in range(300):
        try:
            urllib.request.urlopen(url, timeout=1)
        except urllib.error.HTTPError:
            break  # the API's 404: the server answers
        except OSError:
            time.sleep(0.1)
    yield port, url
    process.terminate()
    process.wait(timeout=30)
    log.close()


def trickle(port, stop):
    """A client that sends one header line every 2 seconds, never finishing its request."""
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.sendall(b"GET / HTTP/1.1\r\nHost: shop\r\n")
        number = 0
        while not stop.wait(2):
            number += 1
            connection.sendall(f"X-Slow-{number}: 1\r\n".encode())


def test_four_slow_clients_do_not_stop_a_fast_one(server):
    port, url = server
    stop = threading.Event()
    slow = [threading.Thread(target=trickle, args=(port, stop)) for _ in range(SLOW_CLIENTS)]
    for client in slow:
        client.start()
    time.sleep(1)  # every slow client is connected and holding what it holds
    try:  # answered while the slow clients hold on (sync workers: only when killed at 30 s)
        with pytest.raises(urllib.error.HTTPError) as answered:
            urllib.request.urlopen(url, timeout=20)
        assert answered.value.code == 404
        assert all(client.is_alive() for client in slow)
    finally:
        stop.set()
        for client in slow:
            client.join()


def answer_to(port, head, body_chunks=()):
    """Send a request's head and body chunks (stopping at the first refusal), then read the
    status line and the body of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as connection:
        connection.sendall(head)
        for chunk in body_chunks:
            try:
                connection.sendall(chunk)
            except OSError:  # the server answered and closed: it read no further
                break
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.endswith(b"}") and b"</html>" not in answer:
            data = connection.recv(65536)
            if not data:
                break
            answer += data
    return answer


def test_a_body_over_the_limit_is_refused_before_it_is_read(server):
    port, _ = server
    announced = (
        b"POST /api/v1/search/image/ HTTP/1.1\r\nHost: shop\r\n"
        b"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 1073741824\r\n\r\n"
    )
    answer = answer_to(port, announced)  # not one byte of the gigabyte is sent
    assert answer.startswith(b"HTTP/1.1 413") and b'"file_too_large"' in answer
    chunked = (
        b"POST /search/photo/ HTTP/1.1\r\nHost: shop\r\n"
        b"Content-Type: multipart/form-data; boundary=x\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    megabyte = b"100000\r\n" + b"x" * 2**20 + b"\r\n"
    answer = answer_to(port, chunked, [megabyte] * 20)
    assert answer.startswith(b"HTTP/1.1 413") and b"over the limit" in answer
